"""``python -m infractl <command>``: each command module adds its parser and returns an exit code."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from . import diff, plan, policy, provider_inputs
from .errors import EXIT_USAGE, UsageError
from .ops import backups, bootstrap, failover, release, shift

COMMANDS = (plan, policy, diff, provider_inputs, shift, release, backups, failover, bootstrap)


def parser() -> argparse.ArgumentParser:
    result = argparse.ArgumentParser(prog="infractl", description=__doc__)
    commands = result.add_subparsers(dest="command", required=True)
    for command in COMMANDS:
        command.register(commands)
    return result


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.run(args)
    except UsageError as exc:
        print(f"infractl {args.command}: {exc}", file=sys.stderr)
        return EXIT_USAGE
