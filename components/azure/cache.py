"""Azure Cache for Redis: TLS 1.2+ only, private endpoint, RDB persistence where snapshots are kept, zones in prod.

Version: Azure Cache for Redis offers Redis 6 at most (``azure.redisVersion``). Redis 7.x exists only in Azure
Managed Redis, a separate product (``Microsoft.Cache/redisEnterprise``) with other SKUs and APIs.

Tiers: persistence, more than one replica and zone pinning need Premium; the config rejects Basic/Standard with
snapshots or replicas (``azure.redisSku``). Dev runs Standard without persistence; staging and prod run Premium
with RDB snapshots every ``azure.redisRdbFrequencyMinutes`` to a blob account of their own (Storage creates it),
written by the cache's system-assigned identity, which holds Storage Blob Data Contributor on that account only
(no storage keys). Azure keeps just the latest RDB file. Prod adds ``cache.replicas`` replicas spread over as
many zones as there are nodes.

Persistence through the storage firewall: Azure Cache for Redis writes from outside our VNets, so the account
must let it in as a trusted service. That works only with managed-identity authentication (with an account key
the firewall breaks persistence), only through the cache's *system-assigned* identity (Azure's Redis docs: the
trusted-services exception recognises the cache by it; a user-assigned one is not enough), and only while the
account's public network access is ``Enabled`` with a deny-by-default firewall: ``Disabled`` admits private
endpoints alone, and Redis cannot write through one. The system-assigned identity exists only once the cache
does, so the role assignment follows the cache; the first snapshot is taken one backup interval (15 minutes at
least) after persistence is turned on, by when the assignment is in place.

Encryption at rest: Basic/Standard/Premium have no customer-managed key option (CMK is an Enterprise / Managed
Redis feature); the RDB files are encrypted by the CMK of the storage account they land in.

Geo-replication: not configured. Premium passive geo-replication (a linked cache in ``azure.drLocation``) is
incompatible with what prod needs: Azure does not support it together with data persistence or zone
redundancy, nor on caches with more than one replica, and private endpoints cannot be added to an already
linked cache. Prod keeps persistence and zone redundancy; after a regional failover the cache in the DR
region starts empty and refills from the database (it holds only derived data, SPEC's TTL 300 s).

Access: clients authenticate with the primary access key, which AppSecrets stores in Key Vault (``access_key``
is a Pulumi secret).
"""

from __future__ import annotations

import pulumi
from pulumi_azure_native import redis, storage

from ..config import PlatformConfig
from .common import client_config, grant
from .network import Network

RDB_SNAPSHOTS_KEPT = "1"  # Azure Cache for Redis keeps only the latest RDB snapshot
HIGHEST_MIN_TLS = "1.2"  # the highest minimum TLS Azure Cache for Redis enforces (clients may still use 1.3)


class Cache(pulumi.ComponentResource):
    redis: redis.Redis
    access_key: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        cfg: PlatformConfig,
        resource_group: pulumi.Input[str],
        location: str,
        network_: Network,
        persistence_account: storage.StorageAccount | None,
        opts: pulumi.ResourceOptions | None = None,
    ):
        """``persistence_account``, given when ``cache.snapshotRetentionDays`` > 0, receives the RDB snapshots."""
        super().__init__("platform:azure:Cache", name, None, opts)
        tags = cfg.tags_for("cache")
        az, cache = cfg.azure, cfg.cache
        premium = az.redis_sku == "Premium"
        configuration: redis.RedisCommonPropertiesRedisConfigurationArgsDict = {}
        subscription_id = client_config(self).subscription_id
        if persistence_account:
            configuration = {
                "rdb_backup_enabled": "true",
                "rdb_backup_frequency": str(az.redis_rdb_frequency_minutes),
                "rdb_backup_max_snapshot_count": RDB_SNAPSHOTS_KEPT,
                "rdb_storage_connection_string": pulumi.Output.concat(
                    "BlobEndpoint=https://", persistence_account.name, ".blob.core.windows.net/"
                ),
                "preferred_data_persistence_auth_method": "ManagedIdentity",
                "storage_subscription_id": subscription_id,
            }
        zone_redundant = premium and cache.automatic_failover
        self.redis = redis.Redis(
            f"{name}-redis",
            resource_group_name=resource_group,
            name=cfg.name("redis"),
            location=location,
            sku={"name": az.redis_sku, "family": "P" if premium else "C", "capacity": az.redis_capacity},
            redis_version=az.redis_version,
            enable_non_ssl_port=False,
            minimum_tls_version=min(cfg.security.min_tls_version, HIGHEST_MIN_TLS),
            public_network_access="Disabled",
            replicas_per_primary=cache.replicas if premium and cache.replicas else None,
            zones=az.zones[: cache.replicas + 1] if zone_redundant else None,
            zonal_allocation_policy="UserDefined" if zone_redundant else None,
            identity={"type": "SystemAssigned"} if persistence_account else None,
            redis_configuration=configuration,
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self, protect=cfg.database.deletion_protection),
        )
        if persistence_account:
            grant(
                f"{name}-persistence-writer",
                persistence_account.id,
                self.redis.identity.apply(lambda identity: identity.principal_id if identity else ""),
                "Storage Blob Data Contributor",
                subscription_id,
                self,
            )
        network_.private_endpoint(self, name, self.redis.id, "redisCache", "redis", tags)
        keys = redis.list_redis_keys_output(
            resource_group_name=resource_group, name=self.redis.name, opts=pulumi.InvokeOutputOptions(parent=self)
        )
        self.access_key = pulumi.Output.secret(keys.primary_key)
        self.register_outputs({"host": self.redis.host_name})
