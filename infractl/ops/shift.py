"""``infractl shift``: move traffic between blue and green step by step, rolling back on trouble.

Every write sets both colours to percentages that sum to 100, so stopping at any moment leaves
a valid split, and a re-run reads the current split and continues from it. Between steps the
bake time is spent polling the named CloudWatch alarms and the target groups' health; the first
bad poll restores the split this run started from (SPEC.md: rollback in under 2 minutes).
"""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any, NamedTuple

from botocore.exceptions import BotoCoreError, ClientError
from pydantic import ValidationError

from components.config import COLORS, BlueGreenConfig, Color, RollbackConfig

from .. import errors
from . import common, outputs

EXIT_ROLLED_BACK = 3
EXIT_INTERRUPTED = 130
DEFAULTS = BlueGreenConfig()
MAX_ROLLBACK_SECONDS = RollbackConfig().max_rollback_seconds
ALARM_TYPES = ["MetricAlarm", "CompositeAlarm"]


def register(commands: Any) -> None:
    parser = commands.add_parser("shift", help="move traffic between blue and green with bake-time checks and rollback")
    outputs.add_arguments(parser)
    parser.add_argument("--tier", choices=("web", "api"), default="web", help="tier to take from the outputs")
    parser.add_argument("--listener-arn", help="HTTPS listener ARN, or a listener-rule ARN (the api tier's /api/*)")
    parser.add_argument("--blue-tg", help="ARN of the blue target group")
    parser.add_argument("--green-tg", help="ARN of the green target group")
    parser.add_argument("--to", choices=COLORS, required=True, help="colour that ends with 100%% of the traffic")
    parser.add_argument("--steps", default=",".join(map(str, DEFAULTS.shift_steps)), help="percentages (%(default)s)")
    parser.add_argument("--bake-seconds", type=float, default=DEFAULTS.bake_seconds, help="wait between steps")
    parser.add_argument("--poll-seconds", type=float, default=5.0, help="alarm/health poll interval while baking")
    parser.add_argument("--alarm", action="append", default=[], metavar="NAME", help="CloudWatch alarm (repeatable)")
    parser.add_argument("--dry-run", action="store_true", help="validate and print the plan; change nothing")
    parser.add_argument("--json", action="store_true", help="print a machine-readable record of every step")
    parser.set_defaults(run=run)


class Problem(NamedTuple):
    reason: str
    since: datetime | None  # when an alarm entered ALARM, to measure alarm-to-restored time


@dataclass
class Forward:
    """The weighted forward action of a listener (web) or of a listener rule (api's ``/api/*``)."""

    arn: str
    load_balancer_arn: str
    actions: list[dict[str, Any]]
    pools: dict[Color, str]  # colour -> target group ARN

    @property
    def is_rule(self) -> bool:
        return ":listener-rule/" in self.arn

    @property
    def index(self) -> int:
        forwards = [i for i, action in enumerate(self.actions) if action.get("Type") == "forward"]
        if len(forwards) != 1:
            raise errors.UsageError(f"{self.arn} has {len(forwards)} forward actions; expected exactly one")
        return forwards[0]

    def split(self) -> dict[Color, int]:
        """Current weights as percentages summing to 100 (ELB weights are relative)."""
        action = self.actions[self.index]
        groups = action.get("ForwardConfig", {}).get("TargetGroups") or [
            {"TargetGroupArn": action["TargetGroupArn"], "Weight": 1}
        ]
        weights = {group["TargetGroupArn"]: group.get("Weight", 1) for group in groups}
        strangers = set(weights) - set(self.pools.values())
        if strangers:
            raise errors.UsageError(
                f"{self.arn} also forwards to {', '.join(sorted(strangers))}; a shift would drop it"
            )
        total = sum(weights.values())
        if total == 0:
            raise errors.UsageError(f"{self.arn} forwards with total weight 0; fix it before shifting")
        green = round(100 * weights.get(self.pools["green"], 0) / total)
        return {"blue": 100 - green, "green": green}

    def write(self, elbv2: Any, split: dict[Color, int]) -> None:
        """Replace the forward action with both pools at ``split``, keeping order, stickiness and other actions."""
        old = self.actions[self.index]
        config: dict[str, Any] = {
            "TargetGroups": [{"TargetGroupArn": self.pools[c], "Weight": split[c]} for c in COLORS],
        }
        if "TargetGroupStickinessConfig" in old.get("ForwardConfig", {}):
            config["TargetGroupStickinessConfig"] = old["ForwardConfig"]["TargetGroupStickinessConfig"]
        new = {"Type": "forward", "ForwardConfig": config, **({"Order": old["Order"]} if "Order" in old else {})}
        actions = [new if i == self.index else action for i, action in enumerate(self.actions)]
        if self.is_rule:
            elbv2.modify_rule(RuleArn=self.arn, Actions=actions)
        else:
            elbv2.modify_listener(ListenerArn=self.arn, DefaultActions=actions)
        self.actions = actions


def load_forward(elbv2: Any, arn: str, pools: dict[Color, str]) -> Forward:
    """Read the listener or rule and check both target groups are on its load balancer (no writes)."""
    if pools["blue"] == pools["green"]:
        raise errors.UsageError("--blue-tg and --green-tg are the same target group")
    if ":listener-rule/" in arn:
        actions = elbv2.describe_rules(RuleArns=[arn])["Rules"][0]["Actions"]
        # arn:...:listener-rule/app/NAME/LB-ID/LISTENER-ID/RULE-ID -> arn:...:loadbalancer/app/NAME/LB-ID
        load_balancer = arn.replace(":listener-rule/", ":loadbalancer/").rsplit("/", 2)[0]
    else:
        listener = elbv2.describe_listeners(ListenerArns=[arn])["Listeners"][0]
        actions, load_balancer = listener["DefaultActions"], listener["LoadBalancerArn"]
    for group in elbv2.describe_target_groups(TargetGroupArns=list(pools.values()))["TargetGroups"]:
        if load_balancer not in group.get("LoadBalancerArns", []):
            raise errors.UsageError(f"target group {group['TargetGroupArn']} is not attached to {load_balancer}")
    forward = Forward(arn, load_balancer, actions, pools)
    forward.split()  # refuse now, not mid-shift, if the action forwards elsewhere
    return forward


def check_alarms_exist(cloudwatch: Any, names: list[str]) -> None:
    found = {alarm["AlarmName"] for alarm in _alarms(cloudwatch, names)}
    missing = [name for name in names if name not in found]
    if missing:
        raise errors.UsageError(f"no such CloudWatch alarm: {', '.join(missing)}")


def _alarms(cloudwatch: Any, names: list[str]) -> list[dict[str, Any]]:
    if not names:
        return []
    response = cloudwatch.describe_alarms(AlarmNames=names, AlarmTypes=ALARM_TYPES)
    return [*response.get("MetricAlarms", []), *response.get("CompositeAlarms", [])]


def find_problems(elbv2: Any, cloudwatch: Any, alarms: list[str], pools: dict[Color, str]) -> list[Problem]:
    """Alarms in ALARM, and target groups with no healthy target or any unhealthy one."""
    problems = [
        Problem(
            f"alarm {alarm['AlarmName']} is in ALARM ({alarm.get('StateReason', '')})",
            alarm.get("StateUpdatedTimestamp"),
        )
        for alarm in _alarms(cloudwatch, alarms)
        if alarm["StateValue"] == "ALARM"
    ]
    for colour, arn in pools.items():
        states = [
            t["TargetHealth"]["State"]
            for t in elbv2.describe_target_health(TargetGroupArn=arn)["TargetHealthDescriptions"]
        ]
        if "unhealthy" in states or "healthy" not in states:
            problems.append(
                Problem(f"{colour} targets unhealthy: {states.count('healthy')} of {len(states)} healthy", None)
            )
    return problems


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
    rollback_seconds: float | None = None  # bad poll seen -> starting split written back
    alarm_to_restored_seconds: float | None = None  # alarm's state change -> starting split written back
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

    def execute(self, dry_run: bool = False) -> tuple[int, Record]:
        start = self.forward.split()
        remaining = [step for step in self.steps if step > start[self.to]]
        record = Record(self.forward.arn, self.to, start, remaining, dry_run)
        progress = common.Progress(len(remaining))
        if not remaining:
            record.outcome = "already_done"
            return errors.EXIT_OK, record
        problems = find_problems(self.elbv2, self.cloudwatch, self.alarms, self.forward.pools)
        if problems:
            record.outcome, record.reason = "refused", "; ".join(p.reason for p in problems)
            return errors.EXIT_FAILED, record
        if dry_run:
            record.outcome = "dry_run"
            return errors.EXIT_OK, record
        began = self.clock.now()
        try:
            for number, step in enumerate(remaining, 1):
                split = self._split(step)
                self.forward.write(self.elbv2, split)
                event: dict[str, Any] = {"step": number, "weights": split, "elapsed_seconds": self.clock.now() - began}
                record.events.append(event)
                progress.update(number, f"{self.to} {step}%  ({show(split)})")
                if number == len(remaining):
                    event["result"] = "ok"
                    break
                problems, event["polls"] = self._bake(progress)
                if problems:
                    self._roll_back(record, problems, progress)
                    event["result"] = "rolled_back"
                    return EXIT_ROLLED_BACK, record
                event["result"] = "ok"
        except KeyboardInterrupt:
            record.outcome, record.reason = "interrupted", f"stopped at {show(self.forward.split())}; re-run"
            return EXIT_INTERRUPTED, record
        except (ClientError, BotoCoreError) as exc:
            self._roll_back(record, [Problem(f"AWS error: {common.describe(exc)}", None)], progress)
            raise
        finally:
            progress.close()
        record.outcome = "completed"
        return errors.EXIT_OK, record

    def _split(self, percent: int) -> dict[Color, int]:
        return {colour: percent if colour == self.to else 100 - percent for colour in COLORS}

    def _bake(self, progress: common.Progress) -> tuple[list[Problem], int]:
        deadline = self.clock.now() + self.bake_seconds
        polls = 0
        while True:
            live = {c: arn for c, arn in self.forward.pools.items() if self.forward.split()[c] > 0}
            problems = find_problems(self.elbv2, self.cloudwatch, self.alarms, live)
            polls += 1
            left = deadline - self.clock.now()
            if problems or left <= 0:
                return problems, polls
            progress.tick(f"baking, {left:.0f}s left")
            self.clock.sleep(min(self.poll_seconds, left))

    def _roll_back(self, record: Record, problems: list[Problem], progress: common.Progress) -> None:
        seen = self.clock.now()
        self.forward.write(self.elbv2, record.started_from)
        record.rollback_seconds = round(self.clock.now() - seen, 3)
        since = [p.since for p in problems if p.since is not None]
        if since:
            record.alarm_to_restored_seconds = round((datetime.now(UTC) - max(since)).total_seconds(), 3)
        record.outcome, record.reason = "rolled_back", "; ".join(p.reason for p in problems)
        progress.note(f"rolled back to {show(record.started_from)}: {record.reason}")


def parse_steps(text: str) -> list[int]:
    """``10,25,50,100`` -> ``[10, 25, 50, 100]``, validated like ``blueGreen.shiftSteps``."""
    try:
        steps = [int(part) for part in text.split(",")]
        return BlueGreenConfig(shift_steps=steps).shift_steps
    except ValueError as exc:  # int() errors and pydantic's ValidationError alike
        detail = exc.errors()[0]["msg"].removeprefix("Value error, ") if isinstance(exc, ValidationError) else exc
        raise errors.UsageError(f"--steps {text!r}: {detail}") from None


def arn_region(arn: str) -> str:
    parts = arn.split(":")
    if len(parts) < 6 or parts[0] != "arn" or not parts[3]:
        raise errors.UsageError(f"not an ARN: {arn!r}")
    return parts[3]


@common.aws_command("shift")
def run(args: argparse.Namespace, clock: common.Clock = common.CLOCK) -> int:
    stack = outputs.load(args)
    steps = parse_steps(args.steps)
    if args.bake_seconds < 0 or not 0 < args.poll_seconds < MAX_ROLLBACK_SECONDS:
        raise errors.UsageError(
            f"--bake-seconds must be >= 0 and --poll-seconds in (0, {MAX_ROLLBACK_SECONDS}) "
            "so a rollback stays within SPEC.md's limit"
        )
    rule_or_listener = "aws_api_listener_rule_id" if args.tier == "api" else "aws_https_listener_id"
    arn = outputs.require(args.listener_arn, stack, "--listener-arn", rule_or_listener)
    pools: dict[Color, str] = {
        colour: outputs.require(
            getattr(args, f"{colour}_tg"), stack, f"--{colour}-tg", "aws_target_group_ids", args.tier, colour
        )
        for colour in COLORS
    }
    region = arn_region(arn)
    elbv2, cloudwatch = common.client("elbv2", region), common.client("cloudwatch", region)
    with common.validating("checking the listener, target groups and alarms"):
        forward = load_forward(elbv2, arn, pools)
        check_alarms_exist(cloudwatch, args.alarm)
    shift = Shift(elbv2, cloudwatch, forward, args.to, steps, args.bake_seconds, args.poll_seconds, args.alarm, clock)
    status, record = shift.execute(dry_run=args.dry_run)
    print(json.dumps(asdict(record), indent=2) if args.json else summary(record))
    return status


def show(split: dict[Color, int]) -> str:
    return " / ".join(f"{colour} {split[colour]}" for colour in COLORS)


def summary(record: Record) -> str:
    lines = [f"{record.target}", f"  from {show(record.started_from)} to {record.to}: {record.outcome}"]
    if record.dry_run:
        lines += [f"  would set {record.to} to {step}%" for step in record.steps]
    lines += [f"  step {e['step']}: {show(e['weights'])}  {e.get('result', '')}" for e in record.events]
    if record.reason:
        lines.append(f"  reason: {record.reason}")
    if record.rollback_seconds is not None:
        lines.append(f"  restored {show(record.started_from)} {record.rollback_seconds:.3f}s after the bad poll")
    return "\n".join(lines)
