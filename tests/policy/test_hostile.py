"""The gate cannot be ended or decided by the program it checks (programs/hostile chooses how it ends).

Every case runs ``python -m infractl`` as CI does; the program registers an open SSH group and an
unencrypted database outside any backup plan first, then ends as ``hostile:ending`` says.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from infractl import runtime
from infractl.stackconfig import Project

ROOT = Path(__file__).resolve().parents[2]
PROGRAMS = Path(__file__).parent / "programs"
HOSTILE = PROGRAMS / "hostile"


def infractl(*args: str, program: Path = HOSTILE) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "infractl", *args, "--program", str(program)]
    return subprocess.run(command, check=False, cwd=ROOT, capture_output=True, text=True)


def strict_json(text: str) -> Any:
    """Standard JSON only: Python's ``Infinity``/``NaN`` extensions are refused."""

    def refuse(constant: str) -> None:
        raise ValueError(f"not JSON: {constant}")

    return json.loads(text, parse_constant=refuse)


def findings(result: subprocess.CompletedProcess[str]) -> set[tuple[str, str, str]]:
    (stack,) = strict_json(result.stdout)["stacks"]
    return {(v["policy"], v["resource_name"], v["level"]) for v in stack["violations"]}


CAUGHT = {("restricted-ingress", "ssh", "mandatory"), ("prod-database-backup-plan", "db", "mandatory")}


@pytest.mark.parametrize(
    ("ending", "note"),
    [
        ("none", ""),
        ("sys-exit-0", "ended itself with sys.exit(0) after registering 2 resources"),
        ("os-exit-0", "ended itself with os._exit(0)"),
        ("system-exit-3", "ended itself with sys.exit(3)"),
        ("exit-in-apply", "ended itself with sys.exit(0)"),
        ("print", "not the gate speaking"),  # printed to standard error, never into the gate's JSON
    ],
)
def test_an_ending_program_is_still_checked_and_fails_the_gate(ending: str, note: str) -> None:
    result = infractl("policy", "--stack", "test", "--config", f"hostile:ending={ending}", "--format", "json")
    assert result.returncode == 1, result.stderr
    assert findings(result) >= CAUGHT  # per-resource and stack rules both ran on what was registered
    assert note in result.stderr


def test_the_gate_keeps_its_own_exit_code(tmp_path: Path) -> None:
    advisory = tmp_path / "advisory.json"
    advisory.write_text('{"all": "advisory"}')
    config = ("--config", "hostile:ending=os-exit-7", "--policy-config", str(advisory), "--format", "json")
    result = infractl("policy", "--stack", "test", *config)
    assert result.returncode == 0, result.stderr  # the program's status 7 decides nothing
    assert ("restricted-ingress", "ssh", "advisory") in findings(result)


@pytest.mark.parametrize(
    ("ending", "summary"),
    [
        ("raise", "the program failed at __main__.py:37: RuntimeError: the program gave up"),
        ("syntax-error", "the program failed at broken_syntax.py:1: SyntaxError: '[' was never closed"),
        (
            "missing-import",
            "the program failed at __main__.py:41: ModuleNotFoundError: No module named 'no_such_module'",
        ),
        ("kill", "the program's process was killed by signal 9 before it finished"),
    ],
)
@pytest.mark.parametrize("command", ["policy", "plan"])
def test_a_failing_program_is_bad_input(tmp_path: Path, command: str, ending: str, summary: str) -> None:
    program = shutil.copytree(HOSTILE, tmp_path / "hostile")
    (program / "broken_syntax.py").write_text("resources = [\n")  # written here so that no linter reads it
    result = infractl(command, "--stack", "test", "--config", f"hostile:ending={ending}", program=program)
    assert (result.returncode, result.stdout) == (2, "")
    assert f"infractl {command}: stack test: {summary}" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_bad_manifest_is_bad_input() -> None:
    result = infractl("policy", program=PROGRAMS / "bad-manifest")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "bad-manifest/Pulumi.yaml" in result.stderr


def test_policy_config_follows_the_environment() -> None:
    without = infractl("policy", "--stack", "test", "--format", "json")
    dev = infractl("policy", "--stack", "dev", "--format", "json")
    assert without.returncode == dev.returncode == 1
    # policies/config/dev.json disables the prod-only stack rules; the pack's defaults keep them.
    assert ("prod-database-backup-plan", "db", "mandatory") in findings(without)
    assert {policy for policy, _, _ in findings(dev)} & {"prod-database-backup-plan", "deletion-protection"} == set()


@pytest.mark.parametrize(
    "args",
    [
        ("--stack", "escape"),  # the stack file names ../../tests/policy/programs/hostile/lenient
        ("--stack", "test", "--config", "platform:environment=../../tests/policy/programs/hostile/lenient"),
        ("--stack", "test", "--config", "platform:environment=/etc/passwd"),
    ],
)
def test_nothing_in_a_stack_can_choose_the_policy_config(args: tuple[str, ...]) -> None:
    result = infractl("policy", *args)
    assert result.returncode == 2, result.stdout  # with lenient.json it would have passed
    assert "no policy config for it; environments: dev, prod, staging" in result.stderr


def test_an_explicit_policy_config_wins_over_the_environment(tmp_path: Path) -> None:
    advisory = tmp_path / "advisory.json"
    advisory.write_text('{"all": "advisory"}')
    for stack in ("dev", "escape"):
        result = infractl("policy", "--stack", stack, "--policy-config", str(advisory))
        assert result.returncode == 0 and "[advisory] restricted-ingress" in result.stdout, result.stderr


def test_json_output_is_standard_json_with_non_finite_values() -> None:
    result = infractl("plan", "--stack", "test", "--config", "hostile:ending=non-finite", "--format", "json")
    assert result.returncode == 0, result.stderr
    plan = strict_json(result.stdout)
    alarm = next(r for r in plan["resources"] if r["name"] == "alarm")
    assert alarm["inputs"]["threshold"] == "nan" and plan["outputs"]["limit"] == "-inf"


def test_a_value_the_pack_cannot_read_is_bad_input_not_a_pass() -> None:
    result = infractl("policy", "--stack", "test", "--config", "hostile:ending=non-finite")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "the policy pack failed on urn:pulumi:test::hostile::" in result.stderr


def test_a_worker_runs_the_next_stack_cleanly_after_an_exit_in_an_apply() -> None:
    project = Project.load(HOSTILE)
    ended = runtime.run(project, "test", ["hostile:ending=exit-in-apply"])
    assert ended.ended_early == "sys.exit(0)" and ended.outputs == {}  # the stack never got its outputs
    after = runtime.run(project, "test", ["hostile:ending=none"])  # nothing left over from the last run
    assert (after.ended_early, sorted(r.name for r in after.resources)) == ("", ["after-the-ending", "db", "ssh"])
    assert list(after.outputs) == ["database"]
