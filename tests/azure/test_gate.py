"""The offline policy gate passes on the three Azure stacks, and blocks an oversized one."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.azure.support import AZURE
from tests.conftest import STACKS

ROOT = Path(__file__).resolve().parents[2]


def gate(stack: str, *overrides: str) -> subprocess.CompletedProcess[str]:
    config = [arg for override in (AZURE, *overrides) for arg in ("--config", override)]
    command = [sys.executable, "-m", "infractl", "policy", "--stack", stack, *config, "--format", "json"]
    return subprocess.run(command, check=False, cwd=ROOT, capture_output=True, text=True)


@pytest.mark.parametrize("stack", STACKS)
def test_policy_gate_passes_on_azure(stack):
    result = gate(stack)
    assert result.returncode == 0, result.stdout + result.stderr
    (report,) = json.loads(result.stdout)["stacks"]
    assert report["violations"] == []


def test_policy_gate_blocks_a_cache_too_big_for_dev():
    result = gate("dev", "azure.redisSku=Premium")
    assert result.returncode == 1, result.stdout + result.stderr
    (report,) = json.loads(result.stdout)["stacks"]
    assert [(v["policy"], v["resource_type"], v["level"]) for v in report["violations"]] == [
        ("allowed-sizes", "azure-native:redis:Redis", "mandatory")
    ]
    assert "'Premium_P1' is not allowed" in report["violations"][0]["message"]
