"""GCP settings (components/gcp): project, regions, sizes, identities. SPEC numbers stay in the shared sections."""

from __future__ import annotations

import ipaddress
import itertools
import re
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import Field, field_validator, model_validator

from .base import (
    TIERS,
    DomainName,
    Email,
    GcpMachineType,
    Model,
    PrivateNetwork,
    SettingError,
    Tier,
    TimeOfDay,
    instance_type,
    region_validator,
)

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


SUBNET_MAX_PREFIX = 29  # GCP's smallest primary subnet range
PRIVATE_SERVICES_MAX_PREFIX = 24  # the smallest range private services access allocates (Cloud SQL needs a /24)
SUBNET_RESERVED_ADDRESSES = 4  # GCP keeps the network, gateway, second-to-last and broadcast addresses
# components/gcp/backup.py runs daily backups in a window of this many hours from databaseBackupStartTime;
# Backup and DR windows may not pass midnight (0 <= startHourOfDay < endHourOfDay <= 24).
BACKUP_WINDOW_HOURS = 4
LABEL_VALUE = re.compile(r"[a-z0-9_-]{0,63}")  # GCP label values: at most 63 lowercase letters, digits, _ and -


def _max_prefix(largest: int, what: str):
    def check(cidr: ipaddress.IPv4Network) -> ipaddress.IPv4Network:
        if cidr.prefixlen > largest:
            raise ValueError(f"must be a /{largest} or larger: {what}")
        return cidr

    return check


class GcpConfig(Model):
    """GCP project, sizes, addressing and identities (components/gcp). SPEC numbers stay in the shared sections.

    Address ranges default apart from AWS's and Azure's so the clouds can be peered later.
    """

    project: str = Field("platform-example", pattern=r"^[a-z][a-z0-9-]{4,28}[a-z0-9]$")
    region: str = "us-central1"
    dr_region: str = "us-east1"
    subnet_cidr: PrivateNetwork = ipaddress.IPv4Network("10.4.0.0/20")
    dr_subnet_cidr: PrivateNetwork = ipaddress.IPv4Network("10.5.0.0/20")
    private_services_cidr: PrivateNetwork = ipaddress.IPv4Network("10.6.0.0/16")  # Cloud SQL, Memorystore
    machine_types: dict[Tier, GcpMachineType] = {"web": "e2-medium", "api": "e2-standard-2", "worker": "e2-medium"}
    boot_image: str = Field("projects/debian-cloud/global/images/family/debian-12", pattern=r"^projects/[a-z0-9-]+/")
    database_tier: Annotated[
        str, instance_type(r"db-[a-z0-9]+(-[a-z0-9]+)*", "a Cloud SQL tier such as db-custom-2-7680")
    ] = "db-custom-1-3840"
    database_backup_start_time: TimeOfDay = "03:00"  # UTC
    redis_tier: Literal["BASIC", "STANDARD_HA"] = "STANDARD_HA"
    redis_memory_gb: int = Field(1, ge=1, le=300)  # read replicas need 5 GB or more
    redis_version: Literal["REDIS_7_0", "REDIS_7_2"] = "REDIS_7_2"  # Memorystore's 7.x versions
    ssl_policy_profile: Literal["MODERN", "RESTRICTED"] = "RESTRICTED"
    domain_name: DomainName = "platform.example.com"
    group_emails: dict[Literal["admin", "developer", "viewer"], list[Email]] = {}

    _check_region = field_validator("region", "dr_region")(region_validator(GCP_REGIONS, "GCP region"))
    _subnet_size = field_validator("subnet_cidr", "dr_subnet_cidr")(
        _max_prefix(SUBNET_MAX_PREFIX, "GCP's smallest subnet")
    )
    _private_services_size = field_validator("private_services_cidr")(
        _max_prefix(PRIVATE_SERVICES_MAX_PREFIX, "the smallest range private services access allocates")
    )

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
            raise SettingError("drRegion", self.dr_region, f"must differ from region ({self.region})")
        ranges = {
            "subnetCidr": self.subnet_cidr,
            "drSubnetCidr": self.dr_subnet_cidr,
            "privateServicesCidr": self.private_services_cidr,
        }
        for (a, first), (b, second) in itertools.combinations(ranges.items(), 2):
            if first.overlaps(second):
                raise SettingError(b, str(second), f"overlaps {a} ({first})")
        return self


def check_stack(cfg: PlatformConfig) -> None:
    """What GCP refuses across sections: labels, a backup window past midnight, a subnet too small for the VMs."""
    _tags_are_valid_labels(cfg)
    _backup_window_within_the_day(cfg)
    _subnet_holds_the_instances(cfg)


def _tags_are_valid_labels(cfg: PlatformConfig) -> None:
    """Tags become GCP labels, which take fewer characters than AWS and Azure tags (a rewrite would split costs)."""
    for key, value in (("tags.owner", cfg.tags.owner), ("tags.costCenter", cfg.tags.cost_center)):
        if not LABEL_VALUE.fullmatch(value):
            raise SettingError(key, value, "GCP label values take at most 63 lowercase letters, digits, _ and -")


def _backup_window_within_the_day(cfg: PlatformConfig) -> None:
    start = int(cfg.gcp.database_backup_start_time.split(":")[0])
    if cfg.backup.enabled and start + BACKUP_WINDOW_HOURS > 24:
        raise SettingError(
            "gcp.databaseBackupStartTime",
            cfg.gcp.database_backup_start_time,
            f"the daily Backup and DR window runs {BACKUP_WINDOW_HOURS} h from this hour and may not pass midnight; "
            f"start at {24 - BACKUP_WINDOW_HOURS:02d}:00 or earlier",
        )


def _subnet_holds_the_instances(cfg: PlatformConfig) -> None:
    """Every VM of every managed instance group sits in the region's subnet; at full scale they must all fit.

    The DR region's subnet exists only with disaster recovery, and then runs the same groups.
    """
    vms = 2 * sum(cfg.compute.tier(tier).max_size for tier in TIERS)
    subnets = [("gcp.subnetCidr", cfg.gcp.subnet_cidr)]
    if cfg.disaster_recovery.enabled:
        subnets.append(("gcp.drSubnetCidr", cfg.gcp.dr_subnet_cidr))
    for key, cidr in subnets:
        usable = cidr.num_addresses - SUBNET_RESERVED_ADDRESSES
        if vms > usable:
            raise SettingError(
                key,
                str(cidr),
                f"holds {usable} VMs, but maxSize of web, api and worker, both colours, is {vms}; "
                f"use a /{32 - (vms + SUBNET_RESERVED_ADDRESSES - 1).bit_length()} or larger",
            )
