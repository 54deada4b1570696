"""Log buckets: one per app tier and one for audit logs, CMEK-encrypted, kept per environment.

Sinks route each tier's log (the container's output, written by the instances' Ops Agent as
``platform-<tier>``) and the
project's Cloud Audit Logs into them, so retention is ours: ``logging.appRetentionDays`` and
``logging.auditRetentionDays``. Data Access audit logs (reads and writes of configuration) are
switched on for every service; Admin Activity logs are always on.
"""

from __future__ import annotations

import pulumi
import pulumi_gcp as gcp

from ..config import TIERS, PlatformConfig, Tier
from .keys import Keys
from .startup import log_name

AUDIT_LOG_TYPES = ("ADMIN_READ", "DATA_WRITE")


def app_log_name(cfg: PlatformConfig, tier: Tier) -> str:
    return f"projects/{cfg.gcp.project}/logs/{log_name(tier)}"


class AppLogs(pulumi.ComponentResource):
    buckets: dict[Tier, gcp.logging.ProjectBucketConfig]
    audit: gcp.logging.ProjectBucketConfig

    def __init__(self, name: str, cfg: PlatformConfig, keys: Keys, opts: pulumi.ResourceOptions | None = None):
        super().__init__("platform:gcp:AppLogs", name, None, opts)
        self._cfg, self._keys = cfg, keys
        self.buckets = {
            tier: self._bucket(tier, cfg.logging.app_retention_days, f'logName="{app_log_name(cfg, tier)}"')
            for tier in TIERS
        }
        self.audit = self._bucket(
            "audit",
            cfg.logging.audit_retention_days,
            f'logName:"projects/{cfg.gcp.project}/logs/cloudaudit.googleapis.com"',
        )
        gcp.projects.IAMAuditConfig(
            "audit",
            project=cfg.gcp.project,
            service="allServices",
            audit_log_configs=[{"log_type": log_type} for log_type in AUDIT_LOG_TYPES],
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs({"audit_bucket": self.audit.name})

    def _bucket(self, purpose: str, days: int, log_filter: str) -> gcp.logging.ProjectBucketConfig:
        cfg = self._cfg
        bucket = gcp.logging.ProjectBucketConfig(
            purpose,
            project=cfg.gcp.project,
            location=cfg.gcp.region,
            bucket_id=cfg.name(purpose),
            retention_days=days,
            cmek_settings={"kms_key_name": self._keys.logs.id},
            description=f"{cfg.name()} {purpose} logs, kept {days} days",
            opts=pulumi.ResourceOptions(parent=self, depends_on=self._keys.grants),
        )
        gcp.logging.ProjectSink(
            purpose,
            name=cfg.name(purpose),
            project=cfg.gcp.project,
            destination=pulumi.Output.concat("logging.googleapis.com/", bucket.id),
            filter=log_filter,
            unique_writer_identity=True,
            opts=pulumi.ResourceOptions(parent=self),
        )
        return bucket
