"""Backups: retention at least the environment's minimum, point-in-time recovery in prod."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pulumi_policy import ReportViolation, ResourceValidationArgs

from . import defaults
from .base import Params, Requirement, check_table, days, integer, number, resource_rule, values

# Inputs naming a replica's primary. Azure's sourceServerResourceId is not one: restores (PointInTimeRestore,
# GeoRestore) set it too, and those are primaries; an Azure replica is createMode Replica.
REPLICA_OF = ("replicateSourceDb", "masterInstanceName")


def is_replica(props: Mapping[str, Any]) -> bool:
    """Read replicas inherit backups from their primary; the primary is what backup rules check."""
    return any(props.get(key) for key in REPLICA_OF) or str(props.get("createMode", "")).lower() == "replica"


# Per type: where the retention (days) is, and which parameter is its minimum.
RETENTION: dict[str, list[tuple[str, str]]] = {
    "aws:rds/instance:Instance": [("backupRetentionPeriod", "minBackupRetentionDays")],
    "aws:rds/cluster:Cluster": [("backupRetentionPeriod", "minBackupRetentionDays")],
    "aws:elasticache/replicationGroup:ReplicationGroup": [("snapshotRetentionLimit", "minCacheSnapshotDays")],
    "aws:backup/plan:Plan": [("rules.*.lifecycle.deleteAfter", "minBackupRetentionDays")],
    "azure-native:dbforpostgresql:Server": [("backup.backupRetentionDays", "minBackupRetentionDays")],
    "azure-native:dataprotection:BackupPolicy": [
        ("properties.policyRules.*.lifecycles.*.deleteAfter.duration", "minBackupRetentionDays")
    ],
    "gcp:sql/databaseInstance:DatabaseInstance": [
        ("settings.backupConfiguration.backupRetentionSettings.retainedBackups", "minBackupRetentionDays")
    ],
}


@resource_rule(
    name="backup-retention",
    description="Database backups and cache snapshots are kept at least the environment's minimum (SPEC.md).",
    remediation="Raise the backup retention (backupRetentionPeriod, snapshotRetentionLimit, backupRetentionDays, "
    "retainedBackups, backup plan deleteAfter, Azure backup policy deleteAfter) to the environment's minimum.",
    schema={
        "minBackupRetentionDays": integer(
            defaults.PROD["minBackupRetentionDays"], "Shortest database backup retention"
        ),
        "minCacheSnapshotDays": integer(defaults.PROD["minCacheSnapshotDays"], "Shortest cache snapshot retention"),
    },
)
def backup_retention(args: ResourceValidationArgs, report: ReportViolation, params: Params) -> None:
    if is_replica(args.props):
        return
    for path, minimum in RETENTION.get(args.resource_type, ()):
        for found in values(args.props, path):
            if (days(found) or 0) < params[minimum]:
                report(f"{args.name}: {path} is {days(found) or 0:g} days; must be at least {params[minimum]} days.")


# Per database type: what turns point-in-time recovery on, and where its window (days) is.
PITR: dict[str, tuple[list[Requirement], str]] = {
    "aws:rds/instance:Instance": ([], "backupRetentionPeriod"),
    "aws:rds/cluster:Cluster": ([], "backupRetentionPeriod"),
    "azure-native:dbforpostgresql:Server": ([], "backup.backupRetentionDays"),
    "gcp:sql/databaseInstance:DatabaseInstance": (
        [("settings.backupConfiguration.pointInTimeRecoveryEnabled", True)],
        "settings.backupConfiguration.transactionLogRetentionDays",
    ),
}


@resource_rule(
    name="point-in-time-recovery",
    description="Databases can be restored to any point in the last 7 days (prod: PITR 7 days, RPO 1 h).",
    remediation="Enable point-in-time recovery (AWS/Azure: backup retention >= minPitrDays; GCP: "
    "pointInTimeRecoveryEnabled and transactionLogRetentionDays >= minPitrDays).",
    schema={"minPitrDays": integer(defaults.PITR_DAYS, "Shortest point-in-time recovery window")},
)
def point_in_time_recovery(args: ResourceValidationArgs, report: ReportViolation, params: Params) -> None:
    if args.resource_type not in PITR or is_replica(args.props):
        return
    requirements, window = PITR[args.resource_type]
    check_table({args.resource_type: requirements}, args, report, "point-in-time recovery")
    days = number(values(args.props, window)[0])
    if (days or 0) < params["minPitrDays"]:
        report(
            f"{args.name}: point-in-time window {window} is {days or 0:g}; "
            f"must be at least {params['minPitrDays']} days."
        )


POLICIES = [backup_retention, point_in_time_recovery]
