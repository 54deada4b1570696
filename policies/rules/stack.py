"""Rules across resources: prod databases backed up and replicated, autoscaling wired, blue-green complete."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from pulumi_policy import PolicyResource, ReportViolation, StackValidationArgs

from .backups import is_replica
from .base import Params, arm_id_of, dig, items, labels, points_at, stack_rule, texts

DATABASES = frozenset(
    [
        "aws:rds/instance:Instance",
        "aws:rds/cluster:Cluster",
        "azure-native:dbforpostgresql:Server",
        "gcp:sql/databaseInstance:DatabaseInstance",
    ]
)
AWS_BACKUP_SELECTION = "aws:backup/selection:Selection"
# Resources that put one Azure resource in a backup plan, and where they name it (its ARM id).
AZURE_BACKUP_ASSIGNMENTS = {"azure-native:dataprotection:BackupInstance": "properties.dataSourceInfo.resourceID"}
BUILT_IN_BACKUPS = {"gcp:sql/databaseInstance:DatabaseInstance": "settings.backupConfiguration.enabled"}


def refers_to(resource: PolicyResource, target: PolicyResource) -> bool:
    """Whether ``resource`` depends on ``target``, or names it by its cloud name (e.g. an alarm dimension)
    or, on Azure, by its ARM id."""
    if any(d.urn == target.urn for d in resource.dependencies) or any(
        d.urn == target.urn for deps in resource.property_dependencies.values() for d in deps
    ):
        return True
    found = set(texts(resource.props))
    cloud_name = target.props.get("name") or target.props.get("identifier")
    return (isinstance(cloud_name, str) and cloud_name in found) or any(
        arm_id_of(v, target.resource_type, target.props) for v in found
    )


def _region(resource: PolicyResource) -> str | None:
    provider = resource.provider.props if resource.provider else {}
    return resource.props.get("region") or resource.props.get("location") or provider.get("region")


def _primaries(args: StackValidationArgs) -> list[PolicyResource]:
    return [r for r in args.resources if r.resource_type in DATABASES and not is_replica(r.props)]


def _aws_selects(selection: PolicyResource, database: PolicyResource) -> bool:
    """An AWS Backup selection picks the database by reference, by tag, or picks everything."""
    tags = labels(database.props, database.resource_type)
    conditions = [*items(selection.props, "selectionTags"), *items(selection.props, "condition.stringEquals")]
    by_tag = any(tags.get(str(c.get("key")).removeprefix("aws:ResourceTag/")) == c.get("value") for c in conditions)
    return refers_to(selection, database) or by_tag or "*" in items(selection.props, "resources")


def _backed_up(database: PolicyResource, resources: list[PolicyResource]) -> bool:
    built_in = BUILT_IN_BACKUPS.get(database.resource_type)
    if built_in and dig(database.props, built_in) is True:
        return True
    return any(
        (r.resource_type == AWS_BACKUP_SELECTION and _aws_selects(r, database))
        or (
            r.resource_type in AZURE_BACKUP_ASSIGNMENTS
            and points_at(r, AZURE_BACKUP_ASSIGNMENTS[r.resource_type], database)
        )
        for r in resources
    )


@stack_rule(
    name="prod-database-backup-plan",
    description="In prod every database is in a backup plan (SPEC.md: daily 30 d, hourly 7 d, PITR 7 d).",
    remediation="Add the database to the environment's backup plan (AWS Backup selection by ARN or tag, Azure "
    "Backup instance whose dataSourceInfo.resourceID is the server) or enable the database's built-in backups "
    "(GCP).",
)
def prod_database_backup_plan(args: StackValidationArgs, report: ReportViolation, params: Params) -> None:
    for database in _primaries(args):
        if not _backed_up(database, args.resources):
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
        frozenset(["azure-native:monitor:AutoscaleSetting"]),
        frozenset(["azure-native:monitor:MetricAlert"]),
    ),
    "gcp:compute/regionInstanceGroupManager:RegionInstanceGroupManager": (
        frozenset(["gcp:compute/regionAutoscaler:RegionAutoscaler"]),
        frozenset(["gcp:monitoring/alertPolicy:AlertPolicy"]),
    ),
}
# Azure scalers and alerts name what they act on by ARM id, here; other properties (an autoscale rule's
# metricResourceUri: the queue or gateway it reads, an action group) must not count as covering the group.
AZURE_TARGETS = {
    "azure-native:monitor:AutoscaleSetting": "targetResourceUri",
    "azure-native:monitor:MetricAlert": "scopes.*",
}


def _covers(resource: PolicyResource, group: PolicyResource) -> bool:
    if resource.resource_type in AZURE_TARGETS:
        return points_at(resource, AZURE_TARGETS[resource.resource_type], group)
    return refers_to(resource, group)


@stack_rule(
    name="autoscaling-policies-and-alarms",
    description="Every autoscaling group has a scaling policy and at least one alarm watching it.",
    remediation="Attach the tier's scaling policy (target tracking on its SPEC.md metric; Azure: an autoscale "
    "setting whose targetResourceUri is the scale set) and the CPU / memory / instance-down alarms (Azure: metric "
    "alerts whose scopes include the scale set) to the group.",
)
def autoscaling_policies_and_alarms(args: StackValidationArgs, report: ReportViolation, params: Params) -> None:
    for group in (r for r in args.resources if r.resource_type in SCALING):
        scalers, alarms = SCALING[group.resource_type]
        for kinds, what in ((scalers, "scaling policy"), (alarms, "alarm")):
            if not any(r.resource_type in kinds and _covers(r, group) for r in args.resources):
                report(f"{group.name}: no {what}.", group.urn)


COLOURS = frozenset(["blue", "green"])


def _colour(name: Any) -> str | None:
    """``blue`` / ``green`` when a pool's name (or the last segment of its id) ends in the colour."""
    last = str(name or "").rstrip("/").rsplit("/", 1)[-1]
    return next((c for c in COLOURS if last.endswith(f"-{c}") or last == c), None)


def _aws_pools(splitter: PolicyResource) -> Iterator[set[str]]:
    """An AWS listener (rule) forwards to the target groups it depends on through its actions."""
    key = "defaultActions" if splitter.resource_type == "aws:lb/listener:Listener" else "actions"
    pools = splitter.property_dependencies.get(key, [])
    yield {str(labels(p.props, p.resource_type).get("color")) for p in pools}


def _gcp_pools(url_map: PolicyResource) -> Iterator[set[str]]:
    """A GCP URL map splits traffic by weight in each ``weightedBackendServices`` list, wherever it is."""

    def walk(value: Any) -> Iterator[set[str]]:
        if isinstance(value, Mapping):
            for key, inner in value.items():
                if key == "weightedBackendServices" and isinstance(inner, Sequence):
                    yield {str(_colour(b.get("backendService"))) for b in inner if isinstance(b, Mapping)}
                else:
                    yield from walk(inner)
        elif isinstance(value, Sequence) and not isinstance(value, str):
            for inner in value:
                yield from walk(inner)

    yield from walk(url_map.props)


def _azure_pools(gateway: PolicyResource) -> Iterator[set[str]]:
    """An Application Gateway routes each tier to one pool at a time, so it must define both colours' pools
    (``<tier>-blue`` and ``<tier>-green``): switching colours, and switching back, is a change of pool."""
    tiers: dict[str, set[str]] = {}
    for pool in items(gateway.props, "backendAddressPools"):
        name = str(pool.get("name", ""))
        if colour := _colour(name):
            tiers.setdefault(name.removesuffix(f"-{colour}"), set()).add(colour)
    yield from tiers.values()


# Traffic splitters on each cloud, and the sets of colours each of their splits reaches.
SPLITTERS: dict[str, Callable[[PolicyResource], Iterator[set[str]]]] = {
    "aws:lb/listener:Listener": _aws_pools,
    "aws:lb/listenerRule:ListenerRule": _aws_pools,
    "gcp:compute/uRLMap:URLMap": _gcp_pools,
    "gcp:compute/regionUrlMap:RegionUrlMap": _gcp_pools,
    "azure-native:network:ApplicationGateway": _azure_pools,
}


AFD_ORIGIN_GROUP, AFD_ORIGIN = "azure-native:cdn:AFDOriginGroup", "azure-native:cdn:AFDOrigin"


def _front_door_splits(args: StackValidationArgs) -> Iterator[tuple[PolicyResource, set[str]]]:
    """An Azure Front Door origin group splits by its origins' weights: the colours of the origins in it (same
    profile and group name, or a dependency on the group)."""
    keys = ("profileName", "originGroupName")
    origins = [r for r in args.resources if r.resource_type == AFD_ORIGIN]
    for group in (r for r in args.resources if r.resource_type == AFD_ORIGIN_GROUP):
        members = [o for o in origins if refers_to(o, group) or all(o.props.get(k) == group.props.get(k) for k in keys)]
        yield group, {str(_colour(o.props.get("originName"))) for o in members}


@stack_rule(
    name="blue-green-both-colours",
    description="Every blue-green listener / URL map / gateway reaches both a blue and a green pool, so traffic "
    "can shift back.",
    remediation="Forward to both colours' target groups / backend services with weights (the inactive colour at "
    "weight 0); on an Azure Application Gateway, define both <tier>-blue and <tier>-green backend pools; in an "
    "Azure Front Door origin group, an origin named blue and one named green (the idle one disabled).",
)
def blue_green_both_colours(args: StackValidationArgs, report: ReportViolation, params: Params) -> None:
    splits = [
        (splitter, reached)
        for splitter in args.resources
        if splitter.resource_type in SPLITTERS
        for reached in SPLITTERS[splitter.resource_type](splitter)
    ]
    reported: set[str] = set()
    for splitter, reached in (*splits, *_front_door_splits(args)):
        colours = reached & COLOURS
        if colours and colours != COLOURS and splitter.urn not in reported:
            reported.add(splitter.urn)
            report(f"{splitter.name}: forwards only to {', '.join(sorted(colours))}.", splitter.urn)


POLICIES = [
    prod_database_backup_plan,
    prod_database_cross_region_replica,
    autoscaling_policies_and_alarms,
    blue_green_both_colours,
]
