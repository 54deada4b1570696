"""The Azure implementation of the environment (see ``environment.py`` for the whole picture)."""

from __future__ import annotations

from ..config import PlatformConfig
from ..outputs import EnvironmentOutputs
from .environment import AzureEnvironment


def deploy(cfg: PlatformConfig) -> EnvironmentOutputs:
    return AzureEnvironment(cfg).outputs
