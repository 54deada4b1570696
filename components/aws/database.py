"""PostgreSQL on RDS: private, encrypted with the data key, TLS-only, audited with pgAudit.

The automated backup retention is also the point-in-time recovery window (SPEC.md: 7 days
in prod). Prod runs Multi-AZ with deletion protection and keeps a final snapshot. The
subnet group, parameter group, log exports and instance settings are shared with the DR
replica (``database_replica.py``), which needs its own copies in its region.

pgAudit (SPEC.md: databases audit DDL and role changes) is loaded through
``shared_preload_libraries``, a static parameter: RDS applies it only at a reboot
(``pending-reboot``). An instance created with the group boots with it; a later change
to it waits for the next reboot. Session logging of DDL and role statements works from the
preload; ``CREATE EXTENSION pgaudit`` (one statement, in the application's first migration)
adds the event triggers that name the objects a DDL statement touched.
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_aws as aws

from ..config import PlatformConfig
from .iam import assume_role_policy
from .network import Network

# RSA 2048 CA: supported by every PostgreSQL client, with automatic server certificate rotation.
CA_CERT_IDENTIFIER = "rds-ca-rsa2048-g1"
LOG_EXPORTS = ("postgresql", "upgrade")
MONITORING_POLICY_ARN = "arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole"


# RDS's default preload (pg_stat_statements) stays; pgAudit joins it.
PRELOAD_LIBRARIES = ("pg_stat_statements", "pgaudit")
PGAUDIT_CLASSES = ("ddl", "role")  # SPEC.md: DDL and role changes
# Parameters PostgreSQL reads only at server start: RDS refuses "immediate" for them.
STATIC_PARAMETERS = frozenset({"shared_preload_libraries"})


def postgres_parameters(cfg: PlatformConfig) -> dict[str, str]:
    """TLS required (at the configured minimum version); slow queries and every connection logged; pgAudit on
    DDL and role changes; the CIS logging flags: checkpoints and lock waits logged, and log_hostname off (CIS
    PostgreSQL: it costs a reverse DNS lookup per connection; RDS's log_line_prefix already carries the client
    address, %r, and in this VPC the name would be ip-10-... anyway)."""
    return {
        "rds.force_ssl": "1",
        "ssl_min_protocol_version": f"TLSv{cfg.security.min_tls_version}",
        "log_min_duration_statement": str(cfg.database.slow_query_ms),
        "log_connections": "1",
        "log_disconnections": "1",
        "log_checkpoints": "1",
        "log_lock_waits": "1",
        "log_hostname": "0",
        "shared_preload_libraries": ",".join(PRELOAD_LIBRARIES),
        "pgaudit.log": ",".join(PGAUDIT_CLASSES),
    }


def parameter_group(parent: pulumi.Resource, cfg: PlatformConfig) -> aws.rds.ParameterGroup:
    major = cfg.database.engine_version.split(".")[0]
    return aws.rds.ParameterGroup(
        "postgres",
        family=f"postgres{major}",
        description=f"{cfg.name()} PostgreSQL: TLS required, slow queries logged, pgAudit on DDL and roles",
        parameters=[
            {
                "name": name,
                "value": value,
                "apply_method": "pending-reboot" if name in STATIC_PARAMETERS else "immediate",
            }
            for name, value in postgres_parameters(cfg).items()
        ],
        tags=cfg.tags_for("database"),
        opts=pulumi.ResourceOptions(parent=parent),
    )


def export_log_groups(
    parent: pulumi.Resource, cfg: PlatformConfig, identifier: str, key: aws.kms.Key
) -> dict[str, aws.cloudwatch.LogGroup]:
    """The log groups RDS exports an instance's logs to. RDS would create them itself, unencrypted and kept
    forever; owning them first keeps them on the logs key for the app retention."""
    return {
        export: aws.cloudwatch.LogGroup(
            export,
            name=f"/aws/rds/instance/{identifier}/{export}",
            retention_in_days=cfg.logging.app_retention_days,
            kms_key_id=key.arn,
            tags=cfg.tags_for("database"),
            opts=pulumi.ResourceOptions(parent=parent),
        )
        for export in LOG_EXPORTS
    }


def subnet_group(parent: pulumi.Resource, cfg: PlatformConfig, network: Network) -> aws.rds.SubnetGroup:
    """The network's data subnets, which have no route to the internet."""
    return aws.rds.SubnetGroup(
        "postgres",
        description=f"{cfg.name()} PostgreSQL data subnets",
        subnet_ids=[s.id for s in network.data_subnets],
        tags=cfg.tags_for("database"),
        opts=pulumi.ResourceOptions(parent=parent),
    )


def instance_args(
    cfg: PlatformConfig,
    network: Network,
    key: aws.kms.Key,
    subnets: aws.rds.SubnetGroup,
    parameters: aws.rds.ParameterGroup,
    monitoring_role: aws.iam.Role,
) -> dict[str, Any]:
    """Instance settings the primary and its replica share, so a promoted replica runs like the primary."""
    db = cfg.database
    return {
        "instance_class": cfg.aws.database_instance_class,
        "max_allocated_storage": db.max_allocated_storage_gb,
        "storage_type": "gp3",
        "storage_encrypted": True,
        "kms_key_id": key.arn,
        "db_subnet_group_name": subnets.name,
        "parameter_group_name": parameters.name,
        "port": db.port,
        "publicly_accessible": False,
        "vpc_security_group_ids": [network.database_sg.id],
        "deletion_protection": db.deletion_protection,
        "backup_retention_period": db.backup_retention_days,
        "copy_tags_to_snapshot": True,
        "iam_database_authentication_enabled": True,
        "performance_insights_enabled": True,
        "performance_insights_kms_key_id": key.arn,
        "performance_insights_retention_period": db.performance_insights_retention_days,
        "monitoring_interval": db.monitoring_interval_seconds,
        "monitoring_role_arn": monitoring_role.arn,
        "auto_minor_version_upgrade": True,
        "ca_cert_identifier": CA_CERT_IDENTIFIER,
        "tags": cfg.tags_for("database"),
    }


class Database(pulumi.ComponentResource):
    instance: aws.rds.Instance
    parameter_group: aws.rds.ParameterGroup
    subnet_group: aws.rds.SubnetGroup
    log_group: aws.cloudwatch.LogGroup
    log_groups: dict[str, aws.cloudwatch.LogGroup]
    monitoring_role: aws.iam.Role

    def __init__(
        self,
        name: str,
        cfg: PlatformConfig,
        network: Network,
        key: aws.kms.Key,
        logs_key: aws.kms.Key,
        password: pulumi.Input[str],
        opts: pulumi.ResourceOptions | None = None,
    ):
        """``password`` is the master password, generated and stored by AppSecrets."""
        super().__init__("platform:aws:Database", name, None, opts)
        db, tags = cfg.database, cfg.tags_for("database")
        child = pulumi.ResourceOptions(parent=self)
        identifier = cfg.name("postgres")

        self.subnet_group = subnet_group(self, cfg, network)
        self.parameter_group = parameter_group(self, cfg)
        self.log_groups = export_log_groups(self, cfg, identifier, logs_key)
        self.log_group = self.log_groups["postgresql"]
        self.monitoring_role = aws.iam.Role(
            "monitoring", assume_role_policy=assume_role_policy("monitoring.rds.amazonaws.com"), tags=tags, opts=child
        )
        attachment = aws.iam.RolePolicyAttachment(
            "monitoring", role=self.monitoring_role.name, policy_arn=MONITORING_POLICY_ARN, opts=child
        )
        self.instance = aws.rds.Instance(
            "postgres",
            identifier=identifier,
            engine="postgres",
            engine_version=db.engine_version,
            allocated_storage=db.allocated_storage_gb,
            multi_az=db.high_availability,
            db_name=db.name,
            username=db.username,
            password=password,
            skip_final_snapshot=not db.deletion_protection,
            final_snapshot_identifier=cfg.name("postgres", "final") if db.deletion_protection else None,
            delete_automated_backups=not db.deletion_protection,
            enabled_cloudwatch_logs_exports=list(LOG_EXPORTS),
            **instance_args(cfg, network, key, self.subnet_group, self.parameter_group, self.monitoring_role),
            opts=pulumi.ResourceOptions(
                parent=self, protect=db.deletion_protection, depends_on=[*self.log_groups.values(), attachment]
            ),
        )
        self.register_outputs({"endpoint": self.instance.address})
