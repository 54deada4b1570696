"""Alarms (SPEC.md's alarm table and severity routing) and log retention."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, model_validator

from .base import Days, Model, Percent, Positive, Severity


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
