"""AWS settings (components/aws): regions, addressing, sizes. SPEC numbers stay in the shared sections."""

from __future__ import annotations

import ipaddress
import re
from typing import TYPE_CHECKING, Annotated

from pydantic import Field, field_validator, model_validator

from .application import rate_in_window
from .base import (
    AwsInstanceType,
    DomainName,
    Model,
    PrivateNetwork,
    SettingError,
    Tier,
    instance_type,
    region_validator,
    window_minutes,
)

if TYPE_CHECKING:
    from .platform import PlatformConfig

AWS_REGIONS = frozenset(
    [
        "us-east-1",
        "us-east-2",
        "us-west-1",
        "us-west-2",
        "ca-central-1",
        "ca-west-1",
        "sa-east-1",
        "mx-central-1",
        "eu-west-1",
        "eu-west-2",
        "eu-west-3",
        "eu-central-1",
        "eu-central-2",
        "eu-north-1",
        "eu-south-1",
        "eu-south-2",
        "ap-northeast-1",
        "ap-northeast-2",
        "ap-northeast-3",
        "ap-southeast-1",
        "ap-southeast-2",
        "ap-southeast-3",
        "ap-southeast-4",
        "ap-southeast-5",
        "ap-southeast-7",
        "ap-south-1",
        "ap-south-2",
        "ap-east-1",
        "ap-east-2",
        "me-south-1",
        "me-central-1",
        "il-central-1",
        "af-south-1",
    ]
)
# Azure's region pairs (learn.microsoft.com/azure/reliability/cross-region-replication-azure) among
# AZURE_LOCATIONS: geo-redundant PostgreSQL backups, GRS storage and Backup's cross-region restore
# CloudWatch Logs accepts only these retention periods (days).
CLOUDWATCH_RETENTION_DAYS = frozenset(
    (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653)
)
# AWS VPCs are /16 at most, and components/aws/network.py carves every VPC into /20 subnets, one per zone
# for each tier at fixed blocks (public 0-2, private 4-6, data 8-10): only a /16 holds them.
VPC_PREFIX = 16
ELASTICACHE_MIN_SNAPSHOT_WINDOW_MINUTES = 60  # "Snapshot window must be at least 60 minutes"

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_WEEKLY = rf"(?:{'|'.join(WEEKDAYS)}):(?:[01][0-9]|2[0-3]):[0-5][0-9]"
MAINTENANCE_WINDOW = re.compile(rf"^{_WEEKLY}-{_WEEKLY}$")
CACHE_MAINTENANCE_MIN_MINUTES = 60  # ElastiCache's shortest maintenance window
DAY_MINUTES, WEEK_MINUTES = 24 * 60, 7 * 24 * 60


def _minutes(clock: str) -> int:
    hours, minutes = clock.split(":")
    return int(hours) * 60 + int(minutes)


def weekly_window(window: str) -> tuple[int, int]:
    """``ddd:hh:mm-ddd:hh:mm`` as minutes since Monday 00:00 (the end may wrap past Sunday)."""
    bounds = [WEEKDAYS.index(part[:3]) * DAY_MINUTES + _minutes(part[4:]) for part in window.split("-")]
    return bounds[0], bounds[0] + (bounds[1] - bounds[0]) % WEEK_MINUTES


def _overlaps_daily(weekly: tuple[int, int], daily: str) -> bool:
    """Whether a weekly window meets a daily ``hh:mm-hh:mm`` window on any day (either may wrap midnight)."""
    start, end = (_minutes(clock) for clock in daily.split("-"))
    length = (end - start) % DAY_MINUTES
    return any(
        day < weekly[1] and weekly[0] < day + length
        for day in range(start - DAY_MINUTES, weekly[1] + DAY_MINUTES, DAY_MINUTES)
    )


class AwsConfig(Model):
    region: str = "us-east-1"
    dr_region: str = "us-west-2"
    availability_zones: int = Field(3, ge=2, le=3)
    nat_gateway_per_zone: bool = False
    vpc_cidr: PrivateNetwork = ipaddress.IPv4Network("10.0.0.0/16")
    dr_vpc_cidr: PrivateNetwork = ipaddress.IPv4Network("10.1.0.0/16")
    domain_name: DomainName = "platform.example.com"
    hosted_zone_id: str = Field("Z0000000000000EXAMPLE", pattern=r"^Z[A-Z0-9]+$")
    instance_types: dict[Tier, AwsInstanceType] = {"web": "t3.medium", "api": "t3.large", "worker": "t3.medium"}
    database_instance_class: Annotated[
        str, instance_type(r"db\.[a-z0-9]+\.[a-z0-9]+", "an RDS instance class such as db.r6g.large")
    ] = "db.t4g.medium"
    cache_node_type: Annotated[
        str, instance_type(r"cache\.[a-z0-9]+\.[a-z0-9]+", "an ElastiCache node type such as cache.r6g.large")
    ] = "cache.t4g.small"
    ami_ssm_parameter: str = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"
    tls_policy: str = Field("ELBSecurityPolicy-TLS13-1-2-2021-06", pattern=r"^ELBSecurityPolicy-TLS13-")
    trusted_account_ids: list[Annotated[str, Field(pattern=r"^\d{12}$")]] = []
    # ElastiCache's weekly maintenance window (UTC, ddd:hh:mm-ddd:hh:mm, at least 60 minutes). Pinned, so it
    # never lands on the daily snapshot window (cache.snapshotWindow), which ElastiCache refuses.
    cache_maintenance_window: str = "sun:06:00-sun:07:00"
    # How long a new instance may take to install its container runtime, pull the release and pass the load
    # balancer's health check (5 x 30 s once the app answers) before Auto Scaling judges it by that check.
    health_check_grace_seconds: int = Field(600, ge=60, le=7200)
    # How often each instance checks whether a credential it started with was rotated (then restarts its container).
    credential_check_minutes: int = Field(5, ge=1, le=60)

    _check_region = field_validator("region", "dr_region")(region_validator(AWS_REGIONS, "AWS region"))

    @field_validator("vpc_cidr", "dr_vpc_cidr")
    @classmethod
    def _vpc_holds_the_subnets(cls, cidr: ipaddress.IPv4Network) -> ipaddress.IPv4Network:
        if cidr.prefixlen != VPC_PREFIX:
            raise ValueError(
                f"must be a /{VPC_PREFIX}: AWS VPCs are /{VPC_PREFIX} at most, and the network carves a /20 per zone "
                "for each of the public, private and data tiers (blocks 0-2, 4-6 and 8-10), which needs all of it"
            )
        return cidr

    @model_validator(mode="after")
    def _distinct_regions(self) -> AwsConfig:
        if self.region == self.dr_region:
            raise SettingError("drRegion", self.dr_region, f"must differ from region ({self.region})")
        if self.vpc_cidr.overlaps(self.dr_vpc_cidr):
            raise SettingError("drVpcCidr", str(self.dr_vpc_cidr), f"overlaps vpcCidr ({self.vpc_cidr})")
        return self

    @field_validator("cache_maintenance_window")
    @classmethod
    def _maintenance_window(cls, window: str) -> str:
        if not MAINTENANCE_WINDOW.match(window):
            raise ValueError("must be ddd:hh:mm-ddd:hh:mm in UTC, e.g. sun:06:00-sun:07:00")
        start, end = weekly_window(window)
        if end - start < CACHE_MAINTENANCE_MIN_MINUTES:
            raise ValueError(f"must last at least {CACHE_MAINTENANCE_MIN_MINUTES} minutes (ElastiCache's minimum)")
        return window


# AWS WAF rate-based rules count over one of these windows (seconds), at least 10 and at most 2e9 requests.
WAF_RATE_WINDOWS_SECONDS = (60, 120, 300, 600)
WAF_RATE_LIMIT_MIN, WAF_RATE_LIMIT_MAX = 10, 2_000_000_000


def waf_rate_limit(requests: int, window_ms: int) -> tuple[int, int]:
    """``app.rateLimitRequests`` per ``app.rateLimitWindow`` (ms) as a WAF (limit, window seconds), never under
    WAF's minimum."""
    limit, window = rate_in_window(requests, window_ms, WAF_RATE_WINDOWS_SECONDS)
    return max(limit, WAF_RATE_LIMIT_MIN), window


def check_stack(cfg: PlatformConfig) -> None:
    """What AWS refuses across sections: log retention periods, short or overlapping cache windows, a WAF rate
    limit above its maximum."""
    _cloudwatch_retention(cfg)
    _snapshot_window_long_enough(cfg)
    _maintenance_apart_from_snapshots(cfg)
    _waf_rate_within_limit(cfg)


def _waf_rate_within_limit(cfg: PlatformConfig) -> None:
    """WAF counts at most WAF_RATE_LIMIT_MAX requests per evaluation window."""
    limit, window = waf_rate_limit(cfg.app.rate_limit_requests, cfg.app.rate_limit_window)
    if limit > WAF_RATE_LIMIT_MAX:
        raise SettingError(
            "app.rateLimitRequests",
            cfg.app.rate_limit_requests,
            f"per app.rateLimitWindow = {cfg.app.rate_limit_window} ms is {limit} requests per {window} s at the "
            f"WAF, above its maximum {WAF_RATE_LIMIT_MAX}",
        )


def _maintenance_apart_from_snapshots(cfg: PlatformConfig) -> None:
    """ElastiCache refuses a maintenance window that overlaps the daily snapshot window."""
    if _overlaps_daily(weekly_window(cfg.aws.cache_maintenance_window), cfg.cache.snapshot_window):
        raise SettingError(
            "aws.cacheMaintenanceWindow",
            cfg.aws.cache_maintenance_window,
            f'overlaps cache.snapshotWindow "{cfg.cache.snapshot_window}" (daily, UTC): ElastiCache needs them apart',
        )


def _cloudwatch_retention(cfg: PlatformConfig) -> None:
    """CloudWatch Logs keeps logs only for its own fixed set of retention periods."""
    for key, days in (
        ("logging.appRetentionDays", cfg.logging.app_retention_days),
        ("logging.auditRetentionDays", cfg.logging.audit_retention_days),
    ):
        if days not in CLOUDWATCH_RETENTION_DAYS:
            raise SettingError(
                key, days, f"CloudWatch Logs accepts only {', '.join(map(str, sorted(CLOUDWATCH_RETENTION_DAYS)))}"
            )


def _snapshot_window_long_enough(cfg: PlatformConfig) -> None:
    """ElastiCache refuses a snapshot window under an hour (only set when snapshots are kept)."""
    minutes = window_minutes(cfg.cache.snapshot_window)
    if cfg.cache.snapshot_retention_days and minutes < ELASTICACHE_MIN_SNAPSHOT_WINDOW_MINUTES:
        raise SettingError(
            "cache.snapshotWindow",
            cfg.cache.snapshot_window,
            f"lasts {minutes} minutes; ElastiCache needs a snapshot window of at least "
            f"{ELASTICACHE_MIN_SNAPSHOT_WINDOW_MINUTES} minutes",
        )
