"""The offline policy gate passes on the three GCP stacks."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import STACKS
from tests.gcp.support import GCP

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("stack", STACKS)
def test_policy_gate_passes_on_gcp(stack):
    command = [sys.executable, "-m", "infractl", "policy", "--stack", stack, "--config", GCP, "--format", "json"]
    result = subprocess.run(command, check=False, cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    (report,) = json.loads(result.stdout)["stacks"]
    assert report["violations"] == []
