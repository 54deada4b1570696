"""``infractl backups verify`` against moto in-process.

moto's Backup API has vaults and plans but no recovery points or protected-resource listings
(they answer 404 "Not yet implemented"), so recovery points come from the RDS fallback, as they
would where a real account's Backup API cannot say. moto cannot copy an RDS snapshot across
regions either, so a DR copy is set up as what RDS reports for one: a snapshot in the DR region
carrying the source database's identifier.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

from components.config import BackupConfig, profile
from infractl import cli, errors
from infractl.ops import backups
from tests.ops.conftest import DR_REGION, REGION, Faults

pytestmark = pytest.mark.usefixtures("aws")
PROD = profile("prod").backup
DR_VAULT_ARN = f"arn:aws:backup:{DR_REGION}:123456789012:backup-vault:platform-prod-dr"


def database(region: str, identifier: str = "platform-prod-db", retention: int = 7) -> dict[str, Any]:
    return boto3.client("rds", region_name=region).create_db_instance(
        DBInstanceIdentifier=identifier,
        Engine="postgres",
        DBInstanceClass="db.t3.micro",
        MasterUsername="platform",
        MasterUserPassword="not-a-real-password",
        AllocatedStorage=20,
        BackupRetentionPeriod=retention,
    )["DBInstance"]


def plan_rules(config: BackupConfig, copy_to: str | None = DR_VAULT_ARN) -> list[dict[str, Any]]:
    """Backup plan rules as the platform would write them for ``config``."""
    copies = {"CopyActions": [{"DestinationBackupVaultArn": copy_to}]} if copy_to else {}
    return [
        {
            "RuleName": rule.label,
            "TargetBackupVaultName": "platform-prod",
            "Lifecycle": {"DeleteAfterDays": rule.days},
            **({"EnableContinuousBackup": True} if rule.schedule is None else {"ScheduleExpression": rule.schedule}),
            **(copies if rule.schedule else {}),
        }
        for rule in backups.expected_rules(config)
    ]


def make_vault(rules: list[dict[str, Any]], encrypted: bool = True) -> None:
    backup = boto3.client("backup", region_name=REGION)
    key = boto3.client("kms", region_name=REGION).create_key()["KeyMetadata"]["Arn"] if encrypted else None
    backup.create_backup_vault(BackupVaultName="platform-prod", **({"EncryptionKeyArn": key} if key else {}))
    backup.create_backup_plan(BackupPlan={"BackupPlanName": "platform-prod", "Rules": rules})


def dr_copy(identifier: str = "platform-prod-db") -> None:
    database(DR_REGION, identifier, retention=0)
    boto3.client("rds", region_name=DR_REGION).create_db_snapshot(
        DBInstanceIdentifier=identifier, DBSnapshotIdentifier=f"{identifier}-copy"
    )


def verify(*extra: str) -> int:
    return cli.main(["backups", "verify", "--vault", "platform-prod", "--region", REGION, *extra])


def failing(out: str) -> list[str]:
    return [line for line in out.splitlines() if "  FAIL  " in line]


def test_prod_backups_as_spec_pass(capsys: pytest.CaptureFixture[str]) -> None:
    make_vault(plan_rules(PROD))
    database(REGION)
    dr_copy()
    assert verify("--dr-region", DR_REGION) == errors.EXIT_OK
    out = capsys.readouterr().out
    assert failing(out) == []
    assert out.count("plan rule") == 4  # daily 30, hourly 7, continuous 7, config 90 days
    assert "via rds (Backup API: 404)" in out  # moto's Backup API cannot say; RDS answered


def test_missing_rules_and_copies_fail_with_a_table(capsys: pytest.CaptureFixture[str]) -> None:
    staging = profile("staging").backup
    make_vault(plan_rules(staging, copy_to=None))  # daily only, no DR copy action
    database(REGION)
    assert verify("--dr-region", DR_REGION) == errors.EXIT_FAILED
    rows = failing(capsys.readouterr().out)
    assert any("daily" in row and "does not copy to us-west-2" in row for row in rows)
    assert any("hourly" in row for row in rows) and any("continuous" in row for row in rows)
    assert any("config: cron(0 3 * * ? *), 90 days" in row for row in rows)
    assert any(row.startswith(f"copy in {DR_REGION}") for row in rows)


def test_staging_expects_only_the_daily_rule(capsys: pytest.CaptureFixture[str]) -> None:
    staging = profile("staging").backup
    make_vault(plan_rules(staging, copy_to=None))
    database(REGION)
    assert verify("--environment", "staging") == errors.EXIT_OK, capsys.readouterr().out


def test_unencrypted_vault_and_database_without_backups_fail(capsys: pytest.CaptureFixture[str]) -> None:
    make_vault(plan_rules(PROD), encrypted=False)
    instance = database(REGION, retention=0)
    rds = boto3.client("rds", region_name=REGION)
    for snapshot in rds.describe_db_snapshots()["DBSnapshots"]:  # moto snapshots even with backups off
        rds.delete_db_snapshot(DBSnapshotIdentifier=snapshot["DBSnapshotIdentifier"])
    dr_copy()
    assert verify("--dr-region", DR_REGION) == errors.EXIT_FAILED
    rows = failing(capsys.readouterr().out)
    assert [row.split()[0] for row in rows] == ["encryption", "recovery"]
    assert instance["DBInstanceArn"] in rows[1] and "none found" in rows[1]


def test_recovery_point_older_than_the_rpo_fails(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    class TwoHoursLater(datetime):
        @classmethod
        def now(cls, tz: Any = None) -> Any:
            return datetime.now(tz) + timedelta(hours=2)

    make_vault(plan_rules(PROD))
    instance = database(REGION)
    dr_copy()
    monkeypatch.setattr(backups, "datetime", TwoHoursLater)
    assert verify("--dr-region", DR_REGION) == errors.EXIT_FAILED  # default --max-age-hours: the 1 h RPO
    rows = failing(capsys.readouterr().out)
    assert len(rows) == 1 and instance["DBInstanceArn"] in rows[0] and "2.0 h old" in rows[0]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--vault", "no-such-vault", "--dr-region", DR_REGION], "ResourceNotFoundException"),
        ([], "--dr-region is required: prod copies backups"),
        (["--environment", "staging", "--outputs", "/nonexistent.json"], "--outputs /nonexistent.json"),
    ],
)
def test_bad_input_exits_2(capsys: pytest.CaptureFixture[str], argv: list[str], message: str) -> None:
    make_vault(plan_rules(PROD))
    assert verify(*argv) == errors.EXIT_USAGE
    assert message in capsys.readouterr().err


def recovery_points(*points: tuple[str, float]) -> dict[str, Any]:
    """A ListRecoveryPoints* reply: (status, hours ago) each."""
    now = datetime.now(UTC)
    return {
        "RecoveryPoints": [{"Status": status, "CreationDate": now - timedelta(hours=ago)} for status, ago in points]
    }


@pytest.mark.parametrize(
    ("points", "ok", "age"),
    [
        ([("COMPLETED", 0.2)], True, "0.2 h old via backup"),
        ([("FAILED", 0.1), ("COMPLETED", 3)], False, "3.0 h old via backup"),  # a failed job protects nothing
        ([("PARTIAL", 0.1), ("COMPLETED", 3)], False, "3.0 h old via backup"),  # nor does a partial one
        ([("EXPIRED", 0.1), ("CREATING", 0.05), ("COMPLETED", 3)], False, "3.0 h old via backup"),
    ],
)
def test_only_completed_recovery_points_count(
    faults: Faults, capsys: pytest.CaptureFixture[str], points: list[tuple[str, float]], ok: bool, age: str
) -> None:
    """Where the Backup API answers (moto's does not, so its replies are given here), only COMPLETED points count."""
    make_vault(plan_rules(PROD))
    arn = database(REGION)["DBInstanceArn"]
    faults.add("ListProtectedResourcesByBackupVault", {"Results": [{"ResourceArn": arn}]}, region=REGION)
    faults.add("ListRecoveryPointsByResource", recovery_points(*points), region=REGION)
    faults.add("ListRecoveryPointsByResource", recovery_points(("COMPLETED", 0.5)), region=DR_REGION)
    assert verify("--dr-region", DR_REGION) == (errors.EXIT_OK if ok else errors.EXIT_FAILED)
    (row,) = [line for line in capsys.readouterr().out.splitlines() if line.startswith("recovery point")]
    assert arn in row and age in row and ("  ok  " in row) is ok


def test_vault_on_an_aws_managed_key_fails(faults: Faults, capsys: pytest.CaptureFixture[str]) -> None:
    """SPEC.md wants customer-managed keys: aws/backup's key encrypts, but nobody here controls its policy."""
    make_vault(plan_rules(PROD))
    database(REGION)
    dr_copy()
    faults.add("DescribeKey", {"KeyMetadata": {"KeyManager": "AWS", "KeyState": "Enabled"}})  # what KMS says of it
    assert verify("--dr-region", DR_REGION) == errors.EXIT_FAILED
    (row,) = failing(capsys.readouterr().out)
    assert row.split()[:4] == ["encryption", "platform-prod", "FAIL", "aws-managed"]


@pytest.mark.parametrize("hours", ["nan", "inf", "0", "-1", "1e9"])
def test_max_age_must_be_a_finite_positive_number(capsys: pytest.CaptureFixture[str], hours: str) -> None:
    with pytest.raises(SystemExit) as exit_:
        verify("--environment", "staging", f"--max-age-hours={hours}")
    assert exit_.value.code == errors.EXIT_USAGE
    assert "argument --max-age-hours: " in capsys.readouterr().err
