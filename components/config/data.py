"""PostgreSQL and Redis."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from .base import DailyWindow, Model, Positive, SettingError


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
            raise SettingError(
                "maxAllocatedStorageGb",
                self.max_allocated_storage_gb,
                f"must be >= allocatedStorageGb ({self.allocated_storage_gb})",
            )
        return self


class CacheConfig(Model):
    """Redis. ``snapshotRetentionDays: 0`` means no persistence."""

    engine_version: str = Field("7.1", pattern=r"^7(\.\d+)?$")
    port: int = Field(6379, ge=1024, le=65535)
    snapshot_retention_days: int = Field(0, ge=0, le=35)
    snapshot_window: DailyWindow = "04:00-05:00"  # UTC, daily
    replicas: int = Field(0, ge=0, le=5)
    automatic_failover: bool = False

    @model_validator(mode="after")
    def _failover_needs_replicas(self) -> CacheConfig:
        if self.automatic_failover and self.replicas < 1:
            raise SettingError("automaticFailover", True, f"needs replicas >= 1 (replicas is {self.replicas})")
        return self
