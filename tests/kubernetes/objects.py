"""Helpers for the Kubernetes tests: each object's spec as the engine receives it."""

from __future__ import annotations

from typing import Any

from infractl.runtime import Resource

DEPLOYMENT = "kubernetes:apps/v1:Deployment"
SERVICE = "kubernetes:core/v1:Service"
HPA = "kubernetes:autoscaling/v2:HorizontalPodAutoscaler"
PDB = "kubernetes:policy/v1:PodDisruptionBudget"
POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
CONFIG_MAP = "kubernetes:core/v1:ConfigMap"
SECRET = "kubernetes:core/v1:Secret"
NAMESPACE = "kubernetes:core/v1:Namespace"
QUOTA = "kubernetes:core/v1:ResourceQuota"
LIMIT_RANGE = "kubernetes:core/v1:LimitRange"
ON = "kubernetes.enabled=true"


def spec(resource: Resource) -> dict[str, Any]:
    return resource.inputs["spec"]


def containers(deployment: Resource) -> list[dict[str, Any]]:
    return spec(deployment)["template"]["spec"]["containers"]
