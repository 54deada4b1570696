"""Labels shared by the workloads and the network policies that select them.

Pods carry ``role`` (app, database, cache), ``tier`` and ``color``; policies select by
``role`` and Services by ``tier`` + ``color``, so the two files cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Mapping

import pulumi
import pulumi_kubernetes as k8s

from ..config import Color, PlatformConfig, Tier

ROLE = "role"
APP: dict[str, str] = {ROLE: "app"}
DATABASE: dict[str, str] = {ROLE: "database"}  # in-cluster PostgreSQL pods, if any
CACHE: dict[str, str] = {ROLE: "cache"}  # in-cluster Redis pods, if any
NAMESPACE_NAME = "kubernetes.io/metadata.name"  # the label Kubernetes sets on every namespace


def pod_labels(tier: Tier, color: Color) -> dict[str, str]:
    return {**APP, "tier": tier, "color": color}


def metadata(
    cfg: PlatformConfig,
    service: str,
    name: pulumi.Input[str],
    namespace: pulumi.Input[str] | None = None,
    labels: Mapping[str, str] | None = None,
) -> k8s.meta.v1.ObjectMetaArgs:
    """Object metadata with an explicit name and the platform's required labels (policy: required-tags)."""
    return k8s.meta.v1.ObjectMetaArgs(
        name=name,
        namespace=namespace,
        labels={**cfg.tags_for(service), "app.kubernetes.io/part-of": "platform", **(labels or {})},
    )


def name_of(meta: pulumi.Output[k8s.meta.v1.outputs.ObjectMeta]) -> pulumi.Output[str]:
    """An object's name as an Output, so whatever uses it waits for the object to exist."""
    return meta.apply(lambda m: str(m.name))
