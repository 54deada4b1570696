"""Cloud SQL for PostgreSQL 14: private IP only, CMEK, TLS-only, slow queries logged, PITR.

Prod runs REGIONAL (a standby in another zone) with deletion protection, keeps its backups in
the DR region and has a cross-region read replica there (what failover promotes), with the same
logging and pgAudit flags as the primary. pgAudit logs DDL and role statements once its flags are on;
for DDL object names it also wants ``CREATE EXTENSION pgaudit`` in the database, which Cloud SQL says
Terraform cannot create (and the instance has no public address): the application's migrations run it. Backups are
Cloud SQL's standard automated backups, the option that supports CMEK and a custom (DR) region:
one a day, ``backup.dailyRetentionDays`` of them (the database's own retention where backups are
off); the point-in-time window, ``database.backupRetentionDays``, covers SPEC's hourly backups (any
second of the last 7 days, not only each hour).
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_gcp as gcp

from ..config import PlatformConfig
from ..config.gcp import cloud_sql_retained_backups
from .keys import Keys
from .network import Network
from .project import gcp_labels

# pgAudit (SPEC.md: databases audit DDL and role changes): Cloud SQL writes its entries to the Data Access
# audit log, which logs.py routes to the audit buckets. Statement parameters stay out (they may carry values).
PGAUDIT_LOG = "ddl,role"
# The CIS Google Cloud benchmark's logging flags for Cloud SQL for PostgreSQL (section 6.2) that Cloud SQL
# supports, at the benchmark's values. Two are left out on purpose: log_min_duration_statement is SPEC's
# slow-query threshold (CIS asks for -1; the slow-query alarm reads those lines), and log_duration would
# log every statement's duration.
CIS_LOGGING_FLAGS = {
    "log_checkpoints": "on",
    "log_lock_waits": "on",
    "log_hostname": "on",
    "log_connections": "on",
    "log_disconnections": "on",
    "log_statement": "ddl",
    "log_error_verbosity": "default",
    "log_min_messages": "warning",
    "log_min_error_statement": "error",
    "log_temp_files": "0",
}


def postgres_flags(cfg: PlatformConfig) -> dict[str, str]:
    """Slow statements, connections, checkpoints, lock waits and errors logged, pgAudit on (Cloud SQL enforces
    TLS through ``sslMode``). The primary and the DR replica share them, so a promoted replica still audits."""
    return {
        "log_min_duration_statement": str(cfg.database.slow_query_ms),
        **CIS_LOGGING_FLAGS,
        "cloudsql.enable_pgaudit": "on",
        "pgaudit.log": PGAUDIT_LOG,
        "pgaudit.log_parameter": "off",
        "cloudsql.iam_authentication": "on",
    }


def _settings(cfg: PlatformConfig, network: Network, availability: str, **extra: Any) -> Any:
    """Settings the primary and its replica share, so a promoted replica runs like the primary."""
    db = cfg.database
    return {
        "tier": cfg.gcp.database_tier,
        "edition": "ENTERPRISE",
        "availability_type": availability,
        "disk_type": "PD_SSD",
        "disk_size": db.allocated_storage_gb,
        "disk_autoresize": True,
        "disk_autoresize_limit": db.max_allocated_storage_gb,
        "deletion_protection_enabled": db.deletion_protection,
        "ip_configuration": {
            "ipv4_enabled": False,
            "private_network": network.network.id,
            "allocated_ip_range": network.private_services_range.name,
            "ssl_mode": "ENCRYPTED_ONLY",
        },
        "database_flags": [{"name": name, "value": value} for name, value in postgres_flags(cfg).items()],
        "insights_config": {"query_insights_enabled": True, "record_application_tags": True},
        "user_labels": gcp_labels(cfg, "database"),
        **extra,
    }


class Database(pulumi.ComponentResource):
    instance: gcp.sql.DatabaseInstance
    replica: gcp.sql.DatabaseInstance | None

    def __init__(
        self,
        name: str,
        cfg: PlatformConfig,
        network: Network,
        keys: Keys,
        password: pulumi.Input[str],
        opts: pulumi.ResourceOptions | None = None,
    ):
        """``password`` is the application user's password, generated and stored by AppSecrets."""
        super().__init__("platform:gcp:Database", name, None, opts)
        db, backup = cfg.database, cfg.backup
        version = f"POSTGRES_{db.engine_version.split('.')[0]}"
        protected = pulumi.ResourceOptions(
            parent=self, protect=db.deletion_protection, depends_on=[network.private_services, *keys.grants]
        )
        self.instance = gcp.sql.DatabaseInstance(
            "postgres",
            name=cfg.name("postgres"),
            database_version=version,
            region=cfg.gcp.region,
            encryption_key_name=keys.data.id,
            deletion_protection=db.deletion_protection,
            settings=_settings(
                cfg,
                network,
                "REGIONAL" if db.high_availability else "ZONAL",
                backup_configuration={
                    "enabled": True,
                    "start_time": cfg.gcp.database_backup_start_time,
                    "location": cfg.gcp.dr_region if backup.copy_to_dr else cfg.gcp.region,
                    "point_in_time_recovery_enabled": True,
                    "transaction_log_retention_days": db.backup_retention_days,
                    "backup_retention_settings": {
                        "retained_backups": cloud_sql_retained_backups(cfg),
                        "retention_unit": "COUNT",
                    },
                },
                # Prod keeps a last backup when the instance is deleted (SPEC.md: final snapshot).
                final_backup_config={
                    "enabled": db.deletion_protection,
                    "retention_days": backup.daily_retention_days,
                },
            ),
            opts=protected,
        )
        child = pulumi.ResourceOptions(parent=self)
        gcp.sql.Database("platform", name=db.name, instance=self.instance.name, opts=child)
        gcp.sql.User("app", name=db.username, instance=self.instance.name, password=password, opts=child)
        self.replica = None
        if cfg.disaster_recovery.enabled:
            assert keys.dr_data is not None  # Keys makes the DR key when DR is on
            self.replica = gcp.sql.DatabaseInstance(
                "postgres-dr",
                name=cfg.name("postgres", "dr"),
                database_version=version,
                region=cfg.gcp.dr_region,
                master_instance_name=self.instance.name,
                replica_configuration={"failover_target": False},
                encryption_key_name=keys.dr_data.id,
                deletion_protection=db.deletion_protection,
                settings=_settings(cfg, network, "ZONAL"),
                opts=protected,
            )
        self.register_outputs({"endpoint": self.instance.private_ip_address})
