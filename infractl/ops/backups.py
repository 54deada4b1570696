"""``infractl backups verify``: does the backup vault give the protection SPEC.md asks for?

Each check is a row of a table: the vault is encrypted with a customer-managed key; the plans
writing to it have the environment's rules (taken from ``BackupConfig``, so SPEC.md's numbers
live in one place); every protected resource has a recovery point younger than the RPO; and a
copy of each exists in the DR region. Where the Backup API cannot say (an unsupported call, a
missing permission, no recovery points for a database), RDS's own automated backups and
snapshots are asked instead, and the table says which source answered.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple, get_args

from botocore.exceptions import ClientError

from components.config import BackupConfig, Environment, profile

from .. import errors
from . import common, outputs

MAX_AGE_HOURS = 24 * 366.0  # a year: older than that is no recovery point worth counting


def register(commands: Any) -> None:
    parser = commands.add_parser("backups", help="check backups against SPEC.md")
    actions = parser.add_subparsers(dest="action", required=True)
    verify = actions.add_parser("verify", help="vault encryption, plan rules, recovery point age, DR copies")
    outputs.add_arguments(verify)
    verify.add_argument("--vault", help="backup vault name (output aws_backup_vault_name)")
    verify.add_argument("--region", type=common.region_argument, help="primary region (output aws_region)")
    verify.add_argument("--dr-region", type=common.region_argument, help="DR region (output aws_dr_region)")
    verify.add_argument("--dr-vault", help="vault holding the DR copies (output aws_dr_backup_vault_name)")
    verify.add_argument(
        "--environment", choices=get_args(Environment), help="whose BackupConfig to expect (output environment; prod)"
    )
    verify.add_argument(
        "--max-age-hours",
        type=common.number(0, MAX_AGE_HOURS),
        help="newest recovery point must be younger (default: the RPO)",
    )
    verify.add_argument("--resource", action="append", default=[], metavar="ARN", help="check only these resources")
    verify.set_defaults(run=run)


class Row(NamedTuple):
    check: str
    subject: str
    ok: bool
    detail: str


class Rule(NamedTuple):
    """One rule SPEC.md asks for; ``schedule`` is None for continuous (point-in-time) backup."""

    label: str
    schedule: str | None
    days: int


def expected_rules(config: BackupConfig) -> list[Rule]:
    """The rules a plan must have for this config; a retention of 0 turns a rule off."""
    rules = [
        Rule("daily", config.daily_schedule, config.daily_retention_days),
        Rule("hourly", config.hourly_schedule, config.hourly_retention_days),
        Rule("continuous", None, config.continuous_retention_days),
        Rule("config", config.daily_schedule, config.config_retention_days),
    ]
    return [rule for rule in rules if rule.days > 0]


def check_rules(backup: Any, vault: str, config: BackupConfig, dr_region: str | None) -> list[Row]:
    rules = [
        rule
        for page in backup.get_paginator("list_backup_plans").paginate()
        for plan in page["BackupPlansList"]
        for rule in backup.get_backup_plan(BackupPlanId=plan["BackupPlanId"])["BackupPlan"]["Rules"]
        if rule["TargetBackupVaultName"] == vault
    ]
    rows = []
    for want in expected_rules(config):
        found = [
            rule
            for rule in rules
            if rule.get("Lifecycle", {}).get("DeleteAfterDays") == want.days
            and bool(rule.get("EnableContinuousBackup")) == (want.schedule is None)
            and (want.schedule is None or rule.get("ScheduleExpression") == want.schedule)
        ]
        subject = f"{want.label}: {want.schedule or 'continuous'}, {want.days} days"
        if not found:
            rows.append(Row("plan rule", subject, False, f"no rule targeting {vault} has it"))
            continue
        copies = [
            copy["DestinationBackupVaultArn"]
            for copy in found[0].get("CopyActions", [])
            if copy["DestinationBackupVaultArn"].split(":")[3] == dr_region
        ]
        if config.copy_to_dr and want.schedule is not None and not copies:
            rows.append(Row("plan rule", subject, False, f"{found[0]['RuleName']} does not copy to {dr_region}"))
        else:
            rows.append(Row("plan rule", subject, True, found[0]["RuleName"]))
    return rows


def check_encryption(backup_vault: dict[str, Any], kms: Any) -> Row:
    key = backup_vault.get("EncryptionKeyArn")
    if not key:
        return Row("encryption", backup_vault["BackupVaultName"], False, "no encryption key")
    try:
        manager = kms.describe_key(KeyId=key)["KeyMetadata"]["KeyManager"]
    except ClientError as exc:
        return Row("encryption", backup_vault["BackupVaultName"], False, f"{key}: {common.describe(exc)}")
    return Row("encryption", backup_vault["BackupVaultName"], manager == "CUSTOMER", f"{manager.lower()}-managed {key}")


@dataclass
class Sources:
    """Where recovery points are looked up: the Backup API first, RDS where it cannot say."""

    backup: Any
    rds: Any

    def protected(self, vault: str) -> tuple[list[str], str]:
        """Protected resource ARNs, and which API listed them."""
        try:
            pages = self.backup.get_paginator("list_protected_resources_by_backup_vault").paginate(
                BackupVaultName=vault
            )
            return [r["ResourceArn"] for page in pages for r in page["Results"]], "backup"
        except ClientError as exc:
            databases = [
                db["DBInstanceArn"]
                for page in self.rds.get_paginator("describe_db_instances").paginate()
                for db in page["DBInstances"]
                if not db.get("ReadReplicaSourceDBInstanceIdentifier")
            ]
            return databases, f"rds (Backup API: {common.error_code(exc)})"

    def latest(self, arn: str, vault: str | None = None) -> tuple[datetime | None, str]:
        """Newest recovery point of ``arn`` (only in ``vault`` if given) and which API found it."""
        try:
            if vault is None:
                pages = self.backup.get_paginator("list_recovery_points_by_resource").paginate(ResourceArn=arn)
            else:
                pages = self.backup.get_paginator("list_recovery_points_by_backup_vault").paginate(
                    BackupVaultName=vault, ByResourceArn=arn
                )
            points = [point for page in pages for point in page["RecoveryPoints"]]
            dates = [p["CreationDate"] for p in points if p.get("Status") == "COMPLETED"]
            if dates:
                return max(dates), "backup"
            why = "no recovery point"
        except ClientError as exc:
            why = common.error_code(exc)
        if ":rds:" in arn and ":db:" in arn:
            return self._rds_latest(arn.rsplit(":", 1)[1]), f"rds (Backup API: {why})"
        return None, f"backup ({why})"

    def _rds_latest(self, identifier: str) -> datetime | None:
        """Newest of the instance's restorable time and its snapshots (automated, manual, AWS Backup).

        Snapshots are filtered by identifier client-side: copies in another region keep the
        source's identifier, and RDS's own filter there wants an existing instance.
        """
        times = [
            snapshot["SnapshotCreateTime"]
            for page in self.rds.get_paginator("describe_db_snapshots").paginate()
            for snapshot in page["DBSnapshots"]
            if snapshot["DBInstanceIdentifier"] == identifier and snapshot.get("Status") == "available"
        ]
        try:
            instance = self.rds.describe_db_instances(DBInstanceIdentifier=identifier)["DBInstances"][0]
            if instance.get("BackupRetentionPeriod") and instance.get("LatestRestorableTime"):  # PITR needs backups on
                times.append(instance["LatestRestorableTime"])
        except ClientError as exc:
            if common.error_code(exc) != "DBInstanceNotFound":
                raise
        return max(times, default=None)


def age_row(check: str, arn: str, found: tuple[datetime | None, str], max_age: timedelta | None) -> Row:
    when, source = found
    if when is None:
        return Row(check, arn, False, f"none found via {source}")
    age = datetime.now(UTC) - when
    ok = max_age is None or age <= max_age
    return Row(check, arn, ok, f"{age.total_seconds() / 3600:.1f} h old via {source}")


@common.aws_command("backups")
def run(args: argparse.Namespace) -> int:
    stack = outputs.load(args)
    vault = outputs.require(args.vault, stack, "--vault", "aws_backup_vault_name")
    region = outputs.pick(args.region, stack, "--region", "aws_region")
    dr_region = outputs.pick(args.dr_region, stack, "--dr-region", "aws_dr_region")
    dr_vault = outputs.pick(args.dr_vault, stack, "--dr-vault", "aws_dr_backup_vault_name")
    environment = args.environment or stack.get("environment") or "prod"
    if environment not in get_args(Environment):
        raise errors.UsageError(f"environment {environment!r} is not one of {', '.join(get_args(Environment))}")
    platform = profile(environment)
    if platform.backup.copy_to_dr and dr_region is None:
        raise errors.UsageError(f"--dr-region is required: {environment} copies backups to the DR region")
    hours = platform.disaster_recovery.rpo_hours if args.max_age_hours is None else args.max_age_hours
    max_age = timedelta(hours=hours)

    backup = common.client("backup", region)
    with common.validating(f"reading backup vault {vault}"):
        backup_vault = backup.describe_backup_vault(BackupVaultName=vault)
    primary = Sources(backup, common.client("rds", region))
    rows = [check_encryption(backup_vault, common.client("kms", region))]
    rows += check_rules(backup, vault, platform.backup, dr_region)
    resources, listed_by = (args.resource, "--resource") if args.resource else primary.protected(vault)
    if not resources:
        rows.append(Row("recovery point", vault, False, f"no protected resources listed by {listed_by}"))
    rows += [age_row("recovery point", arn, primary.latest(arn), max_age) for arn in resources]
    if dr_region is not None:
        dr = Sources(common.client("backup", dr_region), common.client("rds", dr_region))
        rows += [age_row(f"copy in {dr_region}", arn, dr.latest(arn, dr_vault), None) for arn in resources]

    print(
        common.table(
            ["check", "subject", "result", "detail"],
            [(r.check, r.subject, "ok" if r.ok else "FAIL", r.detail) for r in rows],
        )
    )
    failed = sum(not row.ok for row in rows)
    print(f"\n{failed} of {len(rows)} checks failed" if failed else f"\nall {len(rows)} checks passed")
    return errors.EXIT_FAILED if failed else errors.EXIT_OK
