"""The disaster-recovery copy of PostgreSQL: an encrypted cross-region read replica.

It meets SPEC.md's RPO of 1 hour (replication lag is alarmed at 5 minutes) and RTO of
4 hours: promoting it gives a standalone database in the DR region with the primary's
settings, TLS rules and point-in-time recovery. It is created with the DR-region provider
the parent passes in, and so uses the DR-region network and data key.
"""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from ..config import PlatformConfig
from .database import Database, instance_args, parameter_group, subnet_group
from .network import Network


class DatabaseReplica(pulumi.ComponentResource):
    instance: aws.rds.Instance
    parameter_group: aws.rds.ParameterGroup
    subnet_group: aws.rds.SubnetGroup

    def __init__(
        self,
        name: str,
        cfg: PlatformConfig,
        source: Database,
        network: Network,
        key: aws.kms.Key,
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__("platform:aws:DatabaseReplica", name, None, opts)
        self.subnet_group = subnet_group(self, cfg, network)
        self.parameter_group = parameter_group(self, cfg)
        self.instance = aws.rds.Instance(
            "postgres",
            identifier=cfg.name("postgres", "dr"),
            # A cross-region source is named by ARN; the replica re-encrypts with the DR-region key.
            replicate_source_db=source.instance.arn,
            # Nothing is lost with a replica: the primary and its snapshots hold the data.
            skip_final_snapshot=True,
            **instance_args(cfg, network, key, self.subnet_group, self.parameter_group, source.monitoring_role),
            opts=pulumi.ResourceOptions(parent=self, protect=cfg.database.deletion_protection),
        )
        self.register_outputs({"endpoint": self.instance.address})
