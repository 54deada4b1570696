"""``infractl diff``: what a change does to each stack's plan, against a git ref, offline.

The program is planned at ``--base`` (checked out in a temporary git worktree) and in the working
tree, each with its own stack file and the same ``--config`` overrides, in parallel worker processes
(runner.py). Resources are matched by URN: added, removed, and changed with each changed input as a
path and its before/after values. Secrets are never shown (``[secret]``); they are compared by a
digest the runtime keeps. Stack outputs are compared the same way, and guarded: an output that is
removed, renamed or changes type breaks its consumers unless ``contract_version`` is bumped (and the
README documents the new version). Exit 0 when the contract holds, 1 when it breaks, 2 on bad input.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pulumi.output import Unknown

from . import diff_format, errors, jsontext, plan, policy, runner, runtime
from .stackconfig import Project

CONTRACT_OUTPUT = "contract_version"
OPS_DIR = Path(__file__).resolve().parent / "ops"  # the repository's own consumers of stack outputs
_ABSENT = object()


@dataclass(frozen=True)
class Change:
    path: str
    before: Any
    after: Any


@dataclass(frozen=True)
class ResourceChange:
    urn: str
    type: str
    name: str
    changes: list[Change] = field(default_factory=list)


@dataclass(frozen=True)
class OutputChange:
    name: str
    before: Any = None
    after: Any = None


@dataclass(frozen=True)
class ContractBreak:
    """An output its consumers can no longer read as before."""

    output: str
    problem: str  # "removed", "renamed to x", "changes type from string to object"
    consumers: list[str]


@dataclass
class StackDiff:
    stack: str
    base: str
    added: list[ResourceChange] = field(default_factory=list)
    removed: list[ResourceChange] = field(default_factory=list)
    changed: list[ResourceChange] = field(default_factory=list)
    outputs_added: list[OutputChange] = field(default_factory=list)
    outputs_removed: list[OutputChange] = field(default_factory=list)
    outputs_changed: list[OutputChange] = field(default_factory=list)
    contract_breaks: list[ContractBreak] = field(default_factory=list)
    contract_bump: tuple[str, str] | None = None  # (before, after) when contract_version changed
    contract_undocumented: str = ""  # why a bump does not count yet

    @property
    def broken(self) -> bool:
        return bool(self.contract_breaks) and (self.contract_bump is None or bool(self.contract_undocumented))

    def to_dict(self) -> dict[str, Any]:
        def resource(r: ResourceChange, with_changes: bool) -> dict[str, Any]:
            entry: dict[str, Any] = {"urn": r.urn, "type": r.type, "name": r.name}
            if with_changes:
                entry["changes"] = [{"path": c.path, "before": c.before, "after": c.after} for c in r.changes]
            return entry

        return {
            "stack": self.stack,
            "base": self.base,
            "added": [resource(r, False) for r in self.added],
            "removed": [resource(r, False) for r in self.removed],
            "changed": [resource(r, True) for r in self.changed],
            "outputs": {
                "added": [{"name": o.name, "value": o.after} for o in self.outputs_added],
                "removed": [{"name": o.name, "value": o.before} for o in self.outputs_removed],
                "changed": [{"name": o.name, "before": o.before, "after": o.after} for o in self.outputs_changed],
            },
            "contract": {
                "broken": self.broken,
                "version": list(self.contract_bump) if self.contract_bump else None,
                "breaks": [
                    {"output": b.output, "problem": b.problem, "consumers": b.consumers} for b in self.contract_breaks
                ],
            },
        }


def register(commands: Any) -> None:
    parser = commands.add_parser("diff", help="what the working tree changes in each stack's plan against a git ref")
    plan.add_program_arguments(parser)
    parser.add_argument("--stack", action="append", help="stack to diff (repeatable; default: every stack file)")
    parser.add_argument("--base", required=True, metavar="GIT_REF", help="branch, tag or commit to compare against")
    parser.add_argument("--matrix", action="store_true", help="each stack on every cloud with Kubernetes, as policy")
    parser.add_argument("--format", choices=("text", "json", "markdown"), default="text")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    project = runner.load_project(args.program)
    with base_checkout(project.directory, args.base) as (base_dir, commit):
        base = runner.load_project(base_dir) if (base_dir / "Pulumi.yaml").is_file() else None
        known = set(project.stacks()) | set(base.stacks() if base else [])
        unknown = [stack for stack in args.stack or [] if stack not in known]
        if unknown:
            raise errors.UsageError(f"no stack file Pulumi.{unknown[0]}.yaml in {project.directory} or at {args.base}")
        stacks = args.stack or sorted(known)
        diffs = compare(project, base, stacks, args.config, args.matrix, f"{args.base} ({commit[:12]})")
    print(diff_format.FORMATS[args.format](diffs, args.base))
    return errors.EXIT_FAILED if any(d.broken for d in diffs) else errors.EXIT_OK


@contextmanager
def base_checkout(directory: Path, ref: str) -> Iterator[tuple[Path, str]]:
    """``directory`` as it is at ``ref``, in a temporary git worktree (removed afterwards), and the commit."""
    top = Path(_git(directory, "rev-parse", "--show-toplevel")).resolve()
    commit = _git(directory, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}")
    temporary = Path(tempfile.mkdtemp(prefix="infractl-diff-"))
    worktree = temporary / "base"
    try:
        _git(top, "worktree", "add", "--detach", "--quiet", str(worktree), commit)
        yield worktree / directory.resolve().relative_to(top), commit
    finally:
        subprocess.run(
            ["git", "-C", str(top), "worktree", "remove", "--force", str(worktree)], capture_output=True, check=False
        )
        shutil.rmtree(temporary, ignore_errors=True)
        subprocess.run(["git", "-C", str(top), "worktree", "prune"], capture_output=True, check=False)


def _git(directory: Path, *args: str) -> str:
    try:
        result = subprocess.run(["git", "-C", str(directory), *args], capture_output=True, text=True, check=False)
    except FileNotFoundError:
        raise errors.UsageError("git is not installed: diff needs it to check out --base") from None
    if result.returncode != 0:
        detail = result.stderr.strip().splitlines()[-1:] or ["not found"]
        what = f"--base {args[-1].removesuffix('^{commit}')}" if "--verify" in args else f"git {args[0]}"
        raise errors.UsageError(f"{what}: {detail[0]} (in {directory})")
    return result.stdout.strip()


def compare(
    head: Project,
    base: Project | None,
    stacks: Sequence[str],
    overrides: Sequence[str],
    matrix: bool,
    base_name: str,
    workers: int | None = None,
) -> list[StackDiff]:
    """Plan each stack (or combination) on both sides in worker processes, then diff each pair.

    A stack file missing on one side is an empty plan there (every resource added or removed).
    """
    combos = policy.combinations(head, stacks, overrides, matrix)
    sides = {"base": base, "head": head}
    jobs = [
        runner.Job(project.directory, combo.stack, combo.overrides, f"{combo.name} ({side})", f"{side} {combo.group}")
        for side, project in sides.items()  # all base jobs first: a worker rarely switches programs
        for combo in combos
        if project is not None and combo.stack in project.stacks()
    ]
    with runner.Runs(jobs, workers) as runs:
        plans = {(job.directory, job.stack, job.overrides): result for job, result in runs}
    empty = runtime.Plan(project=head.name, stack="", resources=[], outputs={})
    diffs = []
    for combo in combos:
        before, after = (
            plans.get((project.directory, combo.stack, combo.overrides), empty) if project else empty
            for project in (base, head)
        )
        # A stack on one side only is new (nobody reads it yet) or deleted on purpose: no contract to guard.
        guarded = before is not empty and after is not empty
        diffs.append(diff_plans(combo.name, base_name, before, after, head.directory if guarded else None))
    return diffs


def diff_plans(stack: str, base: str, before: runtime.Plan, after: runtime.Plan, program: Path | None) -> StackDiff:
    """The diff of two plans of one stack; ``program`` (its README) when the outputs contract is guarded."""
    old = {r.urn: r for r in before.resources}
    new = {r.urn: r for r in after.resources}
    result = StackDiff(stack=stack, base=base)
    result.added = [ResourceChange(r.urn, r.type, r.name) for urn, r in new.items() if urn not in old]
    result.removed = [ResourceChange(r.urn, r.type, r.name) for urn, r in old.items() if urn not in new]
    for urn, r in new.items():
        if urn in old:
            changes = resource_changes(old[urn], r)
            if changes:
                result.changed.append(ResourceChange(urn, r.type, r.name, changes))
    _diff_outputs(result, before.outputs, after.outputs)
    if program is not None:
        _guard_contract(result, before.outputs, after.outputs, program)
    return result


def resource_changes(before: runtime.Resource, after: runtime.Resource) -> list[Change]:
    changes = input_changes(before.inputs, after.inputs, before.secret_digests, after.secret_digests)
    if before.protect != after.protect:
        changes.append(Change("(protect)", before.protect, after.protect))
    return changes


def input_changes(
    before: Any, after: Any, before_digests: dict[str, str], after_digests: dict[str, str], path: str = ""
) -> list[Change]:
    """Each leaf that differs, as a path (``tags.Name``, ``rules[0].port``) with its before and after.

    Secrets show as ``[secret]`` on both sides; two secrets differ when their digests do.
    """
    if isinstance(before, dict) and isinstance(after, dict):
        keys = sorted(set(before) | set(after), key=str)
        return [
            change
            for key in keys
            for change in input_changes(
                before.get(key, _ABSENT), after.get(key, _ABSENT), before_digests, after_digests, _join(path, key)
            )
        ]
    if isinstance(before, list) and isinstance(after, list):
        padded = max(len(before), len(after))
        return [
            change
            for i in range(padded)
            for change in input_changes(
                before[i] if i < len(before) else _ABSENT,
                after[i] if i < len(after) else _ABSENT,
                before_digests,
                after_digests,
                f"{path}[{i}]",
            )
        ]
    before, after = _shown(before), _shown(after)
    if path in before_digests or path in after_digests:
        if before_digests.get(path) == after_digests.get(path):
            return []
    elif before == after and type(before) is type(after):
        return []
    return [Change(path, before, after)]


def _join(path: str, key: Any) -> str:
    return f"{path}.{key}" if path else str(key)


def _shown(value: Any) -> Any:
    """A value as a reader expects it: ``None`` when not there, ``[unknown]`` when only the cloud will know it."""
    if value is _ABSENT:
        return None
    if isinstance(value, float) and value.is_integer():
        return int(value)  # the engine's wire format has only doubles: 100.0 is the 100 the program set
    return jsontext.UNKNOWN if isinstance(value, Unknown) else value


def _diff_outputs(result: StackDiff, before: dict[str, runtime.Output], after: dict[str, runtime.Output]) -> None:
    def shown(output: runtime.Output) -> Any:
        return runtime.SECRET if output.secret else output.value

    for name in sorted(set(before) | set(after)):
        old, new = before.get(name), after.get(name)
        if old is None and new is not None:
            result.outputs_added.append(OutputChange(name, after=shown(new)))
        elif new is None and old is not None:
            result.outputs_removed.append(OutputChange(name, before=shown(old)))
        elif old is not None and new is not None and (old.digest, old.secret) != (new.digest, new.secret):
            result.outputs_changed.append(OutputChange(name, shown(old), shown(new)))


def _guard_contract(
    result: StackDiff, before: dict[str, runtime.Output], after: dict[str, runtime.Output], program: Path
) -> None:
    """Outputs consumers can no longer read as before, and whether ``contract_version`` was bumped for them."""
    renamed = {o.digest: name for name, o in after.items() if name not in before}
    for name, old in sorted(before.items()):
        new = after.get(name)
        if new is None:
            problem = f"renamed to {renamed[old.digest]}" if old.digest in renamed else "removed"
        elif "null" not in (old.kind, new.kind) and old.kind != new.kind:
            problem = f"changes type from {old.kind} to {new.kind}"
        else:
            continue
        result.contract_breaks.append(ContractBreak(name, problem, consumers(name)))
    old_version, new_version = (
        side[CONTRACT_OUTPUT].value if CONTRACT_OUTPUT in side else None for side in (before, after)
    )
    if new_version is not None and old_version != new_version:
        result.contract_bump = (str(old_version), str(new_version))
        readme = program / "README.md"
        if (
            result.contract_breaks
            and readme.is_file()
            and f"contract version {new_version}" not in readme.read_text().lower()
        ):
            result.contract_undocumented = f"README.md does not document contract version {new_version}"


def consumers(output: str) -> list[str]:
    """This repository's code that reads ``output`` by name (the operations commands), besides StackReferences."""
    return sorted(
        path.relative_to(OPS_DIR.parent.parent).as_posix()
        for path in OPS_DIR.glob("*.py")
        if f'"{output}"' in path.read_text()
    )
