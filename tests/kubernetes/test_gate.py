"""The offline policy gate passes every shipped stack with Kubernetes enabled, on each cloud's services."""

from __future__ import annotations

import json

import pytest

from tests.conftest import STACKS
from tests.policy.test_gate import gate

from .objects import CLOUDS, on


@pytest.mark.parametrize("cloud", CLOUDS)
def test_gate_passes_with_kubernetes(cloud: str) -> None:
    config = [arg for override in on(cloud) for arg in ("--config", override)]
    result = gate(*(arg for stack in STACKS for arg in ("--stack", stack)), *config, "--format", "json")
    stacks = json.loads(result.stdout)["stacks"]
    violations = [v for s in stacks for v in s["violations"]]
    assert result.returncode == 0 and violations == [], violations
    assert sorted(s["stack"] for s in stacks) == sorted(STACKS)
