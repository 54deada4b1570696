"""GCP settings (components/gcp): project, regions, sizes, identities. SPEC numbers stay in the shared sections."""

from __future__ import annotations

import ipaddress
import itertools
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import Field, field_validator, model_validator

from .base import TIERS, Model, Tier, region_validator

if TYPE_CHECKING:
    from .platform import PlatformConfig

GCP_REGIONS = frozenset(
    [
        "us-central1",
        "us-east1",
        "us-east4",
        "us-east5",
        "us-south1",
        "us-west1",
        "us-west2",
        "us-west3",
        "us-west4",
        "northamerica-northeast1",
        "northamerica-northeast2",
        "southamerica-east1",
        "southamerica-west1",
        "europe-west1",
        "europe-west2",
        "europe-west3",
        "europe-west4",
        "europe-west6",
        "europe-west8",
        "europe-west9",
        "europe-west10",
        "europe-west12",
        "europe-north1",
        "europe-central2",
        "europe-southwest1",
        "asia-east1",
        "asia-east2",
        "asia-northeast1",
        "asia-northeast2",
        "asia-northeast3",
        "asia-south1",
        "asia-south2",
        "asia-southeast1",
        "asia-southeast2",
        "australia-southeast1",
        "australia-southeast2",
        "me-west1",
        "me-central1",
        "africa-south1",
    ]
)


class GcpConfig(Model):
    """GCP project, sizes, addressing and identities (components/gcp). SPEC numbers stay in the shared sections.

    Address ranges default apart from AWS's and Azure's so the clouds can be peered later.
    """

    project: str = Field("platform-example", pattern=r"^[a-z][a-z0-9-]{4,28}[a-z0-9]$")
    region: str = "us-central1"
    dr_region: str = "us-east1"
    subnet_cidr: ipaddress.IPv4Network = ipaddress.IPv4Network("10.4.0.0/20")
    dr_subnet_cidr: ipaddress.IPv4Network = ipaddress.IPv4Network("10.5.0.0/20")
    private_services_cidr: ipaddress.IPv4Network = ipaddress.IPv4Network("10.6.0.0/16")  # Cloud SQL, Memorystore
    machine_types: dict[Tier, str] = {"web": "e2-medium", "api": "e2-standard-2", "worker": "e2-medium"}
    boot_image: str = Field("projects/debian-cloud/global/images/family/debian-12", pattern=r"^projects/[a-z0-9-]+/")
    database_tier: str = Field("db-custom-1-3840", pattern=r"^db-")
    database_backup_start_time: str = Field("03:00", pattern=r"^([01]\d|2[0-3]):[0-5]\d$")  # UTC
    redis_tier: Literal["BASIC", "STANDARD_HA"] = "STANDARD_HA"
    redis_memory_gb: int = Field(1, ge=1, le=300)  # read replicas need 5 GB or more
    redis_version: Literal["REDIS_7_0", "REDIS_7_2"] = "REDIS_7_2"  # Memorystore's 7.x versions
    ssl_policy_profile: Literal["MODERN", "RESTRICTED"] = "RESTRICTED"
    domain_name: str = Field("platform.example.com", pattern=r"^[a-z0-9.-]+\.[a-z]{2,}$")
    # The Cloud DNS managed zone (its name, in dnsProject or else project) that serves domainName: the
    # load balancer's A record goes there, which the Google-managed certificate needs before it turns ACTIVE.
    dns_zone: str = Field("platform-example-com", pattern=r"^[a-z][a-z0-9-]{0,62}$")
    dns_project: str | None = Field(None, pattern=r"^[a-z][a-z0-9-]{4,28}[a-z0-9]$")
    group_emails: dict[
        Literal["admin", "developer", "viewer"], list[Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+$")]]
    ] = {}
    # Cloud Armor's preconfigured WAF rules (OWASP CRS 3.3): sensitivity = the CRS paranoia level, 1 fewest false
    # positives. The load balancer logs this fraction of its requests (Cloud Armor's verdicts included).
    armor_waf_sensitivity: int = Field(1, ge=1, le=4)
    load_balancer_log_sample_rate: float = Field(1.0, gt=0, le=1)
    # How often each VM checks Secret Manager for a rotated credential and restarts its container onto it.
    secret_refresh_minutes: int = Field(5, ge=1, le=60)

    _check_region = field_validator("region", "dr_region")(region_validator(GCP_REGIONS, "GCP region"))

    @field_validator("machine_types")
    @classmethod
    def _every_tier_sized(cls, types: dict[Tier, str]) -> dict[Tier, str]:
        missing = [tier for tier in TIERS if tier not in types]
        if missing:
            raise ValueError(f"needs a machine type for {', '.join(missing)}")
        return types

    @model_validator(mode="after")
    def _distinct_regions_and_ranges(self) -> GcpConfig:
        if self.region == self.dr_region:
            raise ValueError(f"drRegion must differ from region ({self.region})")
        ranges = {
            "subnetCidr": self.subnet_cidr,
            "drSubnetCidr": self.dr_subnet_cidr,
            "privateServicesCidr": self.private_services_cidr,
        }
        for (a, first), (b, second) in itertools.combinations(ranges.items(), 2):
            if first.overlaps(second):
                raise ValueError(f"{b} {second} overlaps {a} {first}")
        for key, cidr in ranges.items():
            if not cidr.is_private:
                raise ValueError(f"{key} {cidr} is not a private range")
        return self


def check_stack(cfg: PlatformConfig) -> None:
    """What GCP refuses across sections: Cloud SQL's backup and transaction-log retention, Cloud Armor's rate limit."""
    _cloud_sql_retention(cfg)
    armor_rate_limit(cfg)


# Cloud SQL ENTERPRISE keeps transaction logs (point-in-time recovery) for 1-7 days and at most 365 automated backups.
CLOUD_SQL_MAX_LOG_DAYS = 7
CLOUD_SQL_MAX_RETAINED_BACKUPS = 365


def cloud_sql_retained_backups(cfg: PlatformConfig) -> int:
    """The automated backups Cloud SQL keeps: one a day for the daily rule's retention, else the PITR window."""
    if cfg.backup.enabled and cfg.backup.daily_retention_days:
        return cfg.backup.daily_retention_days
    return cfg.database.backup_retention_days


def _cloud_sql_retention(cfg: PlatformConfig) -> None:
    """Cloud SQL refuses more days of transaction logs than retained backups ("backup retention should be >
    transaction log retention"); equal counts, its own defaults (7 and 7), are accepted."""
    logs, retained = cfg.database.backup_retention_days, cloud_sql_retained_backups(cfg)
    source = "backup.dailyRetentionDays" if cfg.backup.enabled and cfg.backup.daily_retention_days else None
    if logs > CLOUD_SQL_MAX_LOG_DAYS:
        raise ValueError(
            f"database.backupRetentionDays = {logs}: Cloud SQL (ENTERPRISE) keeps transaction logs for "
            f"point-in-time recovery 1-{CLOUD_SQL_MAX_LOG_DAYS} days"
        )
    if source and retained > CLOUD_SQL_MAX_RETAINED_BACKUPS:
        raise ValueError(
            f"{source} = {retained}: Cloud SQL keeps at most {CLOUD_SQL_MAX_RETAINED_BACKUPS} automated backups"
        )
    if source and logs > retained:
        raise ValueError(
            f"database.backupRetentionDays = {logs} exceeds {source} = {retained}: Cloud SQL keeps transaction "
            f"logs (point-in-time recovery) no longer than it keeps backups; lower the first or raise the second"
        )


# Cloud Armor's rate-limit windows (rateLimitThreshold.intervalSec) and its throttle rule's largest count.
ARMOR_INTERVALS_SECONDS = (10, 30, 60, 120, 180, 240, 300, 600, 900, 1200, 1800, 2700, 3600)
ARMOR_MAX_THROTTLE_COUNT = 1_000_000


def armor_rate_limit(cfg: PlatformConfig) -> tuple[int, int]:
    """``app.rateLimitRequests`` per ``app.rateLimitWindow`` (ms) as Cloud Armor's (count, intervalSec)."""
    requests, window_ms = cfg.app.rate_limit_requests, cfg.app.rate_limit_window
    seconds, remainder = divmod(window_ms, 1000)
    if remainder or seconds not in ARMOR_INTERVALS_SECONDS:
        allowed = ", ".join(str(s * 1000) for s in ARMOR_INTERVALS_SECONDS)
        raise ValueError(f"app.rateLimitWindow = {window_ms}: Cloud Armor rate-limits over {allowed} ms only")
    if requests > ARMOR_MAX_THROTTLE_COUNT:
        raise ValueError(
            f"app.rateLimitRequests = {requests}: Cloud Armor throttles at most {ARMOR_MAX_THROTTLE_COUNT} requests"
        )
    return requests, seconds
