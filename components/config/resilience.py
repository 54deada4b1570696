"""Backups and disaster recovery."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, Field, model_validator

from .base import Model, Positive, SettingError

_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_WEEKDAYS = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")
# EventBridge cron, as AWS Backup reads it: (name, lowest, highest, names for 1.., extra forms of that field).
_CRON_FIELDS = (
    ("minutes", 0, 59, (), None),
    ("hours", 0, 23, (), None),
    ("day-of-month", 1, 31, (), re.compile(r"\?|L|LW|\d{1,2}W")),
    ("month", 1, 12, _MONTHS, None),
    ("day-of-week", 1, 7, _WEEKDAYS, re.compile(r"\?|L|[1-7]L|[1-7]#[1-5]")),
    ("year", 1970, 2199, (), None),
)


def _cron_value(text: str, low: int, high: int, names: tuple[str, ...]) -> bool:
    if text.upper() in names:
        return True
    return text.isdigit() and low <= int(text) <= high


def _cron_field(text: str, low: int, high: int, names: tuple[str, ...], extra: re.Pattern[str] | None) -> bool:
    """One field: ``*``, values, ranges ``a-b``, lists ``a,b`` and steps ``x/n``, plus the field's own forms."""
    if extra and extra.fullmatch(text):
        return True
    for item in text.split(","):
        base, slash, step = item.partition("/")
        if slash and not (step.isdigit() and int(step) > 0):
            return False
        if base == "*":
            continue
        bounds = base.split("-")
        if len(bounds) > 2 or not all(_cron_value(bound, low, high, names) for bound in bounds):
            return False
    return True


def aws_backup_cron(schedule: str) -> str:
    """AWS Backup's ``cron(minutes hours day-of-month month day-of-week year)``, at most one job an hour."""
    example = "e.g. cron(0 3 * * ? *) for 03:00 UTC daily"
    match = re.fullmatch(r"cron\((.*)\)", schedule)
    fields = match[1].split() if match else []
    if len(fields) != len(_CRON_FIELDS):
        raise ValueError(f"must be cron(minutes hours day-of-month month day-of-week year) with 6 fields; {example}")
    for text, (name, low, high, names, extra) in zip(fields, _CRON_FIELDS, strict=True):
        if not _cron_field(text, low, high, names, extra):
            raise ValueError(f"{name} field {text!r} is not valid AWS cron ({low}-{high}); {example}")
    if (fields[2] == "?") == (fields[4] == "?"):
        raise ValueError(f"exactly one of day-of-month and day-of-week must be ?; {example}")
    if not fields[0].isdigit():
        raise ValueError(f"AWS Backup runs jobs at least 60 minutes apart: give one minute of the hour; {example}")
    return schedule


BackupSchedule = Annotated[str, AfterValidator(aws_backup_cron)]
# A schedule that runs once every day at one minute and hour (the only kind some clouds' backup services take).
CRON_DAILY = re.compile(r"cron\((\d{1,2}) (\d{1,2}) [*?] \* [*?] \*\)")


class BackupConfig(Model):
    """Backup plan rules. A retention of 0 turns that rule off."""

    enabled: bool = False
    daily_retention_days: int = Field(30, ge=0, le=36500)
    hourly_retention_days: int = Field(0, ge=0, le=36500)
    continuous_retention_days: int = Field(0, ge=0, le=35)
    config_retention_days: int = Field(0, ge=0, le=36500)
    daily_schedule: BackupSchedule = "cron(0 3 * * ? *)"
    hourly_schedule: BackupSchedule = "cron(0 * * * ? *)"
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
            raise SettingError(
                "enabled", True, "needs at least one retention above 0 (a retention of 0 turns its rule off)"
            )
        return self


class DisasterRecoveryConfig(Model):
    """Cross-region recovery. RTO/RPO are the objectives the DR design is sized for."""

    enabled: bool = False
    rto_hours: Positive = 4
    rpo_hours: Positive = 1
