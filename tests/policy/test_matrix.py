"""``policy --matrix``: every stack file on every cloud with Kubernetes, in parallel workers."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import get_args

import pytest

from components.config.base import Cloud
from infractl import policy
from infractl.stackconfig import Project
from tests.conftest import ROOT, STACKS


@pytest.fixture(scope="module")
def matrix() -> tuple[int, dict]:
    command = [sys.executable, "-m", "infractl", "policy", "--matrix", "--format", "json"]
    result = subprocess.run(command, check=False, cwd=ROOT, capture_output=True, text=True)
    return result.returncode, json.loads(result.stdout or "{}")


def test_matrix_checks_every_stack_on_every_cloud(matrix: tuple[int, dict]) -> None:
    code, report = matrix
    names = [checked["stack"] for checked in report["stacks"]]
    assert names == [f"{stack}:{cloud}" for stack in sorted(STACKS) for cloud in ("aws", "azure", "gcp")]
    mandatory = [v for s in report["stacks"] for v in s["violations"] if v["level"] == "mandatory"]
    assert code == 0 and mandatory == []


def test_matrix_clouds_are_the_ones_the_program_supports() -> None:
    assert get_args(Cloud) == policy.MATRIX_CLOUDS


def test_each_combination_runs_its_cloud_with_kubernetes() -> None:
    (job,) = [
        j for j in policy.combinations(Project.load(ROOT), ["prod"], ["x=1"], matrix=True) if j.name == "prod:gcp"
    ]
    assert (job.stack, job.overrides) == ("prod", ("x=1", 'clouds=["gcp"]', "kubernetes.enabled=true"))


def test_parallel_workers_give_the_same_verdicts_as_one() -> None:
    project = Project.load(ROOT)
    jobs = policy.combinations(project, ["dev"], [], matrix=True)
    advisory = {"all": "advisory"}  # every rule at the pack's defaults: prod-only rules report on dev

    def verdicts(workers: int) -> dict[str, set[tuple[str, str, str]]]:
        report, _ = policy.check(project, jobs, advisory, workers=workers)
        return {c.name: {(v.policy, v.urn, v.level) for v in c.violations} for c in report}

    parallel, sequential = verdicts(2), verdicts(1)
    assert parallel == sequential
    assert list(parallel) == ["dev:aws", "dev:azure", "dev:gcp"]
    assert all(parallel.values()) and len({frozenset(found) for found in parallel.values()}) == 3
