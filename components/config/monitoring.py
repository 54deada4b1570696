"""Alarms (SPEC.md's alarm table and severity routing) and log retention."""

from __future__ import annotations

from pydantic import Field, model_validator

from .base import Days, Email, Model, Positive, SettingError, Severity, ThresholdPercent, WindowMinutes


class Threshold(Model):
    """A warning and a critical level (either may be left out); an alarm at 0 would always fire."""

    warning: float | None = Field(None, gt=0)
    critical: float | None = Field(None, gt=0)

    @model_validator(mode="after")
    def _warning_below_critical(self) -> Threshold:
        if self.warning is not None and self.critical is not None and self.warning >= self.critical:
            raise SettingError("warning", self.warning, f"must be below critical ({self.critical})")
        return self


class PercentThreshold(Threshold):
    """Levels of a percentage: a utilisation can never exceed 100, so a level there never fires."""

    warning: ThresholdPercent | None = None
    critical: ThresholdPercent | None = None


class AlarmsConfig(Model):
    """Thresholds and windows of SPEC.md's alarm table, and who hears each severity."""

    cpu_percent: PercentThreshold = PercentThreshold(warning=70, critical=90)
    memory_percent: PercentThreshold = PercentThreshold(warning=80, critical=95)
    disk_percent: PercentThreshold = PercentThreshold(warning=85, critical=95)
    latency_ms: Threshold = Threshold(warning=1000, critical=5000)
    error_rate_percent: PercentThreshold = PercentThreshold(warning=1, critical=5)
    error_rate_window_minutes: WindowMinutes = 5
    paging_error_rate_percent: ThresholdPercent = 10
    paging_error_rate_window_minutes: WindowMinutes = 2
    down_minutes: WindowMinutes = 1
    database_connections: Positive = 100
    database_connections_window_minutes: WindowMinutes = 5
    failed_logins_per_hour: Positive = 10
    api_requests_per_minute: Positive = 1000
    replica_lag_seconds: Positive = 300
    # How long CPU, memory, disk, latency and cache signals must breach; SPEC gives none, so its usual 5 min.
    sustained_minutes: WindowMinutes = 5
    subscriptions: dict[Severity, list[Email]] = {}


class LoggingConfig(Model):
    app_retention_days: Days = 7
    audit_retention_days: Days = 30
