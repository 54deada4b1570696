"""The platform's workloads on Kubernetes (see ``environment.py`` for the whole picture).

Turned on by ``kubernetes.enabled``; works with any cluster a kubeconfig reaches, managed or not.
"""

from __future__ import annotations

from collections.abc import Mapping

import pulumi

from ..config import PlatformConfig
from .environment import KubernetesEnvironment, KubernetesOutputs


def deploy(cfg: PlatformConfig, secrets: Mapping[str, pulumi.Input[str]] | None = None) -> KubernetesOutputs:
    """``secrets``: environment variable name -> value from the cloud's secret store (a Pulumi secret)."""
    return KubernetesEnvironment(cfg, secrets or {}).outputs


def export(outputs: KubernetesOutputs) -> None:
    """Stack outputs ``kubernetes_namespace`` and ``kubernetes_service_names`` ({tier: name})."""
    pulumi.export("kubernetes_namespace", outputs.namespace)
    pulumi.export("kubernetes_service_names", dict(outputs.service_names))
