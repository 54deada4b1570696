"""What the application is handed: its settings and its feature flags."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Literal

from pydantic import Field

from .base import Days, Model, Positive


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
    """Settings handed to the application as environment variables, named exactly as SPEC.md names them."""

    # Connections each instance holds open; no PostgreSQL size serves a thousand per instance of every tier.
    database_pool_size: int = Field(20, ge=1, le=1000)
    database_timeout: Positive = 30000  # milliseconds
    cache_ttl: Positive = 300  # seconds
    rate_limit_requests: Positive = 1000
    rate_limit_window: Positive = 60000  # milliseconds
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


def rate_in_window(requests: int, window_ms: int, windows_seconds: Sequence[int]) -> tuple[int, int]:
    """``app.rateLimitRequests`` per ``app.rateLimitWindow`` (ms) as an edge firewall counts it: (requests, window
    seconds) over the shortest of its ``windows_seconds`` that covers the app's window (the longest when none
    does), the count scaled to keep the rate and rounded up. The app's own limiter stays the precise one."""
    window = next((w for w in windows_seconds if w * 1000 >= window_ms), windows_seconds[-1])
    return -(-requests * window * 1000 // window_ms), window  # ceiling division
