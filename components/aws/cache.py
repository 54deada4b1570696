"""Redis on ElastiCache: private, encrypted at rest with the data key, TLS and AUTH required.

Persistence is the snapshot retention: 0 (dev) keeps no snapshots, staging and prod keep
daily ones. Prod adds a replica in another zone with automatic failover. The weekly
maintenance window is pinned (``aws.cacheMaintenanceWindow``) rather than left to chance.
"""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from ..config import PlatformConfig
from .network import Network


class Cache(pulumi.ComponentResource):
    replication_group: aws.elasticache.ReplicationGroup
    parameter_group: aws.elasticache.ParameterGroup
    subnet_group: aws.elasticache.SubnetGroup
    log_group: aws.cloudwatch.LogGroup

    def __init__(
        self,
        name: str,
        cfg: PlatformConfig,
        network: Network,
        key: aws.kms.Key,
        logs_key: aws.kms.Key,
        auth_token: pulumi.Input[str],
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__("platform:aws:Cache", name, None, opts)
        cache, tags = cfg.cache, cfg.tags_for("cache")
        child = pulumi.ResourceOptions(parent=self)
        group_id = cfg.name("redis")
        major = cache.engine_version.split(".")[0]

        self.subnet_group = aws.elasticache.SubnetGroup(
            "redis",
            name=group_id,
            description=f"{cfg.name()} Redis data subnets",
            subnet_ids=[s.id for s in network.data_subnets],
            tags=tags,
            opts=child,
        )
        # An own group (the default ones cannot be changed) so tuning is an in-place parameter edit.
        self.parameter_group = aws.elasticache.ParameterGroup(
            "redis", family=f"redis{major}", description=f"{cfg.name()} Redis {major}", tags=tags, opts=child
        )
        self.log_group = aws.cloudwatch.LogGroup(
            "slow-log",
            name=f"/aws/elasticache/{group_id}/slow-log",
            retention_in_days=cfg.logging.app_retention_days,
            kms_key_id=logs_key.arn,
            tags=tags,
            opts=child,
        )
        persistent = cache.snapshot_retention_days > 0
        self.replication_group = aws.elasticache.ReplicationGroup(
            "redis",
            replication_group_id=group_id,
            description=f"{cfg.name()} Redis",
            engine="redis",
            engine_version=cache.engine_version,
            node_type=cfg.aws.cache_node_type,
            port=cache.port,
            num_cache_clusters=1 + cache.replicas,
            automatic_failover_enabled=cache.automatic_failover,
            multi_az_enabled=cache.automatic_failover,
            subnet_group_name=self.subnet_group.name,
            parameter_group_name=self.parameter_group.name,
            security_group_ids=[network.cache_sg.id],
            at_rest_encryption_enabled=True,
            kms_key_id=key.arn,
            transit_encryption_enabled=True,
            transit_encryption_mode="required",
            auth_token=pulumi.Output.secret(auth_token),
            snapshot_retention_limit=cache.snapshot_retention_days,
            snapshot_window=cache.snapshot_window if persistent else None,
            maintenance_window=cfg.aws.cache_maintenance_window,  # config keeps it off the snapshot window
            log_delivery_configurations=[
                {
                    "destination": self.log_group.name,
                    "destination_type": "cloudwatch-logs",
                    "log_format": "json",
                    "log_type": "slow-log",
                }
            ],
            auto_minor_version_upgrade=True,
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self, protect=cfg.environment == "prod"),
        )
        self.register_outputs({"endpoint": self.replication_group.primary_endpoint_address})
