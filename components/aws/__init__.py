"""The AWS implementation of the environment (see ``environment.py`` for the whole picture)."""

from __future__ import annotations

from ..config import PlatformConfig
from ..outputs import EnvironmentOutputs
from .environment import AwsEnvironment


def deploy(cfg: PlatformConfig) -> EnvironmentOutputs:
    return AwsEnvironment(cfg).outputs
