"""Rules across resources: prod databases backed up and replicated, autoscaling wired, blue-green complete."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import PolicyResource, ReportViolation, StackValidationArgs

from .backups import is_replica
from .base import Params, dig, items, labels, stack_rule

DATABASES = frozenset(
    [
        "aws:rds/instance:Instance",
        "aws:rds/cluster:Cluster",
        "azure-native:dbforpostgresql:Server",
        "gcp:sql/databaseInstance:DatabaseInstance",
    ]
)
# Resources that put a database in a backup plan (by reference), and databases whose own config does.
BACKUP_ASSIGNMENTS = frozenset(["aws:backup/selection:Selection", "azure-native:dataprotection:BackupInstance"])
BUILT_IN_BACKUPS = {"gcp:sql/databaseInstance:DatabaseInstance": "settings.backupConfiguration.enabled"}


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, (list, tuple)) or hasattr(value, "__len__"):
        for v in value:
            yield from _strings(v)


def refers_to(resource: PolicyResource, target: PolicyResource) -> bool:
    """Whether ``resource`` depends on ``target``, or names it by its cloud name (e.g. an alarm dimension)."""
    if any(d.urn == target.urn for d in resource.dependencies) or any(
        d.urn == target.urn for deps in resource.property_dependencies.values() for d in deps
    ):
        return True
    cloud_name = target.props.get("name") or target.props.get("identifier")
    return isinstance(cloud_name, str) and cloud_name in set(_strings(resource.props))


def _region(resource: PolicyResource) -> str | None:
    provider = resource.provider.props if resource.provider else {}
    return resource.props.get("region") or resource.props.get("location") or provider.get("region")


def _primaries(args: StackValidationArgs) -> list[PolicyResource]:
    return [r for r in args.resources if r.resource_type in DATABASES and not is_replica(r.props)]


def _tag_selected(selection: PolicyResource, database: PolicyResource) -> bool:
    tags = labels(database.props)
    conditions = [*items(selection.props, "selectionTags"), *items(selection.props, "condition.stringEquals")]
    return any(tags.get(str(c.get("key")).removeprefix("aws:ResourceTag/")) == c.get("value") for c in conditions)


@stack_rule(
    name="prod-database-backup-plan",
    description="In prod every database is in a backup plan (SPEC.md: daily 30 d, hourly 7 d, PITR 7 d).",
    remediation="Add the database to the environment's backup plan (AWS Backup selection by ARN or tag, Azure "
    "Backup instance) or enable the database's built-in backups (GCP).",
)
def prod_database_backup_plan(args: StackValidationArgs, report: ReportViolation, params: Params) -> None:
    selections = [r for r in args.resources if r.resource_type in BACKUP_ASSIGNMENTS]
    for database in _primaries(args):
        built_in = BUILT_IN_BACKUPS.get(database.resource_type)
        if built_in and dig(database.props, built_in) is True:
            continue
        if not any(
            refers_to(s, database) or _tag_selected(s, database) or "*" in items(s.props, "resources")
            for s in selections
        ):
            report(f"{database.name}: not in any backup plan.", database.urn)


@stack_rule(
    name="prod-database-cross-region-replica",
    description="In prod every database has a replica in another region (SPEC.md: DR, RTO 4 h, RPO 1 h).",
    remediation="Create a cross-region read replica of the database with the DR region's provider "
    "(platform:disasterRecovery.enabled).",
)
def prod_database_cross_region_replica(args: StackValidationArgs, report: ReportViolation, params: Params) -> None:
    replicas = [r for r in args.resources if r.resource_type in DATABASES and is_replica(r.props)]
    for database in _primaries(args):
        home = _region(database)
        if not any(refers_to(r, database) and (home is None or _region(r) != home) for r in replicas):
            report(f"{database.name}: no replica in another region.", database.urn)


# Per scaling group type: the types that scale it and the types that alarm on it.
SCALING: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "aws:autoscaling/group:Group": (
        frozenset(["aws:autoscaling/policy:Policy"]),
        frozenset(["aws:cloudwatch/metricAlarm:MetricAlarm"]),
    ),
    "azure-native:compute:VirtualMachineScaleSet": (
        frozenset(["azure-native:insights:AutoscaleSetting"]),
        frozenset(["azure-native:insights:MetricAlert"]),
    ),
    "gcp:compute/regionInstanceGroupManager:RegionInstanceGroupManager": (
        frozenset(["gcp:compute/regionAutoscaler:RegionAutoscaler"]),
        frozenset(["gcp:monitoring/alertPolicy:AlertPolicy"]),
    ),
}


@stack_rule(
    name="autoscaling-policies-and-alarms",
    description="Every autoscaling group has a scaling policy and at least one alarm watching it.",
    remediation="Attach the tier's scaling policy (target tracking on its SPEC.md metric) and the CPU / memory / "
    "instance-down alarms to the group.",
)
def autoscaling_policies_and_alarms(args: StackValidationArgs, report: ReportViolation, params: Params) -> None:
    for group in (r for r in args.resources if r.resource_type in SCALING):
        scalers, alarms = SCALING[group.resource_type]
        for kinds, what in ((scalers, "scaling policy"), (alarms, "alarm")):
            if not any(r.resource_type in kinds and refers_to(r, group) for r in args.resources):
                report(f"{group.name}: no {what}.", group.urn)


# Traffic splitters and the property holding the pools they send to.
SPLITTERS = {"aws:lb/listener:Listener": "defaultActions", "aws:lb/listenerRule:ListenerRule": "actions"}
COLOURS = frozenset(["blue", "green"])


@stack_rule(
    name="blue-green-both-colours",
    description="Every blue-green listener forwards to both a blue and a green pool, so traffic can shift back.",
    remediation="Forward to both colours' target groups with weights (the inactive colour at weight 0).",
)
def blue_green_both_colours(args: StackValidationArgs, report: ReportViolation, params: Params) -> None:
    for splitter in (r for r in args.resources if r.resource_type in SPLITTERS):
        pools = splitter.property_dependencies.get(SPLITTERS[splitter.resource_type], [])
        colours = {labels(p.props).get("color") for p in pools} & COLOURS
        if colours and colours != COLOURS:
            report(f"{splitter.name}: forwards only to {', '.join(sorted(colours))}.", splitter.urn)


POLICIES = [
    prod_database_backup_plan,
    prod_database_cross_region_replica,
    autoscaling_policies_and_alarms,
    blue_green_both_colours,
]
