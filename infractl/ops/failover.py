"""``infractl failover``: promote the cross-region database replica to a standalone primary.

Promotion is one-way (the replica stops following its source for good), so it refuses while the
source still looks healthy, or when its health cannot be read (AccessDenied, throttling, an
unreadable reply), unless ``--force``: a failover of a healthy primary splits the data. Durations
are checked with the other arguments, so a bad one never stops a failover after the promotion.
The wait for the promoted instance is bounded by the RTO (SPEC.md: 4 hours).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from botocore.exceptions import ClientError, ConnectTimeoutError, EndpointConnectionError

from components.config import AWS_REGIONS, DisasterRecoveryConfig, profile

from .. import errors
from . import common, outputs

RTO_MINUTES = DisasterRecoveryConfig().rto_hours * 60
MAX_WAIT_MINUTES = 24 * 60.0
# The promoted primary keeps prod's point-in-time recovery window (a replica may have none).
BACKUP_RETENTION_DAYS = profile("prod").database.backup_retention_days


def register(commands: Any) -> None:
    parser = commands.add_parser("failover", help="promote the DR read replica and print its endpoint")
    outputs.add_arguments(parser)
    parser.add_argument("--replica-id", help="replica DB instance identifier (output aws_dr_database_id)")
    parser.add_argument("--region", type=common.region_argument, help="the replica's region (output aws_dr_region)")
    parser.add_argument("--force", action="store_true", help="promote even though the source looks healthy")
    parser.add_argument("--dry-run", action="store_true", help="check and say what would happen; change nothing")
    parser.add_argument(
        "--timeout-minutes",
        type=common.number(0, MAX_WAIT_MINUTES),
        default=float(RTO_MINUTES),
        help="give up waiting (default: the RTO)",
    )
    parser.add_argument(
        "--poll-seconds", type=common.number(0, 3600), default=15.0, help="status poll interval (%(default)s)"
    )
    parser.set_defaults(run=run)


def source_health(source: str, replica_region: str) -> tuple[bool | None, str]:
    """Is the replica's source available? None when it cannot be told (which also needs --force).

    A missing source or an unreachable region is the outage a failover is for, so both say no.
    """
    # Cross-region sources are ARNs (arn:aws:rds:REGION:ACCOUNT:db:ID); same-region ones are plain ids.
    region, identifier = (
        (source.split(":")[3], source.rsplit(":", 1)[1]) if source.startswith("arn:") else (replica_region, source)
    )
    try:
        status = common.client("rds", region).describe_db_instances(DBInstanceIdentifier=identifier)["DBInstances"][0][
            "DBInstanceStatus"
        ]
    except (EndpointConnectionError, ConnectTimeoutError) as exc:
        return False, f"{region} is unreachable: {exc}"
    except common.AWS_ERRORS as exc:  # AccessDenied, throttling, an unreadable reply: health unknown
        if isinstance(exc, ClientError) and common.error_code(exc) == "DBInstanceNotFound":
            return False, f"source {identifier} in {region} no longer exists"
        return None, f"cannot read source {identifier} in {region}: {common.describe(exc)}"
    return status == "available", f"source {identifier} in {region} is {status}"


def endpoint(instance: dict[str, Any]) -> str:
    address = instance.get("Endpoint", {})
    return f"{address.get('Address')}:{address.get('Port')}"


def wait_available(
    rds: Any, identifier: str, timeout_seconds: float, poll_seconds: float, clock: common.Clock
) -> dict[str, Any] | None:
    """Poll until the instance is ``available`` again; None on timeout.

    The first read comes after one poll interval: right after the call, RDS may still report
    the pre-promotion ``available``.
    """
    deadline = clock.now() + timeout_seconds
    while clock.now() < deadline:
        clock.sleep(poll_seconds)
        instance = rds.describe_db_instances(DBInstanceIdentifier=identifier)["DBInstances"][0]
        print(f"{identifier}: {instance['DBInstanceStatus']}", file=sys.stderr)
        if instance["DBInstanceStatus"] == "available":
            return instance
    return None


@common.aws_command("failover")
def run(args: argparse.Namespace, clock: common.Clock = common.CLOCK) -> int:
    stack = outputs.load(args)
    identifier = outputs.require(args.replica_id, stack, "--replica-id", "aws_dr_database_id")
    region = outputs.require(args.region, stack, "--region", "aws_dr_region")
    if region not in AWS_REGIONS:
        raise errors.UsageError(f"unknown AWS region {region!r}")
    if args.poll_seconds > args.timeout_minutes * 60:
        raise errors.UsageError(
            f"--poll-seconds ({args.poll_seconds:g}) is longer than --timeout-minutes ({args.timeout_minutes:g}): "
            "the promoted replica would never be looked at"
        )
    rds = common.client("rds", region)
    with common.validating(f"reading replica {identifier} in {region}"):
        replica = rds.describe_db_instances(DBInstanceIdentifier=identifier)["DBInstances"][0]
    source = replica.get("ReadReplicaSourceDBInstanceIdentifier")
    if not source:
        print(f"{identifier} is not a read replica (already promoted?); endpoint {endpoint(replica)}")
        return errors.EXIT_OK if replica["DBInstanceStatus"] == "available" else errors.EXIT_FAILED
    healthy, detail = source_health(source, region)
    if healthy is not False and not args.force:
        print(
            f"infractl failover: refusing to promote {identifier}: {detail}. Promotion is one-way and would split "
            "writes between two primaries; stop the source or pass --force.",
            file=sys.stderr,
        )
        return errors.EXIT_FAILED
    if args.dry_run:
        print(f"dry run: would promote {identifier} in {region} ({detail}); nothing changed")
        return errors.EXIT_OK
    started = clock.now()
    try:
        rds.promote_read_replica(DBInstanceIdentifier=identifier, BackupRetentionPeriod=BACKUP_RETENTION_DAYS)
        promoted = wait_available(rds, identifier, args.timeout_minutes * 60, args.poll_seconds, clock)
    except common.AWS_ERRORS as exc:
        print(
            f"infractl failover: AWS error after asking to promote {identifier}: {common.describe(exc)}. The promotion "
            f"may be under way; see: aws rds describe-db-instances --db-instance-identifier {identifier} "
            f"--region {region}",
            file=sys.stderr,
        )
        return errors.EXIT_AWS_FAILED
    if promoted is None:
        print(f"infractl failover: {identifier} not available after {args.timeout_minutes} minutes", file=sys.stderr)
        return errors.EXIT_FAILED
    print(f"promoted {identifier} in {clock.now() - started:.0f}s ({detail}); new endpoint: {endpoint(promoted)}")
    return errors.EXIT_OK
