"""AWS Backup: SPEC.md's backup plan for the database and the configuration bucket.

Rules come from ``cfg.backup``, and a retention of 0 turns a rule off, so one table gives staging
its daily backups and prod its daily (30 days), hourly (7), continuous point-in-time recovery (7)
and configuration (90) backups. With DR on, daily recovery points are copied to a vault in the
DR region. Prod locks the vaults (governance mode) so recovery points cannot be deleted early.
Failed backup jobs page through the alarms' EventBridge rule; the vault reports the events
AWS Backup still delivers by SNS (its BACKUP_JOB_FAILED event is deprecated and never sent).
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_aws as aws

from ..config import BackupConfig, PlatformConfig
from .alerting import Alerting
from .iam import assume_role_policy

VAULT_EVENTS = [
    "COPY_JOB_FAILED",
    "RESTORE_JOB_COMPLETED",
    "S3_BACKUP_OBJECT_FAILED",
    "S3_RESTORE_OBJECT_FAILED",
]
SERVICE_ROLE_POLICIES = [
    "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup",
    "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForRestores",
    "arn:aws:iam::aws:policy/AWSBackupServiceRolePolicyForS3Backup",
    "arn:aws:iam::aws:policy/AWSBackupServiceRolePolicyForS3Restore",
]


# An hourly job must start within the hour it is due (60 minutes is the shortest start window AWS Backup accepts);
# with the default 8-hour window jobs pile up behind each other, and AWS Backup merges rules whose start windows
# overlap. A job not finished 120 minutes after its scheduled time is cancelled, and reported, not left running.
HOURLY_START_WINDOW_MINUTES = 60
HOURLY_COMPLETION_WINDOW_MINUTES = 120

# Which rules protect what: the database gets SPEC's database schedule, the configuration
# bucket its own daily rule, so neither is kept longer or more often than SPEC.md asks.
DATABASE_RULES = ("daily", "hourly", "continuous")
CONFIG_RULES = ("config",)


class Backups(pulumi.ComponentResource):
    vault: aws.backup.Vault
    dr_vault: aws.backup.Vault | None
    plan: aws.backup.Plan
    selection: aws.backup.Selection
    config_plan: aws.backup.Plan | None
    config_selection: aws.backup.Selection | None
    role: aws.iam.Role

    def __init__(
        self,
        name: str,
        cfg: PlatformConfig,
        key: aws.kms.Key,
        dr_key: aws.kms.Key | None,
        dr_provider: aws.Provider | None,
        database_arn: pulumi.Input[str],
        config_bucket_arn: pulumi.Input[str],
        alerting: Alerting,
        opts: pulumi.ResourceOptions | None = None,
    ):
        """``dr_provider`` (with ``dr_key``) adds the DR vault that daily recovery points are copied to.

        ``config_bucket_arn`` is protected only when ``cfg.backup.configRetentionDays`` is above 0.
        """
        super().__init__("platform:aws:Backups", name, None, opts)
        self._cfg = cfg
        child = pulumi.ResourceOptions(parent=self)
        tags = cfg.tags_for("backup")
        self.vault = self._vault("vault", cfg.name("backup"), key)
        self.dr_vault = (
            self._vault("dr-vault", cfg.name("backup", "dr"), dr_key, dr_provider)
            if dr_provider is not None and dr_key is not None
            else None
        )
        aws.backup.VaultNotifications(
            "vault",
            backup_vault_name=self.vault.name,
            sns_topic_arn=alerting.topics["critical"].arn,
            backup_vault_events=VAULT_EVENTS,
            opts=child,
        )
        self.role = aws.iam.Role(
            "backup", assume_role_policy=assume_role_policy("backup.amazonaws.com"), tags=tags, opts=child
        )
        attachments = [
            aws.iam.RolePolicyAttachment(
                f"backup-{arn.rsplit('/', 1)[-1]}", role=self.role.name, policy_arn=arn, opts=child
            )
            for arn in SERVICE_ROLE_POLICIES
        ]
        self.plan, self.selection = self._plan("database", DATABASE_RULES, database_arn, attachments)
        self.config_plan, self.config_selection = (
            self._plan("config", CONFIG_RULES, config_bucket_arn, attachments)
            if cfg.backup.config_retention_days > 0
            else (None, None)
        )
        self.register_outputs({"vault": self.vault.name})

    def _plan(
        self,
        label: str,
        rule_names: tuple[str, ...],
        resource_arn: pulumi.Input[str],
        attachments: list[aws.iam.RolePolicyAttachment],
    ) -> tuple[aws.backup.Plan, aws.backup.Selection]:
        """A plan with the enabled rules among ``rule_names``, selecting exactly one resource."""
        cfg = self._cfg
        dr_vault_arn = self.dr_vault.arn if self.dr_vault else None
        plan = aws.backup.Plan(
            f"{label}-plan",
            name=cfg.name("backup", label),
            rules=_rules(cfg.backup, rule_names, self.vault.name, dr_vault_arn),
            tags=cfg.tags_for("backup"),
            opts=pulumi.ResourceOptions(parent=self),
        )
        selection = aws.backup.Selection(
            f"{label}-selection",
            name=cfg.name("backup", label),
            plan_id=plan.id,
            iam_role_arn=self.role.arn,
            resources=[resource_arn],
            opts=pulumi.ResourceOptions(parent=self, depends_on=attachments),
        )
        return plan, selection

    def _vault(
        self, label: str, vault_name: str, key: aws.kms.Key, provider: aws.Provider | None = None
    ) -> aws.backup.Vault:
        """A vault encrypted with ``key``; locked when configured, between the shortest and longest retention."""
        cfg = self._cfg
        prod = cfg.environment == "prod"
        vault = aws.backup.Vault(
            label,
            name=vault_name,
            kms_key_arn=key.arn,
            tags=cfg.tags_for("backup"),
            opts=pulumi.ResourceOptions(parent=self, provider=provider, protect=prod),
        )
        if cfg.backup.vault_lock:
            retentions = [days for days in _retentions(cfg.backup).values() if days > 0]
            # Governance mode (no changeable_for_days): privileged principals can still lift the lock.
            aws.backup.VaultLockConfiguration(
                label,
                backup_vault_name=vault.name,
                min_retention_days=min(retentions),
                max_retention_days=max(retentions),
                opts=pulumi.ResourceOptions(parent=self, provider=provider),
            )
        return vault


def _retentions(backup: BackupConfig) -> dict[str, int]:
    """Each rule's retention in days; 0 means the rule is off."""
    return {
        "daily": backup.daily_retention_days,
        "hourly": backup.hourly_retention_days,
        "continuous": backup.continuous_retention_days,
        "config": backup.config_retention_days,
    }


def _rules(
    backup: BackupConfig,
    rule_names: tuple[str, ...],
    vault_name: pulumi.Output[str],
    dr_vault_arn: pulumi.Output[str] | None,
) -> list[Any]:
    """The enabled rules among ``rule_names``; daily and config recovery points are also copied to the DR vault."""
    schedules = {
        "daily": backup.daily_schedule,
        "hourly": backup.hourly_schedule,
        "continuous": backup.daily_schedule,
        "config": backup.daily_schedule,
    }
    rules = []
    for rule_name, days in _retentions(backup).items():
        if days == 0 or rule_name not in rule_names:
            continue
        lifecycle = {"delete_after": days}
        rule: dict[str, Any] = {
            "rule_name": rule_name,
            "target_vault_name": vault_name,
            "schedule": schedules[rule_name],
            "lifecycle": lifecycle,
            "enable_continuous_backup": rule_name == "continuous",
        }
        if rule_name == "hourly":
            rule["start_window"] = HOURLY_START_WINDOW_MINUTES
            rule["completion_window"] = HOURLY_COMPLETION_WINDOW_MINUTES
        if rule_name in ("daily", "config") and dr_vault_arn is not None:
            rule["copy_actions"] = [{"destination_vault_arn": dr_vault_arn, "lifecycle": lifecycle}]
        rules.append(rule)
    return rules
