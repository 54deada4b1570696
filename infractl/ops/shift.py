"""``infractl shift``: move traffic between blue and green step by step, rolling back on trouble.

Every write sets both colours to percentages that sum to 100, so stopping at any moment leaves
a valid split, and a re-run reads the current split and continues from it. Between steps the
bake time is spent polling the rollback alarms and the target groups' health (``watch.py``);
the first bad poll restores the split this run started from (SPEC.md: rollback in under 2 minutes).

A run cannot fight another or hide what it did: it holds a lease on the listener or rule
(``lease.py``), re-reads the weights before every write and stops if they are not the ones it
last wrote (``forward.py``), stops on SIGINT or SIGTERM only between calls (``signals.py``), and
when AWS stops answering it says which weights are live, whether the rollback worked, and the
command that finishes the job.
"""

from __future__ import annotations

import argparse
import itertools
import json
import shlex
import sys
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from components.config import COLORS, BlueGreenConfig, Color, RollbackConfig

from .. import errors
from . import common, outputs
from .forward import Forward, Weights, WeightsMovedError, load_forward, percent, show
from .lease import Lease, LeaseHeldError, LeaseLostError
from .signals import Stop, StopSignalError
from .watch import Problem, check_alarms_exist, find_problems

EXIT_ROLLED_BACK = errors.EXIT_ROLLED_BACK
DEFAULTS = BlueGreenConfig()
MAX_ROLLBACK_SECONDS = RollbackConfig().max_rollback_seconds
LEASE_SECONDS = 300.0
MAX_BAKE_SECONDS = 3600.0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """What ``shift`` and ``release`` share: where the traffic is, where it goes, how carefully."""
    outputs.add_arguments(parser)
    parser.add_argument("--tier", choices=("web", "api"), default="web", help="tier to take from the outputs")
    parser.add_argument("--to", choices=COLORS, required=True, help="colour that ends with the last step's share")
    parser.add_argument("--steps", default=",".join(map(str, DEFAULTS.shift_steps)), help="percentages (%(default)s)")
    parser.add_argument(
        "--bake-seconds",
        type=common.number(0, MAX_BAKE_SECONDS, zero_ok=True),
        default=float(DEFAULTS.bake_seconds),
        help="wait between steps (%(default)s)",
    )
    parser.add_argument(
        "--poll-seconds",
        type=common.number(0, MAX_ROLLBACK_SECONDS, high_open=True),
        default=5.0,
        help="alarm/health poll interval while baking; below SPEC.md's rollback limit (%(default)s)",
    )
    parser.add_argument(
        "--alarm", action="append", default=[], metavar="NAME", help="CloudWatch alarm to watch (repeatable)"
    )
    parser.add_argument(
        "--lease-seconds",
        type=common.number(0, MAX_BAKE_SECONDS),
        default=LEASE_SECONDS,
        help="how long the lease outlives a run that stops renewing it, e.g. a crash (%(default)s)",
    )
    parser.add_argument("--take-over", metavar="KEY", help="remove this lease (a run known to be gone) and proceed")
    parser.add_argument("--dry-run", action="store_true", help="validate and print the plan; change nothing")
    parser.add_argument("--json", action="store_true", help="print a machine-readable record of every step")


def register(commands: Any) -> None:
    parser = commands.add_parser("shift", help="move traffic between blue and green with bake-time checks and rollback")
    add_arguments(parser)
    parser.add_argument("--listener-arn", help="HTTPS listener ARN, or a listener-rule ARN (the api tier's /api/*)")
    parser.add_argument("--blue-tg", help="ARN of the blue target group")
    parser.add_argument("--green-tg", help="ARN of the green target group")
    parser.set_defaults(run=run)


@dataclass
class Record:
    """What happened, step by step; ``--json`` prints it."""

    target: str
    to: Color
    started_from: dict[Color, int]
    steps: list[int]
    dry_run: bool
    outcome: str = "pending"
    reason: str | None = None
    live: dict[Color, int] | None = None  # the weights on AWS when the run ended; None when AWS could not say
    rollback_attempted: bool = False
    rollback_succeeded: bool | None = None
    rollback_seconds: float | None = None  # bad poll seen -> starting split written back
    alarm_to_restored_seconds: float | None = None  # alarm's state change -> starting split written back
    lease: str | None = None  # the tag key of this run's lease
    next_commands: dict[str, str] = field(default_factory=dict)  # "restore"/"continue" -> command, when unfinished
    events: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Shift:
    elbv2: Any
    cloudwatch: Any
    forward: Forward
    to: Color
    steps: list[int]
    bake_seconds: float
    poll_seconds: float
    alarms: list[str]
    clock: common.Clock = common.CLOCK
    lease_seconds: float = LEASE_SECONDS
    take_over: str | None = None
    stop: Stop = field(default_factory=Stop)
    lease: Lease = field(init=False)
    written: Weights = field(init=False, default_factory=dict)  # what this run last wrote (or found at its start)
    in_flight: Weights | None = field(init=False, default=None)  # a write AWS did not confirm

    def __post_init__(self) -> None:
        self.lease = Lease(self.elbv2, self.forward.arn, self.lease_seconds, self.clock)

    @property
    def other(self) -> Color:
        return "blue" if self.to == "green" else "green"

    def execute(self, dry_run: bool = False) -> tuple[int, Record]:
        record = self._record(dry_run)
        if not record.steps:  # nothing to write: no lease needed
            return errors.EXIT_OK, record
        if dry_run:
            return self._dry_run(record)
        with self.stop.installed():
            try:
                self.lease.acquire(self.take_over)
            except LeaseHeldError as held:
                record.outcome, record.reason = "lease_held", str(held)
                return errors.EXIT_LEASE_HELD, record
            try:
                self.forward.refresh(self.elbv2)  # the weights now that other shifts are kept out
                record = self._record(dry_run)
                record.lease = self.lease.key
                status = self._run(record) if record.steps else errors.EXIT_OK
            finally:
                self._release(record)
        record.next_commands = self._next_commands(record)
        return status, record

    def _record(self, dry_run: bool) -> Record:
        start = self.forward.split()
        remaining = [step for step in self.steps if step > start[self.to]]
        record = Record(self.forward.arn, self.to, start, remaining, dry_run)
        if not remaining:
            record.outcome, record.live = "already_done", start
        return record

    def _dry_run(self, record: Record) -> tuple[int, Record]:
        holders = self.lease.holders(self.take_over)
        if holders:
            record.outcome, record.reason = "lease_held", str(LeaseHeldError(self.forward.arn, holders))
            return errors.EXIT_LEASE_HELD, record
        problems = find_problems(self.elbv2, self.cloudwatch, self.alarms, {self.to: self.forward.pools[self.to]})
        if problems:
            record.outcome, record.reason = "refused", "; ".join(p.reason for p in problems)
            return errors.EXIT_FAILED, record
        record.outcome, record.live = "dry_run", record.started_from
        return errors.EXIT_OK, record

    def _run(self, record: Record) -> int:
        self.written = self.forward.weights()
        record.live = record.started_from
        progress = common.Progress(len(record.steps))
        began = self.clock.now()
        try:
            problems = find_problems(self.elbv2, self.cloudwatch, self.alarms, {self.to: self.forward.pools[self.to]})
            if problems:
                record.outcome, record.reason = "refused", "; ".join(p.reason for p in problems)
                return errors.EXIT_FAILED
            for number, step in enumerate(record.steps, 1):
                self.stop.check()
                split = self._split(step)
                self._write(split)
                record.live = split
                event: dict[str, Any] = {"step": number, "weights": split, "elapsed_seconds": self.clock.now() - began}
                record.events.append(event)
                progress.update(number, f"{self.to} {step}%  ({show(split)})")
                if number == len(record.steps):
                    event["result"] = "ok"
                    break
                problems, event["polls"] = self._bake(progress)
                if problems:
                    self._roll_back(record, problems, progress)
                    event["result"] = "rolled_back"
                    return EXIT_ROLLED_BACK
                event["result"] = "ok"
        except (WeightsMovedError, LeaseLostError) as conflict:
            record.outcome, record.reason = "conflict", str(conflict)
            record.live = percent(conflict.found) if isinstance(conflict, WeightsMovedError) else record.live
            return errors.EXIT_CONFLICT
        except StopSignalError as stop:
            record.outcome, record.reason = "interrupted", f"{stop} received; stopped at {show(record.live)}"
            return errors.EXIT_SIGNAL_BASE + stop.signum
        except common.AWS_ERRORS as exc:
            self._failed(record, exc)
            return errors.EXIT_AWS_FAILED
        finally:
            progress.close()
        record.outcome = "completed"
        return errors.EXIT_OK

    def _split(self, percent_to: int) -> dict[Color, int]:
        return {colour: percent_to if colour == self.to else 100 - percent_to for colour in COLORS}

    def _write(self, split: dict[Color, int]) -> None:
        """Write ``split`` if the weights on AWS are still this run's; a write AWS did not confirm counts as ours."""
        live = self.forward.refresh(self.elbv2)
        if live not in (self.written, self.in_flight):
            raise WeightsMovedError(self.forward.arn, self.written, live)
        self.written, self.in_flight = live, {colour: split[colour] for colour in COLORS}
        self.forward.write(self.elbv2, split)
        self.written, self.in_flight = self.in_flight, None

    def _bake(self, progress: common.Progress) -> tuple[list[Problem], int]:
        deadline = self.clock.now() + self.bake_seconds
        live = {colour: arn for colour, arn in self.forward.pools.items() if self.written.get(colour, 0) > 0}
        polls = 0
        while True:
            self.lease.renew_if_due()
            problems = find_problems(self.elbv2, self.cloudwatch, self.alarms, live)
            polls += 1
            left = deadline - self.clock.now()
            if problems or left <= 0:
                return problems, polls
            progress.tick(f"baking, {left:.0f}s left")
            self.stop.sleep(self.clock, min(self.poll_seconds, left))

    def _roll_back(self, record: Record, problems: list[Problem], progress: common.Progress) -> None:
        seen = self.clock.now()
        record.rollback_attempted = True
        record.reason = "; ".join(p.reason for p in problems)
        self._write(record.started_from)
        record.live, record.rollback_succeeded = record.started_from, True
        record.rollback_seconds = round(self.clock.now() - seen, 3)
        since = [p.since for p in problems if p.since is not None]
        if since:
            record.alarm_to_restored_seconds = round((datetime.now(UTC) - max(since)).total_seconds(), 3)
        record.outcome = "rolled_back"
        progress.note(f"rolled back to {show(record.started_from)}: {record.reason}")

    def _failed(self, record: Record, exc: Exception) -> None:
        """AWS stopped answering mid-shift: try once to restore the start, then say exactly where things are."""
        record.outcome = "aws_failed"
        reasons = [f"AWS error: {common.describe(exc)}"]
        if not record.events and self.in_flight is None:
            record.reason = f"{reasons[0]}; nothing was changed"
            return
        if not record.rollback_attempted:
            record.rollback_attempted = True
            try:
                self._write(record.started_from)
                record.rollback_succeeded = True
            except WeightsMovedError as moved:
                reasons.append(str(moved))
            except common.AWS_ERRORS as again:
                reasons.append(f"rollback failed: {common.describe(again)}")
        if record.rollback_succeeded:
            record.live = record.started_from
        else:
            record.rollback_succeeded = False
            if self.in_flight is not None:
                record.live = None
                reasons.append(
                    f"live weights unknown: {show(percent(self.written))} if the last write did not apply, "
                    f"{show(percent(self.in_flight))} if it did"
                )
        record.reason = "; ".join(reasons)

    def _release(self, record: Record) -> None:
        if not self.lease.held:
            return
        try:
            self.lease.release()
        except common.AWS_ERRORS as exc:
            note = f"lease {self.lease.key} left on {self.forward.arn} ({common.describe(exc)}); it expires by itself"
            record.reason = f"{record.reason}; {note}" if record.reason else note

    def _next_commands(self, record: Record) -> dict[str, str]:
        """What to run when this run stopped part-way: restore where it started, and/or continue the shift.

        A lease this run could not remove is named for take-over, so the commands work at once.
        """
        if record.outcome not in ("interrupted", "aws_failed"):
            return {}
        take_over = self.lease.key if self.lease.held else None
        commands = {"continue": self.command(self.to, self.steps, self.bake_seconds, self.alarms, take_over)}
        if record.live != record.started_from:
            restore = self.command(self.other, [record.started_from[self.other]], 0, [], take_over)
            commands = {"restore": restore, **commands}
        return commands

    def command(self, to: Color, steps: list[int], bake: float, alarms: list[str], take_over: str | None) -> str:
        argv = ["python", "-m", "infractl", "shift", "--listener-arn", self.forward.arn]
        argv += ["--blue-tg", self.forward.pools["blue"], "--green-tg", self.forward.pools["green"], "--to", to]
        argv += ["--steps", ",".join(map(str, steps)), "--bake-seconds", f"{bake:g}"]
        argv += ["--poll-seconds", f"{self.poll_seconds:g}", "--lease-seconds", f"{self.lease_seconds:g}"]
        argv += [arg for alarm in alarms for arg in ("--alarm", alarm)]
        argv += ["--take-over", take_over] if take_over else []
        return shlex.join(argv)


def parse_steps(text: str) -> list[int]:
    """``10,25,50,100`` -> ``[10, 25, 50, 100]``: strictly increasing percentages; a canary may stop below 100."""
    try:
        steps = [int(part) for part in text.split(",")]
    except ValueError as exc:
        raise errors.UsageError(f"--steps {text!r}: {exc}") from None
    if any(not 0 < step <= 100 for step in steps) or any(b <= a for a, b in itertools.pairwise(steps)):
        raise errors.UsageError(f"--steps {text!r}: must be strictly increasing percentages from 1 to 100")
    return steps


def arn_region(arn: str) -> str:
    parts = arn.split(":")
    if len(parts) < 6 or parts[0] != "arn" or not parts[3]:
        raise errors.UsageError(f"not an ARN: {arn!r}")
    return parts[3]


def watched_alarms(args: argparse.Namespace, stack: dict[str, Any]) -> list[str]:
    """The target colour's rollback alarms from the outputs (contract v2), plus any ``--alarm``.

    With explicit ARNs and no outputs, only ``--alarm`` (possibly none: target health only).
    """
    if args.stack is None and args.outputs is None:
        return list(args.alarm)
    ids = stack.get("aws_rollback_alarm_ids")
    names = ids.get(args.to) if isinstance(ids, dict) else None
    if ids is not None and not (
        isinstance(ids, dict) and all(isinstance(v, list) and all(isinstance(n, str) for n in v) for v in ids.values())
    ):
        raise errors.UsageError(f"output aws_rollback_alarm_ids is {json.dumps(ids)}, expected {{colour: [names]}}")
    if not names and not args.alarm:
        raise errors.UsageError(
            f"the stack outputs name no rollback alarms for {args.to} (aws_rollback_alarm_ids.{args.to}, outputs "
            "contract v2), so nothing would trigger a rollback; pass --alarm NAME"
        )
    return list(dict.fromkeys([*(names or []), *args.alarm]))


def prepare(args: argparse.Namespace, clock: common.Clock) -> tuple[Shift, dict[str, Any]]:
    """Everything a shift needs, validated with reads only: bad input here is exit 2 with nothing changed."""
    stack = outputs.load(args)
    steps = parse_steps(args.steps)
    if args.lease_seconds <= 2 * args.poll_seconds:
        raise errors.UsageError(
            f"--lease-seconds ({args.lease_seconds:g}) must be more than twice --poll-seconds "
            f"({args.poll_seconds:g}), so the lease is renewed before it expires"
        )
    rule_or_listener = "aws_api_listener_rule_id" if args.tier == "api" else "aws_https_listener_id"
    arn = outputs.require(args.listener_arn, stack, "--listener-arn", rule_or_listener)
    pools: dict[Color, str] = {
        colour: outputs.require(
            getattr(args, f"{colour}_tg"), stack, f"--{colour}-tg", "aws_target_group_ids", args.tier, colour
        )
        for colour in COLORS
    }
    alarms = watched_alarms(args, stack)
    region = arn_region(arn)
    elbv2, cloudwatch = common.client("elbv2", region), common.client("cloudwatch", region)
    with common.validating("checking the listener, target groups and alarms"):
        forward = load_forward(elbv2, arn, pools)
        check_alarms_exist(cloudwatch, alarms)
    if not alarms:
        print("infractl: no --alarm given: only target health can trigger a rollback", file=sys.stderr)
    shift = Shift(
        elbv2,
        cloudwatch,
        forward,
        args.to,
        steps,
        args.bake_seconds,
        args.poll_seconds,
        alarms,
        clock,
        args.lease_seconds,
        args.take_over,
    )
    return shift, stack


@common.aws_command("shift")
def run(args: argparse.Namespace, clock: common.Clock = common.CLOCK) -> int:
    shift, _ = prepare(args, clock)
    status, record = shift.execute(dry_run=args.dry_run)
    print(json.dumps(asdict(record), indent=2) if args.json else summary(record))
    return status


def summary(record: Record) -> str:
    lines = [f"{record.target}", f"  from {show(record.started_from)} to {record.to}: {record.outcome}"]
    if record.dry_run:
        lines += [f"  would set {record.to} to {step}%" for step in record.steps]
    lines += [f"  step {e['step']}: {show(e['weights'])}  {e.get('result', '')}" for e in record.events]
    if record.reason:
        lines.append(f"  reason: {record.reason}")
    if record.rollback_seconds is not None:
        lines.append(f"  restored {show(record.started_from)} {record.rollback_seconds:.3f}s after the bad poll")
    if record.rollback_attempted and not record.rollback_succeeded:
        lines.append("  rollback attempted: failed")
    lines.append(f"  live now: {show(record.live) if record.live else 'unknown (see reason)'}")
    if "restore" in record.next_commands:
        lines.append(f"  to restore {show(record.started_from)}: {record.next_commands['restore']}")
    if "continue" in record.next_commands:
        lines.append(f"  to continue the shift: {record.next_commands['continue']}")
    return "\n".join(lines)
