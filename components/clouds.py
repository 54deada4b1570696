"""The one interface every cloud implements: ``deploy(cfg) -> EnvironmentOutputs``.

Each cloud lives in its own package (``components.aws``, ``components.azure``,
``components.gcp``), imported only when the stack uses it, so a stack pays only for the
SDKs it needs.
"""

from __future__ import annotations

import importlib
from typing import Protocol

from .config import Cloud, PlatformConfig
from .outputs import EnvironmentOutputs


class CloudPackage(Protocol):
    def deploy(self, cfg: PlatformConfig) -> EnvironmentOutputs: ...


def deploy(cloud: Cloud, cfg: PlatformConfig) -> EnvironmentOutputs:
    package: CloudPackage = importlib.import_module(f"components.{cloud}")  # type: ignore[assignment]
    return package.deploy(cfg)
