"""Stack outputs as the operations commands' defaults: ``--stack`` (Pulumi CLI) or ``--outputs FILE``.

Explicit flags always win; outputs only fill in what was not given, so the commands also work
without the Pulumi CLI or a state backend.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

from .. import errors


def add_arguments(parser: argparse.ArgumentParser) -> None:
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--stack", help="read defaults from `pulumi stack output --json --stack STACK`")
    source.add_argument("--outputs", type=Path, metavar="FILE", help="read defaults from this stack-outputs JSON")


def load(args: argparse.Namespace) -> dict[str, Any]:
    """The stack outputs named by ``--stack``/``--outputs``, or ``{}`` when neither was given."""
    if args.outputs is not None:
        try:
            text = args.outputs.read_text()
        except OSError as exc:
            raise errors.UsageError(f"--outputs {args.outputs}: {exc.strerror}") from None
        return _parse(text, f"--outputs {args.outputs}")
    if args.stack is not None:
        pulumi = shutil.which("pulumi")
        if pulumi is None:
            raise errors.UsageError(
                "--stack needs the Pulumi CLI on PATH; pass --outputs FILE or explicit flags instead"
            )
        result = subprocess.run(
            [pulumi, "stack", "output", "--json", "--stack", args.stack], capture_output=True, text=True, check=False
        )
        if result.returncode != 0:
            raise errors.UsageError(f"pulumi stack output --stack {args.stack}: {result.stderr.strip()}")
        return _parse(result.stdout, f"stack {args.stack}")
    return {}


def _parse(text: str, source: str) -> dict[str, Any]:
    try:
        outputs = json.loads(text)
    except json.JSONDecodeError as exc:
        raise errors.UsageError(f"{source}: not JSON ({exc})") from None
    if not isinstance(outputs, dict):
        raise errors.UsageError(f"{source}: expected a JSON object of stack outputs")
    return outputs


def pick(explicit: str | None, outputs: dict[str, Any], flag: str, *path: str) -> str | None:
    """The flag's value, else the output at ``path`` (e.g. ``aws_target_group_ids``, ``web``, ``blue``)."""
    if explicit is not None:
        return explicit
    value: Any = outputs
    for key in path:
        value = value.get(key) if isinstance(value, dict) else None
    if value is not None and not isinstance(value, str):
        raise errors.UsageError(f"output {'.'.join(path)} is {json.dumps(value)}, expected a string for {flag}")
    return value


def require(explicit: str | None, outputs: dict[str, Any], flag: str, *path: str) -> str:
    """Like :func:`pick`, but the value is needed: say which flag or output would provide it."""
    value = pick(explicit, outputs, flag, *path)
    if value is None:
        raise errors.UsageError(f"{flag} is required (or --stack/--outputs providing {'.'.join(path)})")
    return value
