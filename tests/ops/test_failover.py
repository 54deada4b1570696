"""``infractl failover`` against moto in-process (fake clock: the wait for ``available`` takes no time).

moto's promotion only clears its internal replica flag and applies the call's parameters; it
keeps reporting ``ReadReplicaSourceDBInstanceIdentifier``. So "promoted" is asserted through
what the call changes that moto does show: the backup retention the command asks for.
"""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from infractl import cli, errors
from infractl.ops import failover
from tests.ops.conftest import DR_REGION, REGION, FakeClock, run_command

pytestmark = pytest.mark.usefixtures("aws")


@pytest.fixture
def replica() -> str:
    primary = boto3.client("rds", region_name=REGION).create_db_instance(
        DBInstanceIdentifier="platform-prod-db",
        Engine="postgres",
        DBInstanceClass="db.t3.micro",
        MasterUsername="platform",
        MasterUserPassword="not-a-real-password",
        AllocatedStorage=20,
        BackupRetentionPeriod=1,
    )["DBInstance"]
    boto3.client("rds", region_name=DR_REGION).create_db_instance_read_replica(
        DBInstanceIdentifier="platform-prod-dr", SourceDBInstanceIdentifier=primary["DBInstanceArn"]
    )
    return "platform-prod-dr"


def dr_instance(identifier: str) -> dict[str, Any]:
    return boto3.client("rds", region_name=DR_REGION).describe_db_instances(DBInstanceIdentifier=identifier)[
        "DBInstances"
    ][0]


def stop_primary() -> None:
    boto3.client("rds", region_name=REGION).stop_db_instance(DBInstanceIdentifier="platform-prod-db")


def failover_args(replica: str, *extra: str) -> list[str]:
    return ["failover", "--replica-id", replica, "--region", DR_REGION, *extra]


def test_refuses_while_the_source_is_healthy(replica: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(failover_args(replica)) == errors.EXIT_FAILED
    assert "refusing to promote platform-prod-dr: source platform-prod-db in us-east-1 is available" in (
        capsys.readouterr().err
    )
    assert dr_instance(replica)["BackupRetentionPeriod"] == 1  # not promoted


def test_promotes_when_the_source_is_down_and_prints_the_endpoint(
    replica: str, capsys: pytest.CaptureFixture[str]
) -> None:
    stop_primary()
    clock = FakeClock()
    assert run_command(failover, failover_args(replica, "--poll-seconds", "30"), clock) == errors.EXIT_OK
    promoted = dr_instance(replica)
    assert promoted["BackupRetentionPeriod"] == failover.BACKUP_RETENTION_DAYS
    assert promoted["DBInstanceStatus"] == "available"
    assert f"new endpoint: {promoted['Endpoint']['Address']}:5432" in capsys.readouterr().out
    assert clock.sleeps == [30]


def test_force_promotes_a_replica_of_a_healthy_source(replica: str) -> None:
    assert run_command(failover, failover_args(replica, "--force"), FakeClock()) == errors.EXIT_OK
    assert dr_instance(replica)["BackupRetentionPeriod"] == failover.BACKUP_RETENTION_DAYS


def test_dry_run_changes_nothing(replica: str, capsys: pytest.CaptureFixture[str]) -> None:
    stop_primary()
    assert cli.main(failover_args(replica, "--dry-run")) == errors.EXIT_OK
    assert "would promote platform-prod-dr" in capsys.readouterr().out
    assert dr_instance(replica)["BackupRetentionPeriod"] == 1


def test_outputs_supply_replica_and_region(replica: str, tmp_path: Any) -> None:
    path = tmp_path / "prod.json"
    path.write_text(f'{{"aws_dr_database_id": "{replica}", "aws_dr_region": "{DR_REGION}"}}')
    stop_primary()
    assert run_command(failover, ["failover", "--outputs", str(path)], FakeClock()) == errors.EXIT_OK
    assert dr_instance(replica)["BackupRetentionPeriod"] == failover.BACKUP_RETENTION_DAYS


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["failover", "--replica-id", "no-such-db", "--region", DR_REGION, "--force"], "DBInstanceNotFound"),
        (["failover", "--region", DR_REGION, "--force"], "--replica-id is required"),
        (["failover", "--replica-id", "platform-prod-dr", "--force"], "--region is required"),
    ],
)
def test_bad_input_exits_2_and_changes_nothing(
    replica: str, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    assert cli.main(argv) == errors.EXIT_USAGE
    assert message in capsys.readouterr().err
    assert dr_instance(replica)["BackupRetentionPeriod"] == 1


def test_unknown_region_is_rejected_by_the_parser(replica: str) -> None:
    with pytest.raises(SystemExit) as exit_:
        cli.main(failover_args(replica, "--region", "mars-north-1"))
    assert exit_.value.code == errors.EXIT_USAGE
