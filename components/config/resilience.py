"""Backups and disaster recovery."""

from __future__ import annotations

from pydantic import Field, model_validator

from .base import Model, Positive


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
