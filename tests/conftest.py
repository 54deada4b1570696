"""Shared fixtures: the real program run under Pulumi's mock runtime, once per stack and overrides."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest

from infractl import runtime
from infractl.stackconfig import Project

ROOT = Path(__file__).resolve().parent.parent
STACKS = ("dev", "staging", "prod")


@cache
def _plan(stack: str, overrides: tuple[str, ...]) -> runtime.Plan:
    return runtime.run(Project.load(ROOT), stack, list(overrides))


@pytest.fixture(scope="session")
def plan():
    """``plan("prod", "blueGreen.canaryWeight=25")`` -> the recorded resources and outputs.

    Results are cached per (stack, overrides): tests must treat them as read-only.
    """

    def run(stack: str, *overrides: str) -> runtime.Plan:
        return _plan(stack, tuple(overrides))

    return run
