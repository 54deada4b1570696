"""``infractl plan``: the stack's resource inventory from the real program under mocks.

This is the offline stand-in for ``pulumi preview``: same program, same config, no CLI,
no credentials. ``--format json`` is for machines (and the policy gate); text is a tree.
"""

from __future__ import annotations

import argparse
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from . import errors, jsontext, runner, runtime

PROJECT_DIR = Path(__file__).resolve().parent.parent


def register(commands: Any) -> None:
    parser = commands.add_parser("plan", help="print the resources a stack would create (offline, under mocks)")
    add_program_arguments(parser)
    parser.add_argument("--stack", required=True, help="stack name (Pulumi.<stack>.yaml)")
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.set_defaults(run=run)


def add_program_arguments(parser: argparse.ArgumentParser) -> None:
    """Options shared by every command that runs a program under mocks."""
    parser.add_argument(
        "--program", type=Path, default=PROJECT_DIR, help="Pulumi project directory (default: this one)"
    )
    parser.add_argument(
        "--config",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a config value for this run, like `pulumi config set [--path]` (repeatable)",
    )


def load(program: Path, stack: str, overrides: Sequence[str]) -> runtime.Plan:
    """The stack's plan, its program run in a worker process (runner.py).

    Bad input is a UsageError: a missing or malformed project or stack, a bad override, or a program
    that fails (its error summarised in one line).
    """
    project = runner.load_project(program)
    runner.stack_config(project, stack, overrides)  # the stack name, file and overrides: refused here, in one line
    return runner.plan(runner.Job(project.directory, stack, tuple(overrides)))


def run(args: argparse.Namespace) -> int:
    result = load(args.program, args.stack, args.config)
    print(to_json(result) if args.format == "json" else to_text(result))
    return errors.EXIT_OK


def to_json(plan: runtime.Plan) -> str:
    return jsontext.dumps(
        {
            "stack": plan.stack,
            "project": plan.project,
            "resources": [
                {
                    "type": r.type,
                    "name": r.name,
                    "urn": r.urn,
                    "parent": r.parent,
                    "provider": r.provider,
                    "custom": r.custom,
                    "protect": r.protect,
                    "inputs": r.inputs,
                }
                for r in plan.resources
            ],
            "outputs": {name: runtime.SECRET if o.secret else o.value for name, o in plan.outputs.items()},
        }
    )


def to_text(plan: runtime.Plan) -> str:
    """Components as a tree, each with a count of the resources it directly owns, by type."""
    components = [r for r in plan.resources if not r.custom and not r.type.startswith("pulumi:providers:")]
    custom_count = sum(r.custom for r in plan.resources)
    lines = [f"Stack {plan.project}/{plan.stack}: {custom_count} resources in {len(components)} components", ""]
    depth = {r.urn: 0 for r in components}
    for component in components:  # registrations arrive parent-first
        depth[component.urn] = depth.get(component.parent, -1) + 1
        owned = Counter(r.type for r in plan.resources if r.parent == component.urn and r.custom)
        indent = "  " * depth[component.urn]
        lines.append(f"{indent}{component.type} {component.name} ({sum(owned.values())})")
        lines += [f"{indent}    {count:3d} {type_}" for type_, count in sorted(owned.items())]
    lines += ["", "Outputs:"]
    width = max((len(name) for name in plan.outputs), default=0)
    for name, output in sorted(plan.outputs.items()):
        value = runtime.SECRET if output.secret else jsontext.dumps(output.value, indent=None)
        lines.append(f"  {name:<{width}}  {value}")
    return "\n".join(lines)
