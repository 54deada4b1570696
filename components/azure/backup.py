"""Azure Backup for the PostgreSQL Flexible Server: a Backup vault, a daily policy and the server's backup instance.

SPEC.md's database backups map onto two Azure mechanisms:

- daily full backups kept ``backup.dailyRetentionDays`` (30): a vaulted Azure Backup policy. For
  ``Microsoft.DBforPostgreSQL/flexibleServers`` Azure Backup offers daily or weekly full backups into the vault
  store only (no hourly schedule, no operational tier);
- hourly restore points and point-in-time recovery (prod: 7 days): the server's own PITR window
  (``database.backupRetentionDays``, continuous WAL backup), so config requires those retentions to fit inside it.

The vault encrypts with the ``service-keys`` vault's key (keys.py) through that vault's user-assigned identity
(double encryption on): Azure accepts only a user-assigned identity when a Backup vault is created with a
customer-managed key, and does not support that identity against a network-restricted key vault. It keeps
deleted recovery points (soft delete) and, with ``backup.vaultLock`` (prod), is immutable in its reversible
("Unlocked") state, like AWS Backup's governance mode. Azure Backup takes the server's backups
with the vault's system-assigned identity, which gets the PostgreSQL long-term-retention backup role on the server
and Reader on its resource group.

Copies in the DR region (``backup.copyToDr``, prod): a Backup vault protects only servers in its own region and
cannot copy recovery points to another vault, so a vault in ``drLocation`` would hold nothing. Instead the vault
is geo-redundant with cross-region restore: recovery points are replicated to the location's paired region (which
config requires ``drLocation`` to be) and restorable there at any time, not only after Azure declares an outage.
"""

from __future__ import annotations

from typing import Any, cast

import pulumi
from pulumi_azure_native import dataprotection, dbforpostgresql, resources

from ..config import PlatformConfig
from .common import compact, grant
from .keys import Keys

POSTGRES = "Microsoft.DBforPostgreSQL/flexibleServers"
VAULT_STORE = {"data_store_type": "VaultStore", "object_type": "DataStoreInfoBase"}
SOFT_DELETE_DAYS = 14  # Azure keeps soft-deleted recovery points 14-180 days; the shortest, as retention is set
SCHEDULE_START = "2024-01-01"  # the anchor date of the repeating schedule; only its time of day matters
DEFAULT_TAG_PRIORITY = 99  # the default tagging criterion's priority, as Azure's own default policies set it
# What the vault's identity needs to back up a flexible server (Az.DataProtection's PGFlex manifest).
SERVER_ROLE = "PostgreSQL Flexible Server Long Term Retention Backup Role"
RESOURCE_GROUP_ROLE = "Reader"


def daily_time(schedule: str) -> str:
    """``HH:MM`` (UTC) of ``backup.dailySchedule``, which config holds to ``cron(M H * * ? *)``: one time a day."""
    minute, hour = schedule.removeprefix("cron(").split()[:2]
    return f"{int(hour):02d}:{int(minute):02d}"


class Backup(pulumi.ComponentResource):
    vault: dataprotection.BackupVault
    vault_name: str
    policy: dataprotection.BackupPolicy
    instance: dataprotection.BackupInstance

    def __init__(
        self,
        name: str,
        cfg: PlatformConfig,
        resource_group: resources.ResourceGroup,
        location: str,
        keys: Keys,
        server: dbforpostgresql.Server,
        subscription_id: pulumi.Input[str],
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__("platform:azure:Backup", name, None, opts)
        backup = cfg.backup
        tags = cfg.tags_for("backup")
        geo = backup.copy_to_dr
        self.vault_name = compact(cfg, "backup")
        self.vault = dataprotection.BackupVault(
            f"{name}-vault",
            resource_group_name=resource_group.name,
            vault_name=self.vault_name,
            location=location,
            identity={"type": "SystemAssigned,UserAssigned", "user_assigned_identities": [keys.identity.id]},
            properties={
                "storage_settings": [
                    {"datastore_type": "VaultStore", "type": "GeoRedundant" if geo else "LocallyRedundant"}
                ],
                "feature_settings": {"cross_region_restore_settings": {"state": "Enabled" if geo else "Disabled"}},
                "security_settings": {
                    "encryption_settings": {
                        "state": "Enabled",
                        "key_vault_properties": {"key_uri": keys.key.key_uri},  # versionless: follows rotation
                        "kek_identity": {"identity_type": "UserAssigned", "identity_id": keys.identity.id},
                        "infrastructure_encryption": "Enabled",
                    },
                    "soft_delete_settings": {"state": "On", "retention_duration_in_days": SOFT_DELETE_DAYS},
                    "immutability_settings": {"state": "Unlocked" if backup.vault_lock else "Disabled"},
                },
                "monitoring_settings": {"azure_monitor_alert_settings": {"alerts_for_all_job_failures": "Enabled"}},
            },
            tags=tags,
            # Azure checks the identity's access to the key when the vault is created.
            opts=pulumi.ResourceOptions(
                parent=self, depends_on=[keys.key, keys.crypto_grant], protect=cfg.database.deletion_protection
            ),
        )
        self.policy = dataprotection.BackupPolicy(
            f"{name}-policy",
            resource_group_name=resource_group.name,
            vault_name=self.vault.name,
            backup_policy_name="postgres-daily",
            properties={
                "object_type": "BackupPolicy",
                "datasource_types": [POSTGRES],
                "policy_rules": [_daily_rule(backup.daily_schedule), _retention_rule(backup.daily_retention_days)],
            },
            opts=pulumi.ResourceOptions(parent=self),
        )
        # The vault's system-assigned identity, known once the vault exists.
        principal = cast(pulumi.Output[str], self.vault.identity.apply(lambda i: i.principal_id if i else None))
        grants = [
            grant(f"{name}-server-ltr", server.id, principal, SERVER_ROLE, subscription_id, self),
            grant(f"{name}-group-reader", resource_group.id, principal, RESOURCE_GROUP_ROLE, subscription_id, self),
        ]
        datasource: dataprotection.DatasourceArgsDict = {
            "object_type": "Datasource",
            "datasource_type": POSTGRES,
            "resource_type": POSTGRES,
            "resource_id": server.id,
            "resource_uri": server.id,
            "resource_name": server.name,
            "resource_location": location,
        }
        self.instance = dataprotection.BackupInstance(
            f"{name}-postgres",
            resource_group_name=resource_group.name,
            vault_name=self.vault.name,
            backup_instance_name=cfg.name("postgres"),
            properties={
                "object_type": "BackupInstance",
                "friendly_name": cfg.name("postgres"),
                "data_source_info": datasource,
                "data_source_set_info": cast(
                    dataprotection.DatasourceSetArgsDict, {**datasource, "object_type": "DatasourceSet"}
                ),
                "policy_info": {"policy_id": self.policy.id},
            },
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self, depends_on=grants),
        )
        self.register_outputs({"vault": self.vault.name})


def _daily_rule(schedule: str) -> Any:
    """A full backup into the vault store once a day, tagged for the default retention rule."""
    return {
        "object_type": "AzureBackupRule",
        "name": "BackupDaily",
        "backup_parameters": {"object_type": "AzureBackupParams", "backup_type": "Full"},
        "data_store": VAULT_STORE,
        "trigger": {
            "object_type": "ScheduleBasedTriggerContext",
            "schedule": {
                "repeating_time_intervals": [f"R/{SCHEDULE_START}T{daily_time(schedule)}:00+00:00/P1D"],
                "time_zone": "UTC",
            },
            "tagging_criteria": [
                {"is_default": True, "tagging_priority": DEFAULT_TAG_PRIORITY, "tag_info": {"tag_name": "Default"}}
            ],
        },
    }


def _retention_rule(days: int) -> Any:
    return {
        "object_type": "AzureRetentionRule",
        "name": "Default",
        "is_default": True,
        "lifecycles": [
            {
                "source_data_store": VAULT_STORE,
                "delete_after": {"object_type": "AbsoluteDeleteOption", "duration": f"P{days}D"},
            }
        ],
    }
