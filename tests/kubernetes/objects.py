"""Helpers for the Kubernetes tests: each object's spec as the engine receives it."""

from __future__ import annotations

from functools import cache
from typing import Any

from infractl import runtime
from infractl.runtime import Resource
from infractl.stackconfig import Project
from tests.conftest import ROOT

DEPLOYMENT = "kubernetes:apps/v1:Deployment"
SERVICE = "kubernetes:core/v1:Service"
SERVICE_ACCOUNT = "kubernetes:core/v1:ServiceAccount"
HPA = "kubernetes:autoscaling/v2:HorizontalPodAutoscaler"
PDB = "kubernetes:policy/v1:PodDisruptionBudget"
POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
CONFIG_MAP = "kubernetes:core/v1:ConfigMap"
SECRET = "kubernetes:core/v1:Secret"
NAMESPACE = "kubernetes:core/v1:Namespace"
QUOTA = "kubernetes:core/v1:ResourceQuota"
LIMIT_RANGE = "kubernetes:core/v1:LimitRange"
HTTP_ROUTE = "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute"
POD_MONITOR = "kubernetes:monitoring.coreos.com/v1:PodMonitor"
PROMETHEUS_RULE = "kubernetes:monitoring.coreos.com/v1:PrometheusRule"
SECRET_STORE = "kubernetes:external-secrets.io/v1:SecretStore"
EXTERNAL_SECRET = "kubernetes:external-secrets.io/v1:ExternalSecret"
ON = "kubernetes.enabled=true"
SYNC_OFF = "kubernetes.secretSync.enabled=false"  # Pulumi writes app-secrets, as before the operator
CLOUDS = ("aws", "gcp", "azure")
SERVED_DEPLOYMENTS = ("web-blue", "web-green", "api-blue", "api-green")
# Shared override sets, so several tests read one plan.
SMALLER_API_MORE_SURGE = ("compute.api.maxSize=4", "compute.api.memory=3584Mi", "kubernetes.maxSurgePercent=50")
OTHER_PORT_PDB_SELECTOR = (
    "kubernetes.servicePort=8000",
    "kubernetes.pdbMinAvailablePercent=75",
    "kubernetes.workerQueueSelector={}",
)


def on(cloud: str) -> tuple[str, ...]:
    """Overrides for Kubernetes on ``cloud``'s services (the stack files ship AWS: one plan, not two)."""
    return (ON,) if cloud == "aws" else (ON, f'clouds=["{cloud}"]')


def spec(resource: Resource) -> dict[str, Any]:
    return resource.inputs["spec"]


def containers(deployment: Resource) -> list[dict[str, Any]]:
    return spec(deployment)["template"]["spec"]["containers"]


@cache
def applied(stack: str, *overrides: str) -> runtime.Plan:
    """The program run as by ``pulumi up`` (not a preview), so values computed from other resources'
    outputs (the rollout hash) are known. Cached per arguments: treat as read-only."""
    return runtime.run(Project.load(ROOT), stack, list(overrides), preview=False)
