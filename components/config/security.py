"""Security settings and the tags every resource carries."""

from __future__ import annotations

import ipaddress
from typing import Literal

from pydantic import Field, field_validator

from .base import Model

SSH_ALLOWED_RANGE = ipaddress.IPv4Network("10.0.0.0/8")


class TagsConfig(Model):
    """Tags/labels every resource carries, besides environment, service and managed-by."""

    owner: str = Field("platform-team", min_length=1)
    cost_center: str = Field("platform", min_length=1)


class SecurityConfig(Model):
    ssh_cidrs: list[ipaddress.IPv4Network] = []
    key_rotation_days: int = Field(30, ge=1, le=2560)
    certificate_renewal_days: int = Field(90, ge=1, le=397)
    min_tls_version: Literal["1.2", "1.3"] = "1.2"
    role_session_hours: int = Field(1, ge=1, le=12)  # access roles' max session; AWS allows 1-12 h
    # SPEC.md: credentials rotate automatically at most every 90 days where the cloud offers rotation.
    secret_rotation_days: int = Field(90, ge=1, le=90)

    @field_validator("ssh_cidrs")
    @classmethod
    def _ssh_only_from_private_range(cls, cidrs: list[ipaddress.IPv4Network]) -> list[ipaddress.IPv4Network]:
        for cidr in cidrs:
            if not cidr.subnet_of(SSH_ALLOWED_RANGE):
                raise ValueError(f"{cidr} is outside {SSH_ALLOWED_RANGE}; SSH is allowed only from there")
        return cidrs
