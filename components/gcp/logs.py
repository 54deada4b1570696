"""Log buckets: one per app tier, one for the database's logs, one for the load balancer's requests and one for
audit logs, CMEK-encrypted, kept per environment.

Sinks route each tier's log (the container's output, written by the instances' Ops Agent as
``platform-<tier>``), each Cloud SQL instance's own logs, the load balancer's request log and the
project's Cloud Audit Logs into them, so retention is ours: ``logging.appRetentionDays`` and
``logging.auditRetentionDays``.

Data Access audit logs are on for reads and writes of configuration on every service, and for every
read and write of data in Cloud Storage and Cloud SQL: Google recommends them over the legacy usage
logs for watching who reads the config and archive buckets, and Cloud SQL writes its pgAudit entries
there. Admin Activity logs are always on.

With DR (prod) the audit logs are also routed to an audit bucket in the DR region. SPEC.md's DR row
replicates object storage; on GCP audit logs are not objects but log entries, yet they fall under the
same need (365 days of audit trail that must outlive the primary region), and Cloud Logging delivers
each entry to every matching sink as it is written, so a second sink keeps a copy there with no lag.
The DR replica's own logs go to a database bucket in its region.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_gcp as gcp

from ..config import TIERS, PlatformConfig, Tier
from .keys import Keys
from .startup import log_name

AUDIT_LOG_TYPES = ("ADMIN_READ", "DATA_WRITE")
# Services whose every data read and write is audited too: the buckets' objects, the database's pgAudit entries.
DATA_READ_AUDITED = ("storage.googleapis.com", "cloudsql.googleapis.com")
AUDIT_LOGS = 'logName:"projects/{project}/logs/cloudaudit.googleapis.com"'
LOAD_BALANCER_LOGS = "http_load_balancer"  # the global external Application Load Balancer's request log


def app_log_name(cfg: PlatformConfig, tier: Tier) -> str:
    return f"projects/{cfg.gcp.project}/logs/{log_name(tier)}"


def database_logs(cfg: PlatformConfig, instance: str) -> str:
    """A Cloud SQL instance's own logs (postgres.log and the like), not its audit entries."""
    return (
        f'resource.type="cloudsql_database" AND resource.labels.database_id="{cfg.gcp.project}:{instance}"'
        ' AND NOT logName:"cloudaudit.googleapis.com"'
    )


@dataclass(frozen=True)
class LogBucket:
    bucket: gcp.logging.ProjectBucketConfig
    sink: gcp.logging.ProjectSink
    audit: bool  # holds audit logs: readable by admins only


class AppLogs(pulumi.ComponentResource):
    buckets: dict[Tier, gcp.logging.ProjectBucketConfig]
    audit: gcp.logging.ProjectBucketConfig
    all: dict[str, LogBucket]

    def __init__(self, name: str, cfg: PlatformConfig, keys: Keys, opts: pulumi.ResourceOptions | None = None):
        super().__init__("platform:gcp:AppLogs", name, None, opts)
        self._cfg, self._keys = cfg, keys
        self.all = {}
        app_days, audit_days = cfg.logging.app_retention_days, cfg.logging.audit_retention_days
        for tier in TIERS:
            self._bucket(tier, app_days, f'logName="{app_log_name(cfg, tier)}"')
        self._bucket("database", app_days, database_logs(cfg, cfg.name("postgres")))
        # The load balancer's request log, Cloud Armor's verdicts included (armor.py).
        self._bucket("load-balancer", app_days, f'resource.type="{LOAD_BALANCER_LOGS}"')
        audit_filter = AUDIT_LOGS.format(project=cfg.gcp.project)
        self._bucket("audit", audit_days, audit_filter, audit=True)
        if keys.dr_logs is not None:  # the DR keys exist exactly when DR is on
            dr = (cfg.gcp.dr_region, keys.dr_logs)
            self._bucket("database-dr", app_days, database_logs(cfg, cfg.name("postgres", "dr")), where=dr)
            self._bucket("audit-dr", audit_days, audit_filter, audit=True, where=dr)
        self.buckets = {tier: self.all[tier].bucket for tier in TIERS}
        self.audit = self.all["audit"].bucket
        gcp.projects.IAMAuditConfig(
            "audit",
            project=cfg.gcp.project,
            service="allServices",
            audit_log_configs=[{"log_type": log_type} for log_type in AUDIT_LOG_TYPES],
            opts=pulumi.ResourceOptions(parent=self),
        )
        for service in DATA_READ_AUDITED:
            gcp.projects.IAMAuditConfig(
                f"audit-{service.split('.')[0]}",
                project=cfg.gcp.project,
                service=service,
                audit_log_configs=[{"log_type": "DATA_READ"}, {"log_type": "DATA_WRITE"}],
                opts=pulumi.ResourceOptions(parent=self),
            )
        self.register_outputs({"audit_bucket": self.audit.name})

    def _bucket(
        self,
        purpose: str,
        days: int,
        log_filter: str,
        audit: bool = False,
        where: tuple[str, gcp.kms.CryptoKey] | None = None,
    ) -> None:
        """A bucket kept ``days`` in ``where`` (region and its logs key; the primary's by default), and its sink."""
        cfg = self._cfg
        region, key = where or (cfg.gcp.region, self._keys.logs)
        bucket = gcp.logging.ProjectBucketConfig(
            purpose,
            project=cfg.gcp.project,
            location=region,
            bucket_id=cfg.name(purpose),
            retention_days=days,
            cmek_settings={"kms_key_name": key.id},
            description=f"{cfg.name()} {purpose} logs, kept {days} days",
            opts=pulumi.ResourceOptions(parent=self, depends_on=self._keys.grants),
        )
        sink = gcp.logging.ProjectSink(
            purpose,
            name=cfg.name(purpose),
            project=cfg.gcp.project,
            destination=pulumi.Output.concat("logging.googleapis.com/", bucket.id),
            filter=log_filter,
            unique_writer_identity=True,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.all[purpose] = LogBucket(bucket, sink, audit)
