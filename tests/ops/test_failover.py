"""``infractl failover`` against moto in-process (fake clock: the wait for ``available`` takes no time).

moto's promotion only clears its internal replica flag and applies the call's parameters; it
keeps reporting ``ReadReplicaSourceDBInstanceIdentifier``. So "promoted" is asserted through
what the call changes that moto does show: the backup retention the command asks for.
"""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.exceptions import EndpointConnectionError
from botocore.parsers import ResponseParserError

from infractl import cli, errors
from infractl.ops import failover
from tests.ops.conftest import DR_REGION, REGION, FakeClock, Faults, client_error, run_command

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


@pytest.mark.parametrize(
    "fault",
    [
        client_error("AccessDenied", "DescribeDBInstances"),
        client_error("Throttling", "DescribeDBInstances"),
        ResponseParserError("Unable to parse response (not well-formed), invalid XML received"),
    ],
)
def test_unreadable_source_health_needs_force(
    replica: str, faults: Faults, capsys: pytest.CaptureFixture[str], fault: Exception
) -> None:
    """Health that cannot be read is not "down": without --force nothing is promoted."""
    faults.add("DescribeDBInstances", fault, region=REGION)
    assert run_command(failover, failover_args(replica), FakeClock()) == errors.EXIT_FAILED
    assert "refusing to promote platform-prod-dr: cannot read source platform-prod-db in us-east-1" in (
        capsys.readouterr().err
    )
    assert dr_instance(replica)["BackupRetentionPeriod"] == 1
    assert run_command(failover, failover_args(replica, "--force"), FakeClock()) == errors.EXIT_OK
    assert dr_instance(replica)["BackupRetentionPeriod"] == failover.BACKUP_RETENTION_DAYS


@pytest.mark.parametrize(
    "extra",
    [
        ["--timeout-minutes", "nan"],
        ["--timeout-minutes", "inf"],
        ["--timeout-minutes", "0"],
        ["--timeout-minutes", "-5"],
        ["--timeout-minutes", "1441"],
        ["--poll-seconds", "nan"],
        ["--poll-seconds", "inf"],
        ["--poll-seconds", "0"],
        ["--poll-seconds", "1e300"],
    ],
)
def test_bad_durations_are_refused_before_promoting(
    replica: str, capsys: pytest.CaptureFixture[str], extra: list[str]
) -> None:
    stop_primary()  # it would promote
    with pytest.raises(SystemExit) as exit_:
        cli.main(failover_args(replica, *extra))
    assert exit_.value.code == errors.EXIT_USAGE
    assert f"argument {extra[0]}: " in capsys.readouterr().err
    assert dr_instance(replica)["BackupRetentionPeriod"] == 1


def test_poll_longer_than_the_timeout_is_refused(replica: str, capsys: pytest.CaptureFixture[str]) -> None:
    stop_primary()
    assert cli.main(failover_args(replica, "--timeout-minutes", "1", "--poll-seconds", "90")) == errors.EXIT_USAGE
    assert "--poll-seconds (90) is longer than --timeout-minutes (1)" in capsys.readouterr().err
    assert dr_instance(replica)["BackupRetentionPeriod"] == 1


def test_aws_error_after_promoting_says_where_to_look(
    replica: str, faults: Faults, capsys: pytest.CaptureFixture[str]
) -> None:
    stop_primary()
    faults.add(
        "DescribeDBInstances", EndpointConnectionError(endpoint_url="https://rds.us-west-2"), region=DR_REGION, skip=1
    )
    assert run_command(failover, failover_args(replica), FakeClock()) == errors.EXIT_AWS_FAILED
    err = capsys.readouterr().err
    assert "AWS error after asking to promote platform-prod-dr: Could not connect to the endpoint URL" in err
    assert "aws rds describe-db-instances --db-instance-identifier platform-prod-dr --region us-west-2" in err


def test_ctrl_c_while_waiting_is_one_line(replica: str, capsys: pytest.CaptureFixture[str]) -> None:
    def interrupt(clock: FakeClock) -> None:
        raise KeyboardInterrupt

    stop_primary()
    assert run_command(failover, failover_args(replica), FakeClock(interrupt)) == 130
    assert capsys.readouterr().err.splitlines()[-1] == "infractl failover: interrupted"
