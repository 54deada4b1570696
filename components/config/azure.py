"""Azure settings (components/azure): locations, sizes, identities. SPEC numbers stay in the shared sections."""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import Field, field_validator, model_validator

from .base import (
    TIERS,
    UUID,
    AzureVmSize,
    DomainName,
    Model,
    PrivateNetwork,
    SettingError,
    Tier,
    instance_type,
    region_validator,
)
from .resilience import CRON_DAILY

if TYPE_CHECKING:
    from .platform import PlatformConfig

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
# Key Vault rotation policies: a key version rotates 7 days after creation at the earliest and at least
# 7 days before it expires; a version expires 28 days after creation at the earliest.
KEY_VAULT_MIN_ROTATION_DAYS = 7
KEY_VAULT_ROTATE_BEFORE_EXPIRY_DAYS = 7
KEY_VAULT_MIN_EXPIRY_DAYS = 28


# Azure names PostgreSQL flexible-server compute by tier: B-series burstable, D-series general purpose, E-series
# memory optimized (learn.microsoft.com/azure/postgresql/flexible-server/concepts-compute).
POSTGRES_SKU_PREFIXES = {"Burstable": "Standard_B", "GeneralPurpose": "Standard_D", "MemoryOptimized": "Standard_E"}
REDIS_PREMIUM_CAPACITIES = range(1, 6)  # P1-P5; C0-C6 are Basic/Standard
REDIS_MAX_REPLICAS = {"Basic": 0, "Standard": 1, "Premium": 3}  # replicas per primary each tier can run
REDIS_RDB_FREQUENCIES_MINUTES = (15, 30, 60, 360, 720, 1440)  # the RDB snapshot intervals Azure accepts
# The windows (minutes) Azure evaluates: metric alerts take only these; log alerts these "aggregation granularities",
# at most MAX_EVALUATION_PERIODS of them in a row. components/azure/alarms.py checks a shorter log window it has no
# granularity for as that many 1-minute windows that all breach.
METRIC_WINDOWS_MINUTES = (1, 5, 15, 30, 60, 360, 720, 1440)
LOG_WINDOWS_MINUTES = (1, 5, 10, 15, 30, 45, 60, 120, 180, 240, 300, 360, 1440, 2880)
MAX_EVALUATION_PERIODS = 6
# The alarms settings components/azure/alarms.py turns into metric alert windows, and into log alert windows.
METRIC_ALARM_WINDOWS = ("sustainedMinutes", "downMinutes", "databaseConnectionsWindowMinutes")
LOG_ALARM_WINDOWS = ("sustainedMinutes", "errorRateWindowMinutes", "pagingErrorRateWindowMinutes")
# A PerGB2018 Log Analytics workspace keeps data 30 to 730 days (only the legacy Free tier keeps 7): shorter
# retentions are raised to the minimum, longer ones refused rather than silently cut.
MIN_WORKSPACE_RETENTION_DAYS, MAX_WORKSPACE_RETENTION_DAYS = 30, 730
# A flexible server keeps point-in-time backups at least 7 days (SPEC allows 1 in dev: raised to 7).
MIN_BACKUP_RETENTION_DAYS = 7
# components/azure/network.py carves /24 subnets at blocks 1-3 of each address space (app, data, endpoints; block 0
# stays free), so it must be a /22 or larger; the app subnet holds every scale set's VMs, and Azure keeps
# 5 addresses of each subnet for itself.
SUBNET_PREFIX, SUBNET_COUNT = 24, 4
ADDRESS_SPACE_MAX_PREFIX = SUBNET_PREFIX - (SUBNET_COUNT - 1).bit_length()
APP_SUBNET_ADDRESSES = 2 ** (32 - SUBNET_PREFIX) - 5


class AzureConfig(Model):
    """Azure sizes, addressing and identities (components/azure). SPEC numbers stay in the shared sections."""

    location: str = "eastus"
    dr_location: str = "westus"  # eastus's paired region, where geo-redundant backups and storage land
    address_space: PrivateNetwork = ipaddress.IPv4Network("10.2.0.0/16")
    dr_address_space: PrivateNetwork = ipaddress.IPv4Network("10.3.0.0/16")
    zones: list[Literal["1", "2", "3"]] = Field(["1", "2", "3"], min_length=1)
    vm_sizes: dict[Tier, AzureVmSize] = {"web": "Standard_B2s", "api": "Standard_B2ms", "worker": "Standard_B2s"}
    vm_image: dict[Literal["publisher", "offer", "sku", "version"], Annotated[str, Field(pattern=r"^\S+$")]] = {
        "publisher": "Canonical",
        "offer": "ubuntu-24_04-lts",
        "sku": "server",
        "version": "latest",
    }
    admin_username: str = Field("platform", pattern=r"^[a-z][a-z0-9_]{0,31}$")
    ssh_public_key: str = Field("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIExampleKeyReplaceMe platform", pattern=r"^ssh-")
    postgres_sku: Annotated[
        str, instance_type(r"Standard_[A-Za-z0-9_]+", "a PostgreSQL compute size such as Standard_D2ds_v5")
    ] = "Standard_B2s"
    postgres_tier: Literal["Burstable", "GeneralPurpose", "MemoryOptimized"] = "Burstable"
    redis_sku: Literal["Basic", "Standard", "Premium"] = "Standard"
    redis_capacity: int = Field(1, ge=0, le=6)
    redis_version: Literal["6"] = "6"  # the newest Azure Cache for Redis offers; 7.x is Azure Managed Redis only
    redis_rdb_frequency_minutes: int = 1440  # one of REDIS_RDB_FREQUENCIES_MINUTES; SPEC's snapshots are daily
    # Front Door's custom domain, with a certificate Front Door manages (and renews).
    domain_name: DomainName = "platform.example.com"
    key_expiry_days: int = Field(90, ge=KEY_VAULT_MIN_EXPIRY_DAYS, le=3650)  # each key version's lifetime
    key_vault_sku: Literal["standard", "premium"] = "premium"  # premium keeps the keys in HSMs (RSA-HSM)
    group_object_ids: dict[Literal["admin", "developer", "viewer"], Annotated[str, Field(pattern=UUID)]] = {}
    # Who runs `pulumi up` (a CI service principal, or a user): Azure rejects role assignments of the wrong type.
    deployer_principal_type: Literal["ServicePrincipal", "User"] = "ServicePrincipal"
    # Where the region's Network Watcher lives (Azure creates NetworkWatcher_<location> in NetworkWatcherRG);
    # declareNetworkWatcher creates it in the environment's resource group instead, for subscriptions that turned
    # Azure's automatic creation off.
    network_watcher_resource_group: str = Field("NetworkWatcherRG", pattern=r"^[-\w.()]{1,90}$")
    declare_network_watcher: bool = False
    # Key Vault keeps a deleted vault's name 90 days and App Configuration a store's 7, and purge protection
    # forbids freeing them early: raise this after `pulumi destroy` to deploy the stack again under fresh names.
    name_generation: int = Field(1, ge=1, le=99)
    # Feature flags are written through ARM, which reaches the private App Configuration store only for callers
    # coming through this Resource Management private link (README); false: write them from inside the network.
    write_feature_flags: bool = True
    arm_private_link: dict[Literal["resourceGroup", "name"], Annotated[str, Field(pattern=r"^[-\w.()]{1,90}$")]] = {
        "resourceGroup": "platform-deployers",
        "name": "platform-arm",
    }
    # The Prometheus agent on every instance (boot.py): the upstream image, as distribution packages lack
    # remote-write's Azure AD authentication.
    metrics_agent_image: str = Field(
        "quay.io/prometheus/prometheus:v2.53.0",
        pattern=r"^[a-z0-9.-]+(:\d+)?/[a-z0-9._/-]+(:[\w.-]+|@sha256:[0-9a-f]{64})$",
    )
    # How often each instance checks Key Vault for a rotated credential and restarts its container onto it.
    secret_refresh_minutes: int = Field(5, ge=1, le=60)

    _check_location = field_validator("location", "dr_location")(region_validator(AZURE_LOCATIONS, "Azure location"))

    @field_validator("vm_sizes")
    @classmethod
    def _every_tier_sized(cls, sizes: dict[Tier, str]) -> dict[Tier, str]:
        missing = [tier for tier in TIERS if tier not in sizes]
        if missing:
            raise ValueError(f"needs a VM size for {', '.join(missing)}")
        return sizes

    @field_validator("address_space", "dr_address_space")
    @classmethod
    def _holds_the_subnets(cls, cidr: ipaddress.IPv4Network) -> ipaddress.IPv4Network:
        if cidr.prefixlen > ADDRESS_SPACE_MAX_PREFIX:
            raise ValueError(
                f"must be a /{ADDRESS_SPACE_MAX_PREFIX} or larger: the network carves {SUBNET_COUNT} "
                f"/{SUBNET_PREFIX} subnets (gateway, app, data, endpoints) from it"
            )
        return cidr

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
            raise SettingError(
                "postgresSku",
                self.postgres_sku,
                f"is not a {self.postgres_tier} size; {self.postgres_tier} sizes start with {prefix} "
                f"(e.g. {prefix}2ds_v5)",
            )
        if self.redis_sku == "Premium" and self.redis_capacity not in REDIS_PREMIUM_CAPACITIES:
            raise SettingError("redisCapacity", self.redis_capacity, "is not a Premium size; allowed: 1-5 (P1-P5)")
        return self

    @model_validator(mode="after")
    def _distinct_locations(self) -> AzureConfig:
        if self.location == self.dr_location:
            raise SettingError("drLocation", self.dr_location, f"must differ from location ({self.location})")
        if self.address_space.overlaps(self.dr_address_space):
            raise SettingError(
                "drAddressSpace", str(self.dr_address_space), f"overlaps addressSpace ({self.address_space})"
            )
        return self


def check_stack(cfg: PlatformConfig) -> None:
    """What Azure refuses across sections: key expiry vs rotation, tier features, the DR region, alarm windows,
    log retention, backup schedules and retentions."""
    _key_outlives_rotation(cfg)
    _tiers_allow_features(cfg)
    _dr_in_the_paired_region(cfg)
    _rollback_windows_evaluable(cfg)
    _alarm_windows_evaluable(cfg)
    _workspaces_keep_the_logs(cfg)
    _backup_once_a_day(cfg)
    _backup_restore_points_kept(cfg)
    _app_subnet_holds_the_scale_sets(cfg)


def _rollback_windows_evaluable(cfg: PlatformConfig) -> None:
    """The rollback signals are log alerts (window x periods) and metric alerts (one window of both)."""
    rollback = cfg.blue_green.rollback
    window, periods = rollback.window_seconds // 60, rollback.evaluation_periods
    if window not in LOG_WINDOWS_MINUTES or periods > MAX_EVALUATION_PERIODS:
        raise SettingError(
            "blueGreen.rollback.windowSeconds",
            rollback.window_seconds,
            f"with evaluationPeriods = {periods}: Azure log alerts evaluate windows of "
            f"{', '.join(map(str, LOG_WINDOWS_MINUTES))} minutes, "
            f"at most {MAX_EVALUATION_PERIODS} in a row",
        )
    if window * periods not in METRIC_WINDOWS_MINUTES:
        raise SettingError(
            "blueGreen.rollback.windowSeconds",
            rollback.window_seconds,
            f"x evaluationPeriods ({periods}) = {window * periods} minutes: Azure metric "
            f"alerts evaluate windows of {', '.join(map(str, METRIC_WINDOWS_MINUTES))} minutes",
        )


def _alarm_windows_evaluable(cfg: PlatformConfig) -> None:
    """Each alarm window is one Azure evaluates: metric alerts take only theirs, log alerts theirs or a short run."""
    minutes = cfg.alarms.model_dump(by_alias=True)
    for key in METRIC_ALARM_WINDOWS:
        if minutes[key] not in METRIC_WINDOWS_MINUTES:
            raise SettingError(
                f"alarms.{key}",
                minutes[key],
                f"Azure metric alerts evaluate windows of {', '.join(map(str, METRIC_WINDOWS_MINUTES))} minutes",
            )
    for key in LOG_ALARM_WINDOWS:
        if minutes[key] not in LOG_WINDOWS_MINUTES and minutes[key] > MAX_EVALUATION_PERIODS:
            raise SettingError(
                f"alarms.{key}",
                minutes[key],
                f"Azure log alerts evaluate windows of 1-{MAX_EVALUATION_PERIODS} or "
                f"{', '.join(map(str, LOG_WINDOWS_MINUTES))} minutes",
            )


def _workspaces_keep_the_logs(cfg: PlatformConfig) -> None:
    """Logs go to Log Analytics workspaces; a retention past their maximum would be cut short, not kept."""
    for key, days in (
        ("appRetentionDays", cfg.logging.app_retention_days),
        ("auditRetentionDays", cfg.logging.audit_retention_days),
    ):
        if days > MAX_WORKSPACE_RETENTION_DAYS:
            raise SettingError(
                f"logging.{key}",
                days,
                f"a Log Analytics workspace keeps data at most {MAX_WORKSPACE_RETENTION_DAYS} days",
            )


def _key_outlives_rotation(cfg: PlatformConfig) -> None:
    """Key Vault rotates a key at least a week before it expires, so expiry must leave room for rotation."""
    rotation = max(cfg.security.key_rotation_days, KEY_VAULT_MIN_ROTATION_DAYS)
    if cfg.azure.key_expiry_days < rotation + KEY_VAULT_ROTATE_BEFORE_EXPIRY_DAYS:
        raise SettingError(
            "azure.keyExpiryDays",
            cfg.azure.key_expiry_days,
            f"must be at least {rotation + KEY_VAULT_ROTATE_BEFORE_EXPIRY_DAYS} (security.keyRotationDays {rotation} + "
            f"{KEY_VAULT_ROTATE_BEFORE_EXPIRY_DAYS}); Key Vault rotates a key at least "
            f"{KEY_VAULT_ROTATE_BEFORE_EXPIRY_DAYS} days before it expires",
        )


def _dr_in_the_paired_region(cfg: PlatformConfig) -> None:
    """The geo-backup key and the DR copies must sit where Azure replicates: the location's pair."""
    pair = AZURE_PAIRED_REGIONS.get(cfg.azure.location)
    if cfg.disaster_recovery.enabled and pair and cfg.azure.dr_location != pair:
        raise SettingError(
            "azure.drLocation",
            cfg.azure.dr_location,
            f'{cfg.azure.location} replicates geo-redundant backups and storage to its paired region; use "{pair}"',
        )


def _tiers_allow_features(cfg: PlatformConfig) -> None:
    """Azure offers HA and read replicas only off Burstable, and Redis persistence and replicas only on Premium."""
    tier, sku = cfg.azure.postgres_tier, cfg.azure.redis_sku
    if tier == "Burstable" and cfg.database.high_availability:
        raise SettingError(
            "azure.postgresTier",
            tier,
            "cannot run database.highAvailability = true; use GeneralPurpose or MemoryOptimized "
            "(Burstable has no zone-redundant HA)",
        )
    if tier == "Burstable" and cfg.disaster_recovery.enabled:
        raise SettingError(
            "azure.postgresTier",
            tier,
            "cannot host the disasterRecovery read replica; use GeneralPurpose or MemoryOptimized "
            "(Burstable has no read replicas)",
        )
    if cfg.database.high_availability and len(cfg.azure.zones) < 2:
        raise SettingError(
            "azure.zones", cfg.azure.zones, "database.highAvailability needs at least 2 (primary and standby zone)"
        )
    if sku != "Premium" and cfg.cache.snapshot_retention_days:
        raise SettingError(
            "azure.redisSku",
            sku,
            f"cannot keep cache.snapshotRetentionDays = {cfg.cache.snapshot_retention_days}; "
            "RDB persistence needs Premium (or set it to 0)",
        )
    if cfg.cache.replicas > REDIS_MAX_REPLICAS[sku]:
        raise SettingError(
            "azure.redisSku",
            sku,
            f"cannot have cache.replicas = {cfg.cache.replicas}; Basic has none, Standard exactly 1, Premium up to 3",
        )


def _backup_once_a_day(cfg: PlatformConfig) -> None:
    """Azure Backup backs PostgreSQL up once a day at one fixed UTC time, taken from ``backup.dailySchedule``."""
    schedule = cfg.backup.daily_schedule
    if cfg.backup.enabled and not CRON_DAILY.fullmatch(schedule):
        raise SettingError(
            "backup.dailySchedule",
            schedule,
            "Azure Backup runs once a day at a fixed UTC time: give one minute and one hour, every day, "
            "e.g. cron(0 3 * * ? *)",
        )


def _backup_restore_points_kept(cfg: PlatformConfig) -> None:
    """Azure Backup takes only the daily vault backup of PostgreSQL; hourly and continuous restore points are the
    server's point-in-time recovery, so their retentions must fit its window."""
    backup = cfg.backup
    if not backup.enabled:
        return
    if not backup.daily_retention_days:
        raise SettingError(
            "backup.dailyRetentionDays",
            0,
            "on Azure the daily vault backup is the backup plan (hourly and point-in-time restores come from the "
            "server); set it above 0 or backup.enabled to false",
        )
    pitr_days = max(cfg.database.backup_retention_days, MIN_BACKUP_RETENTION_DAYS)
    for key, days in (
        ("hourlyRetentionDays", backup.hourly_retention_days),
        ("continuousRetentionDays", backup.continuous_retention_days),
    ):
        if days > pitr_days:
            raise SettingError(
                f"backup.{key}",
                days,
                "Azure Backup has no hourly or continuous schedule for PostgreSQL; those restore points come from "
                f"the server's point-in-time recovery, so raise database.backupRetentionDays (now {pitr_days} days, "
                f"at most 35) to {days}",
            )


def _app_subnet_holds_the_scale_sets(cfg: PlatformConfig) -> None:
    """Every VM of every scale set sits in the app /24; at full scale with both colours they must all fit."""
    vms = 2 * sum(cfg.compute.tier(tier).max_size for tier in TIERS)
    if vms > APP_SUBNET_ADDRESSES:
        raise SettingError(
            "compute",
            {tier: cfg.compute.tier(tier).max_size for tier in TIERS},
            f"maxSize of web, api and worker, both colours, is {vms} VMs; the Azure app subnet "
            f"(/{SUBNET_PREFIX}) holds {APP_SUBNET_ADDRESSES}",
        )
