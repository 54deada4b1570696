"""Backups beyond Cloud SQL's own: a Backup and DR plan for the database, and config archives.

The Backup and DR vault (CMEK) holds the database's daily backups (``backup.dailyRetentionDays``)
and, in prod, hourly ones (``backup.hourlyRetentionDays``); its minimum enforced retention keeps
anyone from deleting them early. Where ``backup.configRetentionDays`` is set (prod: 90 days), a
daily Storage Transfer job copies the config bucket into a versioned archive bucket that keeps
each day's versions that long and then deletes them; with ``backup.copyToDr`` the archive lives in the DR region.
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_gcp as gcp

from ..config import PlatformConfig
from .keys import Keys
from .project import SECONDS_PER_DAY, gcp_labels
from .storage import grant_transfer, private_bucket, transfer_agent

SQL_RESOURCE_TYPE = "sqladmin.googleapis.com/Instance"
BACKUP_WINDOW_HOURS = 4  # jobs queued at the window's start must start within it
HOURS_PER_DAY = 24


def _rule(rule: str, days: int, start_hour: int) -> Any:
    """Daily: in a window from the database's backup hour; hourly: every hour of the day."""
    window = (
        {"start_hour_of_day": start_hour, "end_hour_of_day": (start_hour + BACKUP_WINDOW_HOURS) % HOURS_PER_DAY}
        if rule == "daily"
        else {"start_hour_of_day": 0, "end_hour_of_day": HOURS_PER_DAY}
    )
    return {
        "rule_id": rule,
        "backup_retention_days": days,
        "standard_schedule": {
            "recurrence_type": rule.upper(),
            "time_zone": "UTC",
            "backup_window": window,
            **({"hourly_frequency": 1} if rule == "hourly" else {}),
        },
    }


class Backups(pulumi.ComponentResource):
    vault: gcp.backupdisasterrecovery.BackupVault
    plan: gcp.backupdisasterrecovery.BackupPlan
    archive: gcp.storage.Bucket | None

    def __init__(
        self,
        name: str,
        cfg: PlatformConfig,
        keys: Keys,
        database: gcp.sql.DatabaseInstance,
        config_bucket: gcp.storage.Bucket,
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__("platform:gcp:Backups", name, None, opts)
        backup, region = cfg.backup, cfg.gcp.region
        child = pulumi.ResourceOptions(parent=self)
        rules = {"daily": backup.daily_retention_days, "hourly": backup.hourly_retention_days}
        rules = {rule: days for rule, days in rules.items() if days}
        self.vault = gcp.backupdisasterrecovery.BackupVault(
            "vault",
            backup_vault_id=cfg.name("vault"),
            location=region,
            backup_minimum_enforced_retention_duration=f"{min(rules.values()) * SECONDS_PER_DAY}s",
            encryption_config={"kms_key_name": keys.data.id},
            labels=gcp_labels(cfg, "backup"),
            opts=pulumi.ResourceOptions(parent=self, depends_on=keys.grants, protect=backup.vault_lock),
        )
        start = int(cfg.gcp.database_backup_start_time.split(":")[0])
        self.plan = gcp.backupdisasterrecovery.BackupPlan(
            "database",
            backup_plan_id=cfg.name("database"),
            location=region,
            resource_type=SQL_RESOURCE_TYPE,
            backup_vault=self.vault.id,
            backup_rules=[_rule(rule, days, start) for rule, days in rules.items()],
            opts=child,
        )
        gcp.backupdisasterrecovery.BackupPlanAssociation(
            "database",
            backup_plan_association_id=cfg.name("database"),
            location=region,
            resource_type=SQL_RESOURCE_TYPE,
            resource=database.id,
            backup_plan=self.plan.id,
            opts=child,
        )
        self.archive = None
        if backup.config_retention_days:
            archive_key = keys.dr_data if backup.copy_to_dr else keys.data
            assert archive_key is not None  # config: copyToDr needs DR on, and with it the DR key
            location = cfg.gcp.dr_region if backup.copy_to_dr else region
            self.archive = private_bucket(
                self, "config-archive", cfg, location, archive_key, keys, backup.config_retention_days
            )
            grants = grant_transfer(self, "archive", transfer_agent(cfg, self), config_bucket, self.archive)
            gcp.storage.TransferJob(
                "config-archive",
                description=f"{cfg.name()}: daily copy of the config bucket, kept {backup.config_retention_days} days",
                transfer_spec={
                    "gcs_data_source": {"bucket_name": config_bucket.name},
                    "gcs_data_sink": {"bucket_name": self.archive.name, "path": "daily/"},
                },
                schedule={
                    "schedule_start_date": {"year": 2024, "month": 1, "day": 1},
                    "start_time_of_day": {"hours": start, "minutes": 0, "seconds": 0, "nanos": 0},
                },
                opts=pulumi.ResourceOptions(parent=self, depends_on=grants),
            )
        self.register_outputs({"vault": self.vault.id})
