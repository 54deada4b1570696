"""Shared pieces of the config model: the base class, the error, the literal types and their values."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from typing import Annotated, Any, Literal

import pulumi
from pydantic import AfterValidator, BaseModel, ConfigDict, Field
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
# A percentage a signal can cross: at 0 an alarm always fires, at 100 a utilisation alarm never does.
ThresholdPercent = Annotated[float, Field(gt=0, lt=100)]
Days = Annotated[int, Field(ge=1, le=3653)]
Positive = Annotated[int, Field(ge=1)]
# Alarm windows: CloudWatch refuses a period x evaluation periods longer than one day.
WindowMinutes = Annotated[int, Field(ge=1, le=1440)]
K8S_CPU = re.compile(r"^\d+(\.\d+)?m?$")
K8S_MEMORY = re.compile(r"^\d+(Ki|Mi|Gi|Ti)?$")
UUID = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
RFC1918 = tuple(ipaddress.IPv4Network(cidr) for cidr in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"))
TAG_VALUE_MAX = 256  # AWS and Azure both cap a tag value at 256 characters


class ConfigError(pulumi.RunError):
    """Bad stack configuration. A RunError, so the engine prints the message without a traceback."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("Invalid stack configuration:\n  " + "\n  ".join(problems))


class SettingError(ValueError):
    """A rule about one key: the error names ``key`` (relative to the section that raised it) and its value.

    Cross-field rules raise it for the key the reader should change, so the message reads
    ``platform:compute.web.minSize = 5: must be <= maxSize (2)`` rather than naming only the section.
    """

    def __init__(self, key: str, value: Any, message: str):
        self.key, self.value = key, value
        super().__init__(message)


class Model(BaseModel):
    """Base for every config section: camelCase keys, unknown keys rejected, immutable, numbers finite.

    ``inf`` and ``nan`` are refused everywhere: no cloud takes them, and they would make JSON output invalid.
    Numbers are taken as text where text is expected: ``pulumi config set --path a.version 2`` stores 2.
    """

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="forbid",
        frozen=True,
        allow_inf_nan=False,
        coerce_numbers_to_str=True,
    )


def region_validator(allowed: frozenset[str], what: str):
    def check(value: str) -> str:
        if value not in allowed:
            raise ValueError(f"unknown {what}; allowed: {', '.join(sorted(allowed))}")
        return value

    return check


def _check(test: Callable[[Any], bool], allowed: str) -> AfterValidator:
    """A validator that refuses values failing ``test``, saying what is allowed."""

    def check(value: Any) -> Any:
        if not test(value):
            raise ValueError(allowed)
        return value

    return AfterValidator(check)


def _private(network: ipaddress.IPv4Network) -> bool:
    return any(network.subnet_of(block) for block in RFC1918)


def _domain(name: str) -> bool:
    labels = name.split(".")
    return (
        len(name) <= 253
        and len(labels) >= 2
        and all(_DNS_LABEL.fullmatch(label) for label in labels)
        and bool(_TOP_LEVEL_DOMAIN.fullmatch(labels[-1]))
    )


def _email(address: str) -> bool:
    local, at, domain = address.rpartition("@")
    return bool(at and _EMAIL_LOCAL.fullmatch(local) and _domain(domain.lower()))


def _quantity(pattern: re.Pattern[str]) -> Callable[[str], bool]:
    """A Kubernetes quantity of that form whose number is above zero (a zero quota or limit starts nothing)."""

    def positive(value: str) -> bool:
        match = pattern.match(value)
        return bool(match and float(re.sub(r"[^\d.]", "", value)) > 0)

    return positive


def _minutes(time: str) -> int:
    hours, minutes = time.split(":")
    return int(hours) * 60 + int(minutes)


_DNS_LABEL = re.compile(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?")
_TOP_LEVEL_DOMAIN = re.compile(r"[a-z]{2,63}|xn--[a-z0-9-]{1,59}")
_EMAIL_LOCAL = re.compile(r"[^@\s]{1,64}")
_TIME = r"([01]\d|2[0-3]):[0-5]\d"
_TAG_VALUE = re.compile(r"[\w .:/=+\-@]+")  # AWS's tag-value characters (Azure and GCP accept at least these)

# An RFC 1918 range: VPCs, VNets and subnets are never publicly routable addresses.
PrivateNetwork = Annotated[
    ipaddress.IPv4Network,
    _check(_private, "must be a private range inside 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16 (RFC 1918)"),
]
DomainName = Annotated[
    str,
    _check(
        _domain,
        "must be a lowercase DNS name such as platform.example.com: dot-separated labels of 1-63 letters, digits "
        "and inner hyphens, 253 characters at most, ending in a top-level domain",
    ),
]
Email = Annotated[str, _check(_email, "must be an e-mail address such as oncall@example.com")]
TagValue = Annotated[
    str,
    _check(
        lambda value: bool(_TAG_VALUE.fullmatch(value)) and len(value) <= TAG_VALUE_MAX and not value.isspace(),
        f"must be 1-{TAG_VALUE_MAX} letters, digits, spaces or _ . : / = + - @, not blank (AWS and Azure tag values)",
    ),
]
CpuQuantity = Annotated[
    str, _check(_quantity(K8S_CPU), "must be a Kubernetes CPU quantity above zero, such as 1, 0.5 or 500m")
]
MemoryQuantity = Annotated[
    str, _check(_quantity(K8S_MEMORY), "must be a Kubernetes memory quantity above zero, such as 512Mi or 2Gi")
]
TimeOfDay = Annotated[
    str, _check(lambda value: bool(re.fullmatch(_TIME, value)), "must be a UTC time HH:MM, 00:00-23:59")
]
DailyWindow = Annotated[
    str,
    _check(
        lambda value: bool(re.fullmatch(f"{_TIME}-{_TIME}", value)) and len(set(value.split("-"))) == 2,
        "must be a daily UTC window HH:MM-HH:MM between two different times of day, e.g. 04:00-05:00",
    ),
]


def window_minutes(window: str) -> int:
    """How long a daily ``HH:MM-HH:MM`` window lasts; a window past midnight ends the next day."""
    start, end = (_minutes(time) for time in window.split("-"))
    return (end - start) % (24 * 60)


def instance_type(pattern: str, example: str) -> AfterValidator:
    """A cloud's machine-size name: never empty or blank, always in the cloud's own naming scheme."""
    return _check(lambda value: bool(re.fullmatch(pattern, value)), f"must be {example}")


AwsInstanceType = Annotated[
    str, instance_type(r"[a-z][a-z0-9-]*\.[a-z0-9-]+", "an EC2 instance type such as t3.medium")
]
AzureVmSize = Annotated[
    str, instance_type(r"(Standard|Basic)_[A-Za-z0-9_-]+", "an Azure VM size such as Standard_D2s_v5")
]
GcpMachineType = Annotated[
    str, instance_type(r"[a-z][a-z0-9]*(-[a-z0-9]+)+", "a GCE machine type such as e2-standard-2")
]
