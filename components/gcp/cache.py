"""Memorystore for Redis 7: private service access, TLS, AUTH, CMEK.

Dev runs BASIC without persistence; staging and prod run STANDARD_HA (a replica with automatic
failover) with RDB snapshots, and prod adds read replicas. Memorystore generates the AUTH
string; it is written to Secret Manager, never to config. With TLS (``SERVER_AUTHENTICATION``)
clients must trust the instance's own CA, which ``server_ca`` hands to the VMs and pods.
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_gcp as gcp

from ..config import PlatformConfig
from .keys import Keys
from .network import Network
from .project import gcp_labels
from .secrets import AppSecrets


def _persistence(cfg: PlatformConfig) -> Any:
    """RDB snapshots daily at the start of ``cache.snapshotWindow`` when snapshots are kept at all."""
    if not cfg.cache.snapshot_retention_days:
        return {"persistence_mode": "DISABLED"}
    hours, minutes = cfg.cache.snapshot_window.split("-")[0].split(":")
    return {
        "persistence_mode": "RDB",
        "rdb_snapshot_period": "TWENTY_FOUR_HOURS",
        "rdb_snapshot_start_time": f"2024-01-01T{hours}:{minutes}:00Z",
    }


class Cache(pulumi.ComponentResource):
    instance: gcp.redis.Instance
    server_ca: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        cfg: PlatformConfig,
        network: Network,
        keys: Keys,
        secrets: AppSecrets,
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__("platform:gcp:Cache", name, None, opts)
        replicas = cfg.cache.replicas if cfg.gcp.redis_tier == "STANDARD_HA" else 0
        self.instance = gcp.redis.Instance(
            "redis",
            name=cfg.name("redis"),
            region=cfg.gcp.region,
            tier=cfg.gcp.redis_tier,
            memory_size_gb=cfg.gcp.redis_memory_gb,
            redis_version=cfg.gcp.redis_version,
            connect_mode="PRIVATE_SERVICE_ACCESS",
            authorized_network=network.network.id,
            reserved_ip_range=network.private_services_range.name,
            auth_enabled=True,
            transit_encryption_mode="SERVER_AUTHENTICATION",
            customer_managed_key=keys.data.id,
            persistence_config=_persistence(cfg),
            replica_count=replicas or None,
            read_replicas_mode="READ_REPLICAS_ENABLED" if replicas else "READ_REPLICAS_DISABLED",
            labels=gcp_labels(cfg, "cache"),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[network.private_services, *keys.grants]),
        )
        secrets.store("cache-auth-string", self.instance.auth_string)
        # Clients verify the server against these (PEM; more than one while Memorystore rotates its CA).
        self.server_ca = self.instance.server_ca_certs.apply(lambda certs: "\n".join(c.cert or "" for c in certs))
        self.register_outputs({"host": self.instance.host})
