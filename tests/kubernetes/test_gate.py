"""The offline policy gate passes every stack with Kubernetes enabled."""

from __future__ import annotations

import json

import pytest

from tests.policy.test_gate import gate

from .objects import ON


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_gate_passes_with_kubernetes(stack: str) -> None:
    result = gate("--stack", stack, "--config", ON, "--format", "json")
    violations = [v for s in json.loads(result.stdout)["stacks"] for v in s["violations"]]
    assert result.returncode == 0 and violations == [], violations
