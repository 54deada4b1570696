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
    """Stack outputs ``kubernetes_namespace``, ``kubernetes_service_names`` ({tier: name}),
    ``kubernetes_route_name`` and, with the Prometheus Operator, ``kubernetes_rollback_alarm_ids``
    ({colour: [alert names]})."""
    pulumi.export("kubernetes_namespace", outputs.namespace)
    pulumi.export("kubernetes_service_names", dict(outputs.service_names))
    pulumi.export("kubernetes_route_name", outputs.route_name)
    if outputs.rollback_alarm_ids is not None:
        pulumi.export("kubernetes_rollback_alarm_ids", dict(outputs.rollback_alarm_ids))
