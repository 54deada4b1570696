"""The workloads on a Kubernetes cluster."""

from __future__ import annotations

import re

from pydantic import Field, field_validator

from .base import TIERS, CpuQuantity, MemoryQuantity, Model, PrivateNetwork, SettingError, Tier


class KubernetesConfig(Model):
    """The platform's workloads on a Kubernetes cluster (components/kubernetes).

    No kubeconfig and no context means the provider's default: ``$KUBECONFIG`` or ``~/.kube/config``.
    Quotas left unset are derived from the tiers: limit x maxSize x both colours. Egress CIDRs left
    empty fall back to the VPC CIDR when AWS is a cloud of the stack; in-cluster database/cache pods
    (label ``role: database`` / ``role: cache``) are always reachable.
    """

    enabled: bool = False
    kubeconfig: str | None = Field(None, min_length=1)  # a kubeconfig file path, or its contents
    context: str | None = Field(None, min_length=1)
    namespace: str | None = Field(None, pattern=r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")  # default platform-<env>
    images: dict[Tier, str] = {
        "web": "ghcr.io/example/platform-web:1.0.0",
        "api": "ghcr.io/example/platform-api:1.0.0",
        "worker": "ghcr.io/example/platform-worker:1.0.0",
    }
    ingress_namespace: str = Field("ingress-nginx", pattern=r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
    monitoring_namespace: str = Field("monitoring", pattern=r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
    quota_cpu: CpuQuantity | None = None
    quota_memory: MemoryQuantity | None = None
    quota_pods: int | None = Field(None, ge=1)
    api_requests_metric: str = Field("http_requests_per_target", pattern=r"^[a-zA-Z_:][a-zA-Z0-9_:.-]*$")
    worker_queue_metric: str = Field("worker_queue_messages_visible", pattern=r"^[a-zA-Z_:][a-zA-Z0-9_:.-]*$")
    database_cidrs: list[PrivateNetwork] = []  # data stores are never reached over the internet
    cache_cidrs: list[PrivateNetwork] = []
    pdb_min_available_percent: int = Field(50, ge=0, le=100)

    @field_validator("images")
    @classmethod
    def _pinned_images(cls, images: dict[Tier, str]) -> dict[Tier, str]:
        for tier in TIERS:
            image = images.get(tier, "")
            if not re.search(r"(:[\w][\w.-]*|@sha256:[0-9a-f]{64})$", image) or image.endswith(":latest"):
                raise SettingError(
                    tier, image, "needs an image pinned to a tag (not latest) or digest, e.g. repo/web:1.2.3"
                )
        return images
