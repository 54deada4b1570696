"""GCP's own limits across config sections, checked before anything is registered (exit 2 on a bad stack)."""

from __future__ import annotations

import pytest

from components.config import ConfigError, parse
from components.config.gcp import cloud_sql_retained_backups
from infractl.cli import main

GCP = ["gcp"]


def _gcp(environment: str, **sections) -> dict:
    return {"environment": environment, "clouds": GCP, **sections}


@pytest.mark.parametrize(("environment", "logs", "retained"), [("dev", 1, 1), ("staging", 7, 30)])
def test_shipped_retentions_pass_and_equal_counts_are_accepted(environment, logs, retained):
    cfg = parse(_gcp(environment))  # dev: equal counts, which Cloud SQL accepts (its own defaults are 7 and 7)
    assert (cfg.database.backup_retention_days, cloud_sql_retained_backups(cfg)) == (logs, retained)


@pytest.mark.parametrize(
    ("sections", "expected"),
    [
        (
            {"database": {"backupRetentionDays": 7}, "backup": {"dailyRetentionDays": 5}},
            "platform:database.backupRetentionDays = 7: exceeds backup.dailyRetentionDays (5)",
        ),
        ({"database": {"backupRetentionDays": 14}}, "database.backupRetentionDays = 14: Cloud SQL (ENTERPRISE)"),
        ({"backup": {"dailyRetentionDays": 400}}, "backup.dailyRetentionDays = 400: Cloud SQL keeps at most 365"),
    ],
)
def test_cloud_sql_retention_pairs_are_checked_on_every_stack(sections, expected):
    with pytest.raises(ConfigError) as error:
        parse(_gcp("staging", **sections))
    assert expected in str(error.value)
    parse({**_gcp("staging", **sections), "clouds": ["aws"]})  # a GCP limit, not checked for other clouds


def test_hourly_only_backups_keep_the_pitr_window_as_retained_backups():
    cfg = parse(_gcp("staging", backup={"dailyRetentionDays": 0, "hourlyRetentionDays": 7}))
    assert cloud_sql_retained_backups(cfg) == cfg.database.backup_retention_days == 7


def test_a_value_set_by_hand_exits_2_before_any_resource(capsys):
    code = main(
        [
            "plan",
            "--stack",
            "dev",
            "--config",
            'clouds=["gcp"]',
            "--config",
            "database.backupRetentionDays=5",
            "--config",
            "backup.enabled=true",
            "--config",
            "backup.dailyRetentionDays=3",
        ]
    )
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    assert "platform:database.backupRetentionDays = 5: exceeds backup.dailyRetentionDays (3)" in err
