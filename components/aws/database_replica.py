"""The disaster-recovery copy of PostgreSQL: an encrypted cross-region read replica.

It meets SPEC.md's RPO of 1 hour (replication lag is alarmed at 5 minutes) and RTO of
4 hours: promoting it gives a standalone database in the DR region with the primary's
settings, TLS rules, pgAudit and point-in-time recovery. It is created with the DR-region
provider the parent passes in, and so uses the DR-region network, data key and logs key; it
exports its PostgreSQL logs (pgAudit's included) to log groups of its own region.

RDS refuses a parameter group when it creates a PostgreSQL read replica, so the provider
attaches the group in a modification right after: the dynamic parameters apply at once, the
static ``shared_preload_libraries`` (pgAudit) at the replica's next reboot, and at the latest
when failover promotes it, since promotion reboots the instance.
"""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from ..config import PlatformConfig
from .database import LOG_EXPORTS, Database, export_log_groups, instance_args, parameter_group, subnet_group
from .network import Network


class DatabaseReplica(pulumi.ComponentResource):
    instance: aws.rds.Instance
    parameter_group: aws.rds.ParameterGroup
    subnet_group: aws.rds.SubnetGroup
    log_groups: dict[str, aws.cloudwatch.LogGroup]

    def __init__(
        self,
        name: str,
        cfg: PlatformConfig,
        source: Database,
        network: Network,
        key: aws.kms.Key,
        logs_key: aws.kms.Key,
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__("platform:aws:DatabaseReplica", name, None, opts)
        identifier = cfg.name("postgres", "dr")
        self.subnet_group = subnet_group(self, cfg, network)
        self.parameter_group = parameter_group(self, cfg)
        self.log_groups = export_log_groups(self, cfg, identifier, logs_key)
        self.instance = aws.rds.Instance(
            "postgres",
            identifier=identifier,
            # A cross-region source is named by ARN; the replica re-encrypts with the DR-region key.
            replicate_source_db=source.instance.arn,
            # Nothing is lost with a replica: the primary and its snapshots hold the data.
            skip_final_snapshot=True,
            enabled_cloudwatch_logs_exports=list(LOG_EXPORTS),
            **instance_args(cfg, network, key, self.subnet_group, self.parameter_group, source.monitoring_role),
            opts=pulumi.ResourceOptions(
                parent=self, protect=cfg.database.deletion_protection, depends_on=list(self.log_groups.values())
            ),
        )
        self.register_outputs({"endpoint": self.instance.address})
