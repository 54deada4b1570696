"""The platform's workloads on Kubernetes (see ``environment.py`` for the whole picture).

Turned on by ``kubernetes.enabled``; works with any cluster a kubeconfig reaches, managed or not.
"""

from __future__ import annotations

import pulumi

from ..config import PlatformConfig
from ..outputs import WorkloadSettings
from .environment import KubernetesEnvironment, KubernetesOutputs


def deploy(cfg: PlatformConfig, workload: WorkloadSettings) -> KubernetesOutputs:
    """``workload``: the cloud services' endpoints and credentials the pods connect with."""
    return KubernetesEnvironment(cfg, workload).outputs


def export(outputs: KubernetesOutputs) -> None:
    """Stack outputs ``kubernetes_namespace``, ``kubernetes_service_names`` ({tier: name}) and
    ``kubernetes_route_name``."""
    pulumi.export("kubernetes_namespace", outputs.namespace)
    pulumi.export("kubernetes_service_names", dict(outputs.service_names))
    pulumi.export("kubernetes_route_name", outputs.route_name)
