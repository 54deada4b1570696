"""Worker processes: what they inherit from their parent, and which jobs each takes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from infractl import runner
from tests.conftest import ROOT

HOSTILE = ROOT / "tests" / "policy" / "programs" / "hostile"

AFTER_AN_IN_PROCESS_RUN = f"""
from pathlib import Path
from infractl import runner, runtime
from infractl.stackconfig import Project

program = Path({str(HOSTILE)!r})
runtime.run(Project.load(program), "test", ["hostile:ending=none"])  # as a test session's fixtures do
plan = runner.plan(runner.Job(program, "test", ("hostile:ending=none",)))
print(sorted(r.name for r in plan.resources))
"""


def test_a_worker_plans_after_its_parent_ran_a_program_itself() -> None:
    # The parent's event loop has executor threads that a fork does not copy: the worker must not use it.
    command = [sys.executable, "-c", AFTER_AN_IN_PROCESS_RUN]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "['after-the-ending', 'db', 'ssh']"


def test_a_worker_keeps_to_one_group_and_workers_start_on_different_ones() -> None:
    jobs = [runner.Job(Path("p"), stack, (), f"{stack}:{cloud}", cloud) for stack in "abc" for cloud in ("x", "y")]
    pending = list(jobs)
    first = runner._next(pending, None, set())
    second = runner._next(pending, None, {first.group})
    assert (first.name, second.name) == ("a:x", "a:y")
    assert runner._next(pending, "x", {"y"}).name == "b:x"  # the same cloud again: its SDK is imported
    assert runner._next(pending, "x", {"y"}).name == "c:x"
    assert runner._next(pending, "x", {"y"}).name == "b:y"  # none left: take what there is
