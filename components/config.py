"""The platform's configuration: one typed model, validated before any resource exists.

Every number from SPEC.md is a field here with SPEC.md's value as its default. Values that
differ per environment (retention, HA, backups) live in ``ENVIRONMENT_DEFAULTS`` and are
merged *under* the stack file, so a stack file only states what it changes. Keys are
camelCase in the stack files (``platform:database: {backupRetentionDays: 7}``), as Pulumi
config keys conventionally are.
"""

from __future__ import annotations

import ipaddress
import itertools
import json
import re
from typing import Annotated, Any, Literal

import pulumi
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic.alias_generators import to_camel

Environment = Literal["dev", "staging", "prod"]
Cloud = Literal["aws", "azure", "gcp"]
Color = Literal["blue", "green"]
Severity = Literal["critical", "high", "medium", "low"]
Tier = Literal["web", "api", "worker"]

SEVERITIES: tuple[Severity, ...] = ("critical", "high", "medium", "low")
TIERS: tuple[Tier, ...] = ("web", "api", "worker")
COLORS: tuple[Color, ...] = ("blue", "green")

Percent = Annotated[float, Field(ge=0, le=100)]
Days = Annotated[int, Field(ge=1, le=3653)]
Positive = Annotated[int, Field(ge=1)]

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
# go to the pair, so disaster recovery lives there too.
_AZURE_PAIRS = (
    ("eastus", "westus"),
    ("eastus2", "centralus"),
    ("northcentralus", "southcentralus"),
    ("westus2", "westcentralus"),
    ("canadacentral", "canadaeast"),
    ("northeurope", "westeurope"),
    ("uksouth", "ukwest"),
    ("eastasia", "southeastasia"),
    ("japaneast", "japanwest"),
    ("australiaeast", "australiasoutheast"),
    ("centralindia", "southindia"),
)
AZURE_PAIRED_REGIONS = {a: b for pair in _AZURE_PAIRS for a, b in (pair, pair[::-1])}
AZURE_LOCATIONS = frozenset(
    [
        "eastus",
        "eastus2",
        "centralus",
        "northcentralus",
        "southcentralus",
        "westcentralus",
        "westus",
        "westus2",
        "westus3",
        "canadacentral",
        "canadaeast",
        "brazilsouth",
        "northeurope",
        "westeurope",
        "uksouth",
        "ukwest",
        "francecentral",
        "germanywestcentral",
        "switzerlandnorth",
        "norwayeast",
        "swedencentral",
        "polandcentral",
        "italynorth",
        "spaincentral",
        "eastasia",
        "southeastasia",
        "japaneast",
        "japanwest",
        "koreacentral",
        "australiaeast",
        "australiasoutheast",
        "centralindia",
        "southindia",
        "uaenorth",
        "southafricanorth",
        "qatarcentral",
    ]
)
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
# CloudWatch Logs accepts only these retention periods (days).
CLOUDWATCH_RETENTION_DAYS = frozenset(
    (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653)
)
SSH_ALLOWED_RANGE = ipaddress.IPv4Network("10.0.0.0/8")
# Key Vault rotation policies: a key version rotates 7 days after creation at the earliest and at least
# 7 days before it expires; a version expires 28 days after creation at the earliest.
KEY_VAULT_MIN_ROTATION_DAYS = 7
KEY_VAULT_ROTATE_BEFORE_EXPIRY_DAYS = 7
KEY_VAULT_MIN_EXPIRY_DAYS = 28
K8S_CPU = re.compile(r"^\d+(\.\d+)?m?$")
K8S_MEMORY = re.compile(r"^\d+(Ki|Mi|Gi|Ti)?$")
UUID = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"


class ConfigError(pulumi.RunError):
    """Bad stack configuration. A RunError, so the engine prints the message without a traceback."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("Invalid stack configuration:\n  " + "\n  ".join(problems))


class Model(BaseModel):
    """Base for every config section: camelCase keys, unknown keys rejected, immutable."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid", frozen=True)


def _region_validator(allowed: frozenset[str], what: str):
    def check(value: str) -> str:
        if value not in allowed:
            raise ValueError(f"unknown {what}; allowed: {', '.join(sorted(allowed))}")
        return value

    return check


class TagsConfig(Model):
    """Tags/labels every resource carries, besides environment, service and managed-by."""

    owner: str = Field("platform-team", min_length=1)
    cost_center: str = Field("platform", min_length=1)


class AwsConfig(Model):
    region: str = "us-east-1"
    dr_region: str = "us-west-2"
    availability_zones: int = Field(3, ge=2, le=3)
    nat_gateway_per_zone: bool = False
    vpc_cidr: ipaddress.IPv4Network = ipaddress.IPv4Network("10.0.0.0/16")
    dr_vpc_cidr: ipaddress.IPv4Network = ipaddress.IPv4Network("10.1.0.0/16")
    domain_name: str = Field("platform.example.com", pattern=r"^[a-z0-9.-]+\.[a-z]{2,}$")
    hosted_zone_id: str = Field("Z0000000000000EXAMPLE", pattern=r"^Z[A-Z0-9]+$")
    instance_types: dict[Tier, str] = {"web": "t3.medium", "api": "t3.large", "worker": "t3.medium"}
    database_instance_class: str = Field("db.t4g.medium", pattern=r"^db\.")
    cache_node_type: str = Field("cache.t4g.small", pattern=r"^cache\.")
    ami_ssm_parameter: str = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"
    tls_policy: str = Field("ELBSecurityPolicy-TLS13-1-2-2021-06", pattern=r"^ELBSecurityPolicy-TLS13-")
    trusted_account_ids: list[Annotated[str, Field(pattern=r"^\d{12}$")]] = []

    _check_region = field_validator("region", "dr_region")(_region_validator(AWS_REGIONS, "AWS region"))

    @model_validator(mode="after")
    def _distinct_regions(self) -> AwsConfig:
        if self.region == self.dr_region:
            raise ValueError(f"drRegion must differ from region ({self.region})")
        if self.vpc_cidr.overlaps(self.dr_vpc_cidr):
            raise ValueError(f"drVpcCidr {self.dr_vpc_cidr} overlaps vpcCidr {self.vpc_cidr}")
        return self


# Azure names PostgreSQL flexible-server compute by tier: B-series burstable, D-series general purpose, E-series
# memory optimized (learn.microsoft.com/azure/postgresql/flexible-server/concepts-compute).
POSTGRES_SKU_PREFIXES = {"Burstable": "Standard_B", "GeneralPurpose": "Standard_D", "MemoryOptimized": "Standard_E"}
REDIS_PREMIUM_CAPACITIES = range(1, 6)  # P1-P5; C0-C6 are Basic/Standard
REDIS_MAX_REPLICAS = {"Basic": 0, "Standard": 1, "Premium": 3}  # replicas per primary each tier can run
REDIS_RDB_FREQUENCIES_MINUTES = (15, 30, 60, 360, 720, 1440)  # the RDB snapshot intervals Azure accepts


class AzureConfig(Model):
    """Azure sizes, addressing and identities (components/azure). SPEC numbers stay in the shared sections."""

    location: str = "eastus"
    dr_location: str = "westus"  # eastus's paired region, where geo-redundant backups and storage land
    address_space: ipaddress.IPv4Network = ipaddress.IPv4Network("10.2.0.0/16")
    dr_address_space: ipaddress.IPv4Network = ipaddress.IPv4Network("10.3.0.0/16")
    zones: list[Literal["1", "2", "3"]] = Field(["1", "2", "3"], min_length=1)
    vm_sizes: dict[Tier, str] = {"web": "Standard_B2s", "api": "Standard_B2ms", "worker": "Standard_B2s"}
    vm_image: dict[str, str] = {
        "publisher": "Canonical",
        "offer": "ubuntu-24_04-lts",
        "sku": "server",
        "version": "latest",
    }
    admin_username: str = Field("platform", pattern=r"^[a-z][a-z0-9_]{0,31}$")
    ssh_public_key: str = Field("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIExampleKeyReplaceMe platform", pattern=r"^ssh-")
    postgres_sku: str = Field("Standard_B2s", pattern=r"^Standard_")
    postgres_tier: Literal["Burstable", "GeneralPurpose", "MemoryOptimized"] = "Burstable"
    redis_sku: Literal["Basic", "Standard", "Premium"] = "Standard"
    redis_capacity: int = Field(1, ge=0, le=6)
    redis_version: Literal["6"] = "6"  # the newest Azure Cache for Redis offers; 7.x is Azure Managed Redis only
    redis_rdb_frequency_minutes: int = 1440  # one of REDIS_RDB_FREQUENCIES_MINUTES; SPEC's snapshots are daily
    gateway_capacity: dict[Literal["min", "max"], int] = {"min": 1, "max": 2}
    tls_policy: str = Field("AppGwSslPolicy20220101S", pattern=r"^AppGwSslPolicy2022")
    domain_name: str = Field("platform.example.com", pattern=r"^[a-z0-9.-]+\.[a-z]{2,}$")
    certificate_secret_id: str = Field(
        "https://platform-certificates.vault.azure.net/secrets/platform-tls",
        pattern=r"^https://[a-z0-9-]+\.vault\.azure\.net/secrets/[A-Za-z0-9-]+(/[0-9a-f]{32})?$",
    )
    key_expiry_days: int = Field(90, ge=KEY_VAULT_MIN_EXPIRY_DAYS, le=3650)  # each key version's lifetime
    key_vault_sku: Literal["standard", "premium"] = "premium"  # premium keeps the keys in HSMs (RSA-HSM)
    group_object_ids: dict[Literal["admin", "developer", "viewer"], Annotated[str, Field(pattern=UUID)]] = {}
    # Who runs `pulumi up` (a CI service principal, or a user): Azure rejects role assignments of the wrong type.
    deployer_principal_type: Literal["ServicePrincipal", "User"] = "ServicePrincipal"

    _check_location = field_validator("location", "dr_location")(_region_validator(AZURE_LOCATIONS, "Azure location"))

    @field_validator("vm_sizes")
    @classmethod
    def _every_tier_sized(cls, sizes: dict[Tier, str]) -> dict[Tier, str]:
        missing = [tier for tier in TIERS if tier not in sizes]
        if missing:
            raise ValueError(f"needs a VM size for {', '.join(missing)}")
        return sizes

    @field_validator("redis_rdb_frequency_minutes")
    @classmethod
    def _rdb_frequency_azure_accepts(cls, minutes: int) -> int:
        if minutes not in REDIS_RDB_FREQUENCIES_MINUTES:
            raise ValueError(f"allowed: {', '.join(map(str, REDIS_RDB_FREQUENCIES_MINUTES))} (minutes)")
        return minutes

    @model_validator(mode="after")
    def _skus_match_tiers(self) -> AzureConfig:
        prefix = POSTGRES_SKU_PREFIXES[self.postgres_tier]
        if not self.postgres_sku.startswith(prefix):
            raise ValueError(
                f"postgresSku {self.postgres_sku} is not a {self.postgres_tier} size; "
                f"{self.postgres_tier} sizes start with {prefix} (e.g. {prefix}2ds_v5)"
            )
        if self.redis_sku == "Premium" and self.redis_capacity not in REDIS_PREMIUM_CAPACITIES:
            raise ValueError(f"redisCapacity {self.redis_capacity} is not a Premium size; allowed: 1-5 (P1-P5)")
        return self

    @model_validator(mode="after")
    def _distinct_locations(self) -> AzureConfig:
        if self.location == self.dr_location:
            raise ValueError(f"drLocation must differ from location ({self.location})")
        if self.address_space.overlaps(self.dr_address_space):
            raise ValueError(f"drAddressSpace {self.dr_address_space} overlaps addressSpace {self.address_space}")
        if self.gateway_capacity.get("min", 1) > self.gateway_capacity.get("max", 2):
            raise ValueError("gatewayCapacity.min must be <= gatewayCapacity.max")
        return self


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
    group_emails: dict[
        Literal["admin", "developer", "viewer"], list[Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+$")]]
    ] = {}

    _check_region = field_validator("region", "dr_region")(_region_validator(GCP_REGIONS, "GCP region"))

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


class DatabaseConfig(Model):
    """PostgreSQL. Storage is in GB; ``backupRetentionDays`` is also the point-in-time window."""

    engine_version: str = Field("14", pattern=r"^14(\.\d+)?$")
    name: str = Field("platform", pattern=r"^[a-z][a-z0-9_]{0,62}$")
    username: str = Field("platform_admin", pattern=r"^[a-z][a-z0-9_]{0,62}$")
    port: int = Field(5432, ge=1024, le=65535)
    allocated_storage_gb: int = Field(20, ge=20, le=65536)
    max_allocated_storage_gb: int = Field(100, ge=20, le=65536)
    high_availability: bool = False
    deletion_protection: bool = False
    backup_retention_days: int = Field(1, ge=1, le=35)
    slow_query_ms: Positive = 1000
    performance_insights_retention_days: int = Field(7, ge=7, le=731)
    monitoring_interval_seconds: Literal[1, 5, 10, 15, 30, 60] = 60  # RDS enhanced monitoring granularity

    @model_validator(mode="after")
    def _storage_range(self) -> DatabaseConfig:
        if self.max_allocated_storage_gb < self.allocated_storage_gb:
            raise ValueError(
                f"maxAllocatedStorageGb ({self.max_allocated_storage_gb}) must be >= "
                f"allocatedStorageGb ({self.allocated_storage_gb})"
            )
        return self


class CacheConfig(Model):
    """Redis. ``snapshotRetentionDays: 0`` means no persistence."""

    engine_version: str = Field("7.1", pattern=r"^7(\.\d+)?$")
    port: int = Field(6379, ge=1024, le=65535)
    snapshot_retention_days: int = Field(0, ge=0, le=35)
    snapshot_window: str = Field("04:00-05:00", pattern=r"^\d{2}:\d{2}-\d{2}:\d{2}$")  # UTC, daily
    replicas: int = Field(0, ge=0, le=5)
    automatic_failover: bool = False

    @model_validator(mode="after")
    def _failover_needs_replicas(self) -> CacheConfig:
        if self.automatic_failover and self.replicas < 1:
            raise ValueError("automaticFailover needs replicas >= 1")
        return self


class ScalingTier(Model):
    """One compute tier: its scaling rule and its per-container limits on Kubernetes."""

    metric: Literal["cpu_utilization", "request_count", "queue_length"]
    target: float = Field(gt=0)
    min_size: int = Field(ge=1, le=100)
    max_size: int = Field(ge=1, le=100)
    cpu: str
    memory: str

    @field_validator("cpu")
    @classmethod
    def _cpu_quantity(cls, value: str) -> str:
        if not K8S_CPU.match(value):
            raise ValueError("must be a Kubernetes CPU quantity such as 1, 0.5 or 500m")
        return value

    @field_validator("memory")
    @classmethod
    def _memory_quantity(cls, value: str) -> str:
        if not K8S_MEMORY.match(value):
            raise ValueError("must be a Kubernetes memory quantity such as 512Mi or 2Gi")
        return value

    @model_validator(mode="after")
    def _min_le_max(self) -> ScalingTier:
        if self.min_size > self.max_size:
            raise ValueError(f"minSize ({self.min_size}) must be <= maxSize ({self.max_size})")
        return self


class ComputeConfig(Model):
    web: ScalingTier = ScalingTier(metric="cpu_utilization", target=70, min_size=2, max_size=10, cpu="1", memory="2Gi")
    api: ScalingTier = ScalingTier(metric="request_count", target=1000, min_size=3, max_size=15, cpu="2", memory="4Gi")
    worker: ScalingTier = ScalingTier(metric="queue_length", target=100, min_size=2, max_size=8, cpu="1", memory="2Gi")
    app_port: int = Field(80, ge=1, le=65535)
    health_path: str = Field("/health", pattern=r"^/")
    liveness_path: str = Field("/live", pattern=r"^/")
    readiness_path: str = Field("/ready", pattern=r"^/")
    metrics_port: int = Field(9090, ge=1, le=65535)
    metrics_path: str = Field("/metrics", pattern=r"^/")
    scrape_interval_seconds: Positive = 15
    root_volume_gb: int = Field(20, ge=8, le=1024)
    instance_warmup_seconds: int = Field(120, ge=0, le=3600)  # before a new instance counts for scaling/refresh
    refresh_min_healthy_percent: int = Field(90, ge=0, le=100)  # capacity kept in service during a rolling refresh
    queue_max_receive_count: int = Field(5, ge=1, le=1000)  # worker attempts before a message goes to the DLQ

    def tier(self, name: Tier) -> ScalingTier:
        return getattr(self, name)

    @model_validator(mode="after")
    def _metrics_match_tiers(self) -> ComputeConfig:
        expected = {"web": "cpu_utilization", "api": "request_count", "worker": "queue_length"}
        for name, metric in expected.items():
            if self.tier(name).metric != metric:  # type: ignore[arg-type]
                raise ValueError(f"{name}.metric must be {metric!r}: each tier's scaling is wired to that signal")
        return self


class RollbackConfig(Model):
    """When a blue-green shift rolls back (SPEC.md: Blue-green).

    The fourth trigger, an exhausted connection pool, is measured against ``app.databasePoolSize``.
    """

    p95_latency_ms: Positive = 500
    error_rate_percent: Percent = 1
    cpu_percent: Percent = 90
    memory_percent: Percent = 90
    max_rollback_seconds: Positive = 120


class BlueGreenConfig(Model):
    """Which colour is live and how much traffic the other colour gets.

    ``canaryWeight`` is the percentage sent to the colour that is *not* active, so the two
    weights always sum to 100. Changing either and running ``pulumi up`` moves traffic.
    """

    active_color: Color = "blue"
    canary_weight: int = Field(0, ge=0, le=100)
    shift_steps: list[int] = [10, 25, 50, 100]
    bake_seconds: int = Field(300, ge=0, le=3600)
    deregistration_delay_seconds: int = Field(30, ge=0, le=3600)
    rollback: RollbackConfig = RollbackConfig()

    @field_validator("shift_steps")
    @classmethod
    def _steps_increase_to_100(cls, steps: list[int]) -> list[int]:
        if not steps or steps[-1] != 100 or any(b <= a for a, b in itertools.pairwise(steps)) or steps[0] <= 0:
            raise ValueError("must be strictly increasing percentages ending at 100, e.g. [10, 25, 50, 100]")
        return steps

    @property
    def weights(self) -> dict[Color, int]:
        inactive: Color = "green" if self.active_color == "blue" else "blue"
        return {self.active_color: 100 - self.canary_weight, inactive: self.canary_weight}


class Threshold(Model):
    warning: float | None = Field(None, ge=0)
    critical: float | None = Field(None, ge=0)

    @model_validator(mode="after")
    def _warning_below_critical(self) -> Threshold:
        if self.warning is not None and self.critical is not None and self.warning >= self.critical:
            raise ValueError(f"warning ({self.warning}) must be below critical ({self.critical})")
        return self


class AlarmsConfig(Model):
    """Thresholds and windows of SPEC.md's alarm table, and who hears each severity."""

    cpu_percent: Threshold = Threshold(warning=70, critical=90)
    memory_percent: Threshold = Threshold(warning=80, critical=95)
    disk_percent: Threshold = Threshold(warning=85, critical=95)
    latency_ms: Threshold = Threshold(warning=1000, critical=5000)
    error_rate_percent: Threshold = Threshold(warning=1, critical=5)
    error_rate_window_minutes: Positive = 5
    paging_error_rate_percent: Percent = 10
    paging_error_rate_window_minutes: Positive = 2
    down_minutes: Positive = 1
    database_connections: Positive = 100
    database_connections_window_minutes: Positive = 5
    failed_logins_per_hour: Positive = 10
    api_requests_per_minute: Positive = 1000
    replica_lag_seconds: Positive = 300
    # How long CPU, memory, disk, latency and cache signals must breach; SPEC gives none, so its usual 5 min.
    sustained_minutes: Positive = 5
    subscriptions: dict[Severity, list[Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+$")]]] = {}


class LoggingConfig(Model):
    app_retention_days: Days = 7
    audit_retention_days: Days = 30


class BackupConfig(Model):
    """Backup plan rules. A retention of 0 turns that rule off."""

    enabled: bool = False
    daily_retention_days: int = Field(30, ge=0, le=36500)
    hourly_retention_days: int = Field(0, ge=0, le=36500)
    continuous_retention_days: int = Field(0, ge=0, le=35)
    config_retention_days: int = Field(0, ge=0, le=36500)
    daily_schedule: str = Field("cron(0 3 * * ? *)", pattern=r"^cron\(.+\)$")
    hourly_schedule: str = Field("cron(0 * * * ? *)", pattern=r"^cron\(.+\)$")
    copy_to_dr: bool = False
    vault_lock: bool = False

    @model_validator(mode="after")
    def _enabled_needs_a_rule(self) -> BackupConfig:
        retentions = (
            self.daily_retention_days,
            self.hourly_retention_days,
            self.continuous_retention_days,
            self.config_retention_days,
        )
        if self.enabled and not any(retentions):
            raise ValueError("enabled needs at least one retention above 0 (a retention of 0 turns its rule off)")
        return self


class DisasterRecoveryConfig(Model):
    """Cross-region recovery. RTO/RPO are the objectives the DR design is sized for."""

    enabled: bool = False
    rto_hours: Positive = 4
    rpo_hours: Positive = 1


class SecurityConfig(Model):
    ssh_cidrs: list[ipaddress.IPv4Network] = []
    key_rotation_days: int = Field(30, ge=1, le=2560)
    certificate_renewal_days: int = Field(90, ge=1, le=397)
    min_tls_version: Literal["1.2", "1.3"] = "1.2"
    role_session_hours: int = Field(1, ge=1, le=12)  # access roles' max session; AWS allows 1-12 h

    @field_validator("ssh_cidrs")
    @classmethod
    def _ssh_only_from_private_range(cls, cidrs: list[ipaddress.IPv4Network]) -> list[ipaddress.IPv4Network]:
        for cidr in cidrs:
            if not cidr.subnet_of(SSH_ALLOWED_RANGE):
                raise ValueError(f"{cidr} is outside {SSH_ALLOWED_RANGE}; SSH is allowed only from there")
        return cidrs


class FeatureFlag(Model):
    enabled: bool = False
    rollout_percentage: int = Field(0, ge=0, le=100)
    allowlist: list[str] = []


class FeatureFlagsConfig(Model):
    """Flags and how a change to them rolls out (gradually, in growth steps)."""

    flags: dict[Annotated[str, Field(pattern=r"^[A-Z][A-Z0-9_]*$")], FeatureFlag] = {
        "NEW_COMPANY_MANAGEMENT": FeatureFlag(allowlist=["company1", "company2"]),
        "ADVANCED_MONITORING": FeatureFlag(),
        "REAL_TIME_ALERTS": FeatureFlag(),
    }
    rollout_minutes: int = Field(30, ge=0, le=1440)
    rollout_growth_percent: float = Field(10, gt=0, le=100)


class AppSettings(Model):
    """Settings handed to the application as environment variables (SPEC.md)."""

    database_pool_size: Positive = 20
    database_timeout_ms: Positive = 30000
    cache_ttl_seconds: Positive = 300
    rate_limit_requests: Positive = 1000
    rate_limit_window_ms: Positive = 60000
    log_level: Literal["debug", "info", "warn", "error", "fatal"] = "info"
    metrics_enabled: bool = True
    audit_retention_days: Days = 365
    tenant_isolation_level: Literal["strict", "shared"] = "strict"
    max_tenants_per_instance: Positive = 1000

    def as_env(self) -> dict[str, str]:
        """The settings as the application reads them: UPPER_SNAKE names, string values."""
        return {
            name.upper(): (str(value).lower() if isinstance(value, bool) else str(value))
            for name, value in self.model_dump().items()
        }


class KubernetesConfig(Model):
    """The platform's workloads on a Kubernetes cluster (components/kubernetes).

    No kubeconfig and no context means the provider's default: ``$KUBECONFIG`` or ``~/.kube/config``.
    Quotas left unset are derived from the tiers: limit x maxSize x both colours. Egress CIDRs left
    empty fall back to the VPC CIDR when AWS is a cloud of the stack; in-cluster database/cache pods
    (label ``role: database`` / ``role: cache``) are always reachable.
    """

    enabled: bool = False
    kubeconfig: str | None = Field(None, min_length=1)  # a kubeconfig file path, or its contents
    context: str | None = Field(None, min_length=1)
    namespace: str | None = Field(None, pattern=r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")  # default platform-<env>
    images: dict[Tier, str] = {
        "web": "ghcr.io/example/platform-web:1.0.0",
        "api": "ghcr.io/example/platform-api:1.0.0",
        "worker": "ghcr.io/example/platform-worker:1.0.0",
    }
    ingress_namespace: str = Field("ingress-nginx", pattern=r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
    monitoring_namespace: str = Field("monitoring", pattern=r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
    quota_cpu: str | None = Field(None, pattern=K8S_CPU.pattern)
    quota_memory: str | None = Field(None, pattern=K8S_MEMORY.pattern)
    quota_pods: int | None = Field(None, ge=1)
    api_requests_metric: str = Field("http_requests_per_target", pattern=r"^[a-zA-Z_:][a-zA-Z0-9_:.-]*$")
    worker_queue_metric: str = Field("worker_queue_messages_visible", pattern=r"^[a-zA-Z_:][a-zA-Z0-9_:.-]*$")
    database_cidrs: list[ipaddress.IPv4Network] = []
    cache_cidrs: list[ipaddress.IPv4Network] = []
    pdb_min_available_percent: int = Field(50, ge=0, le=100)

    @field_validator("images")
    @classmethod
    def _pinned_images(cls, images: dict[Tier, str]) -> dict[Tier, str]:
        for tier in TIERS:
            image = images.get(tier, "")
            if not re.search(r"(:[\w][\w.-]*|@sha256:[0-9a-f]{64})$", image) or image.endswith(":latest"):
                raise ValueError(f"{tier}: needs an image pinned to a tag (not latest) or digest, e.g. repo/web:1.2.3")
        return images

    @field_validator("database_cidrs", "cache_cidrs")
    @classmethod
    def _private_cidrs(cls, cidrs: list[ipaddress.IPv4Network]) -> list[ipaddress.IPv4Network]:
        for cidr in cidrs:
            if not cidr.is_private:
                raise ValueError(f"{cidr} is not a private range; data stores are never reached over the internet")
        return cidrs


class PlatformConfig(Model):
    """The whole stack configuration, as read from ``platform:*`` keys."""

    environment: Environment
    clouds: list[Cloud] = Field(["aws"], min_length=1)
    tags: TagsConfig = TagsConfig()
    aws: AwsConfig = AwsConfig()
    azure: AzureConfig = AzureConfig()
    gcp: GcpConfig = GcpConfig()
    database: DatabaseConfig = DatabaseConfig()
    cache: CacheConfig = CacheConfig()
    compute: ComputeConfig = ComputeConfig()
    blue_green: BlueGreenConfig = BlueGreenConfig()
    alarms: AlarmsConfig = AlarmsConfig()
    logging: LoggingConfig = LoggingConfig()
    backup: BackupConfig = BackupConfig()
    disaster_recovery: DisasterRecoveryConfig = DisasterRecoveryConfig()
    security: SecurityConfig = SecurityConfig()
    feature_flags: FeatureFlagsConfig = FeatureFlagsConfig()
    app: AppSettings = AppSettings()
    kubernetes: KubernetesConfig = KubernetesConfig()

    @model_validator(mode="before")
    @classmethod
    def _defaults_under_stack_values(cls, data: Any) -> Any:
        """Stack values override SPEC's defaults key by key, so a stack file states only changes.

        Layers, lowest first: the model's defaults, the environment's profile, the stack file.
        """
        if not isinstance(data, dict):
            return data
        defaults = {
            field.alias or name: field.default.model_dump(mode="json", by_alias=True)
            for name, field in cls.model_fields.items()
            if isinstance(field.default, BaseModel)
        }
        profile = ENVIRONMENT_DEFAULTS.get(str(data.get("environment")), {})
        return _deep_merge(_deep_merge(defaults, profile), data)

    @field_validator("clouds")
    @classmethod
    def _unique_clouds(cls, clouds: list[Cloud]) -> list[Cloud]:
        if len(set(clouds)) != len(clouds):
            raise ValueError("each cloud may be listed once")
        return clouds

    @model_validator(mode="after")
    def _cross_section_rules(self) -> PlatformConfig:
        if self.backup.copy_to_dr and not (self.backup.enabled and self.disaster_recovery.enabled):
            raise ValueError("backup.copyToDr needs backup.enabled and disasterRecovery.enabled (the DR vault)")
        if "aws" in self.clouds:
            for key, days in (
                ("logging.appRetentionDays", self.logging.app_retention_days),
                ("logging.auditRetentionDays", self.logging.audit_retention_days),
            ):
                if days not in CLOUDWATCH_RETENTION_DAYS:
                    raise ValueError(
                        f"{key} = {days}: CloudWatch Logs accepts only "
                        f"{', '.join(map(str, sorted(CLOUDWATCH_RETENTION_DAYS)))}"
                    )
        if "azure" in self.clouds:
            self._azure_key_outlives_rotation()
            self._azure_tiers_allow_features()
            self._azure_dr_in_the_paired_region()
        return self

    def _azure_key_outlives_rotation(self) -> None:
        """Key Vault rotates a key at least a week before it expires, so expiry must leave room for rotation."""
        rotation = max(self.security.key_rotation_days, KEY_VAULT_MIN_ROTATION_DAYS)
        if self.azure.key_expiry_days < rotation + KEY_VAULT_ROTATE_BEFORE_EXPIRY_DAYS:
            raise ValueError(
                f"azure.keyExpiryDays = {self.azure.key_expiry_days}: must be at least "
                f"{rotation + KEY_VAULT_ROTATE_BEFORE_EXPIRY_DAYS} (security.keyRotationDays {rotation} + "
                f"{KEY_VAULT_ROTATE_BEFORE_EXPIRY_DAYS}); Key Vault rotates a key at least "
                f"{KEY_VAULT_ROTATE_BEFORE_EXPIRY_DAYS} days before it expires"
            )

    def _azure_dr_in_the_paired_region(self) -> None:
        """The geo-backup key and the DR copies must sit where Azure replicates: the location's pair."""
        pair = AZURE_PAIRED_REGIONS.get(self.azure.location)
        if self.disaster_recovery.enabled and pair and self.azure.dr_location != pair:
            raise ValueError(
                f'azure.drLocation = "{self.azure.dr_location}": {self.azure.location} replicates geo-redundant '
                f'backups and storage to its paired region; use "{pair}"'
            )

    def _azure_tiers_allow_features(self) -> None:
        """Azure offers HA and read replicas only off Burstable, and Redis persistence and replicas only on Premium."""
        tier, sku = self.azure.postgres_tier, self.azure.redis_sku
        if tier == "Burstable" and self.database.high_availability:
            raise ValueError(
                "azure.postgresTier = Burstable cannot run database.highAvailability = true; "
                "use GeneralPurpose or MemoryOptimized (Burstable has no zone-redundant HA)"
            )
        if tier == "Burstable" and self.disaster_recovery.enabled:
            raise ValueError(
                "azure.postgresTier = Burstable cannot host the disasterRecovery read replica; "
                "use GeneralPurpose or MemoryOptimized (Burstable has no read replicas)"
            )
        if self.database.high_availability and len(self.azure.zones) < 2:
            raise ValueError("database.highAvailability needs at least 2 azure.zones (primary and standby zone)")
        if sku != "Premium" and self.cache.snapshot_retention_days:
            raise ValueError(
                f"azure.redisSku = {sku} cannot keep cache.snapshotRetentionDays = "
                f"{self.cache.snapshot_retention_days}; RDB persistence needs Premium (or set it to 0)"
            )
        if self.cache.replicas > REDIS_MAX_REPLICAS[sku]:
            raise ValueError(
                f"azure.redisSku = {sku} cannot have cache.replicas = {self.cache.replicas}; "
                "Basic has none, Standard exactly 1, Premium up to 3"
            )

    def tags_for(self, service: str) -> dict[str, str]:
        """The tags every resource carries (SPEC.md: environment, service, owner, cost-center, managed-by)."""
        return {
            "environment": self.environment,
            "service": service,
            "owner": self.tags.owner,
            "cost-center": self.tags.cost_center,
            "managed-by": "pulumi",
        }

    def name(self, *parts: str) -> str:
        """A resource name scoped to this environment, e.g. ``platform-prod-web``."""
        return "-".join(("platform", self.environment, *parts))


ENVIRONMENT_DEFAULTS: dict[str, dict[str, Any]] = {
    "dev": {
        "aws": {"availabilityZones": 2},
        "gcp": {"redisTier": "BASIC"},
        "logging": {"appRetentionDays": 7, "auditRetentionDays": 30},
    },
    "staging": {
        "azure": {"redisSku": "Premium"},
        "gcp": {
            "machineTypes": {"web": "e2-standard-2", "api": "e2-standard-4", "worker": "e2-standard-2"},
            "databaseTier": "db-custom-2-7680",
        },
        "database": {"backupRetentionDays": 7},
        "cache": {"snapshotRetentionDays": 7},
        "logging": {"appRetentionDays": 30, "auditRetentionDays": 90},
        "backup": {"enabled": True, "dailyRetentionDays": 30},
    },
    "prod": {
        "aws": {"natGatewayPerZone": True},
        "azure": {
            "vmSizes": {"web": "Standard_D2s_v5", "api": "Standard_D4s_v5", "worker": "Standard_D2s_v5"},
            "postgresSku": "Standard_D2ds_v5",
            "postgresTier": "GeneralPurpose",
            "redisSku": "Premium",
            "gatewayCapacity": {"min": 2, "max": 10},
        },
        "gcp": {
            "machineTypes": {"web": "e2-standard-4", "api": "n2-standard-4", "worker": "e2-standard-4"},
            "databaseTier": "db-custom-4-15360",
            "redisMemoryGb": 5,
        },
        "database": {"highAvailability": True, "deletionProtection": True, "backupRetentionDays": 7},
        "cache": {"snapshotRetentionDays": 7, "replicas": 1, "automaticFailover": True},
        "logging": {"appRetentionDays": 90, "auditRetentionDays": 365},
        "backup": {
            "enabled": True,
            "dailyRetentionDays": 30,
            "hourlyRetentionDays": 7,
            "continuousRetentionDays": 7,
            "configRetentionDays": 90,
            "copyToDr": True,
            "vaultLock": True,
        },
        "disasterRecovery": {"enabled": True},
    },
}


def _deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def parse(raw: dict[str, Any], namespace: str = "platform") -> PlatformConfig:
    """Validate raw config (keys without namespace) into the model, or raise one ConfigError."""
    try:
        return PlatformConfig.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError([_describe(error, namespace, raw) for error in exc.errors()]) from None


def load(namespace: str = "platform") -> PlatformConfig:
    """Read every ``<namespace>:*`` key of the running stack and validate it."""
    prefix = namespace + ":"
    values = {**pulumi.runtime.get_config_env(), **pulumi.runtime.config.CONFIG.get()}
    raw = {key[len(prefix) :]: _decode(value) for key, value in values.items() if key.startswith(prefix)}
    return parse(raw, namespace)


def _decode(value: Any) -> Any:
    """Objects and lists arrive from the engine as JSON text; scalars stay text for pydantic to coerce."""
    if isinstance(value, str) and value[:1] in ("{", "["):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


def _describe(error: Any, namespace: str, raw: dict[str, Any]) -> str:
    """One line per problem: the key, the value found and what is allowed."""
    loc = [part for part in error["loc"] if not (isinstance(part, str) and part.endswith("]"))]
    path = ".".join(str(part) for part in loc)
    key = f"{namespace}:{path}" if path else namespace
    message = error["msg"].removeprefix("Value error, ")
    if error["type"] == "extra_forbidden":
        allowed = _allowed_keys(loc[:-1])
        return f"{key}: unknown key; allowed keys here: {', '.join(allowed)}"
    if error["type"] == "missing":
        return f"{key}: required but not set"
    value = error.get("input")
    if isinstance(value, dict):  # a rule across several keys: the message names them
        return f"{key}: {message}"
    return f"{key} = {json.dumps(value, default=str)}: {message}"


def _allowed_keys(loc: list[Any]) -> list[str]:
    model: Any = PlatformConfig
    for part in loc:
        field = next(
            (f for name, f in model.model_fields.items() if part in (name, f.alias)),
            None,
        )
        annotation = getattr(field, "annotation", None)
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            return []
        model = annotation
    return sorted(field.alias or name for name, field in model.model_fields.items())
