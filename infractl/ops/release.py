"""``infractl release``: the one-command release on AWS, driven by the stack outputs.

The new version already runs on the idle colour (``blueGreen.releases.<colour>``, then ``pulumi
up``). ``release`` refuses unless every target in that colour's target group is healthy, then
moves the traffic with ``shift``'s steps, bake, lease and automatic rollback (watching the
colour's rollback alarms from the outputs), and prints the ``pulumi config set`` lines that make
the stack say what is live, so the next ``pulumi up`` keeps the weights instead of undoing them.

``blueGreen.activeColor``/``canaryWeight`` drive both tiers, so when the other tier's live weights
differ the lines come with a warning: the next ``pulumi up`` would move that tier too.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from dataclasses import asdict
from typing import Any

from components.config import COLORS, Color

from .. import errors
from . import common, shift
from .forward import load_forward, show

# The namespace components/config reads the platform's settings from (Pulumi.yaml's project name).
CONFIG_NAMESPACE = "platform"
# Outcomes after which the weights on AWS are known and this run's own.
SETTLED = ("completed", "rolled_back", "already_done", "interrupted", "aws_failed")


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "release", help="refuse unless the target colour is healthy, shift to it with rollback, print the config"
    )
    shift.add_arguments(parser)
    parser.set_defaults(run=run, listener_arn=None, blue_tg=None, green_tg=None)


def unhealthy(elbv2: Any, target_group: str) -> list[tuple[str, str, str, str]]:
    """Rows for a table of the group's targets when any is not healthy (or there are none); [] when all are."""
    targets = elbv2.describe_target_health(TargetGroupArn=target_group)["TargetHealthDescriptions"]
    rows = [
        (
            t["Target"]["Id"],
            str(t["Target"].get("Port", "")),
            t["TargetHealth"]["State"],
            t["TargetHealth"].get("Description") or t["TargetHealth"].get("Reason", ""),
        )
        for t in targets
    ]
    if not rows:
        return [("(none)", "", "no targets registered", "")]
    return rows if any(state != "healthy" for _, _, state, _ in rows) else []


def stack_config(split: dict[Color, int], moving_from: Color) -> dict[str, Any]:
    """``activeColor``/``canaryWeight`` for a live split: the colour with more traffic is active (a tie keeps
    the one traffic was leaving) and the canary weight is what the other colour gets."""
    active = max(COLORS, key=lambda colour: (split[colour], colour == moving_from))
    return {"activeColor": active, "canaryWeight": split["green" if active == "blue" else "blue"]}


def config_lines(stack: str | None, settings: dict[str, Any]) -> list[str]:
    target = ["--stack", stack] if stack else []
    return [
        shlex.join(["pulumi", "config", "set", *target, "--path", f"{CONFIG_NAMESPACE}:blueGreen.{key}", str(value)])
        for key, value in settings.items()
    ]


def other_tier_warning(
    the_shift: shift.Shift, stack: dict[str, Any], tier: str, live: dict[Color, int], to: Color
) -> str | None:
    """A warning when the other tier does not sit at ``live``: the stack's weights would move it too."""
    other = "api" if tier == "web" else "web"
    arn = stack.get("aws_api_listener_rule_id" if other == "api" else "aws_https_listener_id")
    pools = (stack.get("aws_target_group_ids") or {}).get(other) or {}
    if not isinstance(arn, str) or not all(isinstance(pools.get(c), str) for c in COLORS):
        return f"the outputs do not say where {other} is; check it matches before setting these"
    try:
        split = load_forward(the_shift.elbv2, arn, {c: pools[c] for c in COLORS}).split()
    except (errors.UsageError, *common.AWS_ERRORS) as exc:
        return f"could not read {other}'s weights ({exc}); check it matches before setting these"
    if split == live:
        return None
    return (
        f"the stack's blueGreen weights drive both tiers and {other} is at {show(split)}: release it too "
        f"(infractl release --tier {other} --to {to}) before setting these, or the next pulumi up moves {other}"
    )


@common.aws_command("release")
def run(args: argparse.Namespace, clock: common.Clock = common.CLOCK) -> int:
    if args.stack is None and args.outputs is None:
        raise errors.UsageError("release reads the stack outputs: pass --stack STACK or --outputs FILE")
    the_shift, stack = shift.prepare(args, clock)
    target_group = the_shift.forward.pools[args.to]
    with common.validating(f"reading the health of {args.to}'s targets"):
        rows = unhealthy(the_shift.elbv2, target_group)
    if rows:
        print(common.table(["target", "port", "state", "detail"], rows))
        print(
            f"infractl release: refusing: not every {args.to} target in {target_group} is healthy; nothing changed",
            file=sys.stderr,
        )
        return errors.EXIT_FAILED
    status, record = the_shift.execute(dry_run=args.dry_run)
    lines: list[str] = []
    warning = None
    if record.outcome in SETTLED and record.live is not None:
        lines = config_lines(args.stack, stack_config(record.live, the_shift.other))
        warning = other_tier_warning(the_shift, stack, args.tier, record.live, args.to)
    if args.json:
        print(json.dumps({**asdict(record), "pulumi_config": lines, "warning": warning}, indent=2))
        return status
    print(shift.summary(record))
    if lines:
        print("\nMake the stack match what is live:\n" + "\n".join(f"  {line}" for line in lines))
    if warning:
        print(f"\nwarning: {warning}")
    return status
