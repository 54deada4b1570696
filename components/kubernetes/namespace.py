"""The environment's namespace, with a quota and default container limits.

The LimitRange gives any container that states no limits the smallest tier's caps and refuses
one above the largest tier's, so nothing in the namespace runs unbounded. The quota defaults to
what the workloads can reach: every Deployment at its maximum replicas plus the pods a rolling
update surges above them (``maxSurgePercent``, rounded up as Kubernetes does), all at once, as
when a changed setting rolls every Deployment.
"""

from __future__ import annotations

import re

import pulumi
import pulumi_kubernetes as k8s

from ..config import TIERS, PlatformConfig
from .labels import DEPLOYMENTS, metadata, name_of, namespace_name

_MEMORY_UNITS = {"": 1, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40}


def millicores(quantity: str) -> int:
    """A CPU quantity as config validates it ("1", "0.5", "500m") in millicores."""
    return int(quantity[:-1]) if quantity.endswith("m") else round(float(quantity) * 1000)


def memory_bytes(quantity: str) -> int:
    """A memory quantity as config validates it ("512Mi", "2Gi", bytes) in bytes."""
    found = re.fullmatch(r"(\d+)(Ki|Mi|Gi|Ti)?", quantity)
    assert found, quantity  # config.K8S_MEMORY admits nothing else
    return int(found[1]) * _MEMORY_UNITS[found[2] or ""]


def surge_pods(cfg: PlatformConfig, replicas: int) -> int:
    """The pods a rolling update adds above ``replicas``: maxSurgePercent of them, rounded up."""
    return -(-replicas * cfg.kubernetes.max_surge_percent // 100)


def cpu_quantity(millis: int) -> str:
    return str(millis // 1000) if millis % 1000 == 0 else f"{millis}m"


def memory_quantity(size: int) -> str:
    unit = next(u for u in ("Ti", "Gi", "Mi", "Ki", "") if size % _MEMORY_UNITS[u] == 0)
    return f"{size // _MEMORY_UNITS[unit]}{unit}"


class Namespace(pulumi.ComponentResource):
    namespace: k8s.core.v1.Namespace
    name: pulumi.Output[str]

    def __init__(self, name: str, cfg: PlatformConfig, opts: pulumi.ResourceOptions | None = None):
        super().__init__("platform:kubernetes:Namespace", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        tiers = [cfg.compute.tier(t) for t in TIERS]
        k = cfg.kubernetes

        self.namespace = k8s.core.v1.Namespace(
            "namespace",
            # Pod Security Admission "restricted": the API server itself refuses root or privileged pods.
            metadata=metadata(
                cfg,
                "kubernetes",
                namespace_name(cfg),
                labels={f"pod-security.kubernetes.io/{mode}": "restricted" for mode in ("enforce", "audit", "warn")},
            ),
            opts=child,
        )
        self.name = name_of(self.namespace.metadata)

        # Per Deployment: its tier's caps and the most pods it can run mid-rollout.
        peaks = [(t, t.max_size + surge_pods(cfg, t.max_size)) for t in (cfg.compute.tier(d) for d, _ in DEPLOYMENTS)]
        cpu = k.quota_cpu or cpu_quantity(sum(millicores(t.cpu) * peak for t, peak in peaks))
        memory = k.quota_memory or memory_quantity(sum(memory_bytes(t.memory) * peak for t, peak in peaks))
        pods = k.quota_pods or sum(peak for _, peak in peaks)
        k8s.core.v1.ResourceQuota(
            "quota",
            metadata=metadata(cfg, "kubernetes", "platform-quota", self.name),
            spec={
                "hard": {
                    "requests.cpu": cpu,
                    "limits.cpu": cpu,
                    "requests.memory": memory,
                    "limits.memory": memory,
                    "pods": str(pods),
                }
            },
            opts=child,
        )

        smallest = {
            "cpu": cpu_quantity(min(millicores(t.cpu) for t in tiers)),
            "memory": memory_quantity(min(memory_bytes(t.memory) for t in tiers)),
        }
        largest = {
            "cpu": cpu_quantity(max(millicores(t.cpu) for t in tiers)),
            "memory": memory_quantity(max(memory_bytes(t.memory) for t in tiers)),
        }
        k8s.core.v1.LimitRange(
            "limits",
            metadata=metadata(cfg, "kubernetes", "platform-limits", self.name),
            spec={"limits": [{"type": "Container", "default": smallest, "default_request": smallest, "max": largest}]},
            opts=child,
        )
        self.register_outputs({"name": self.name})
