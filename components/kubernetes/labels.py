"""Names and labels shared by the workloads, the traffic objects and the network policies.

Pods carry ``role`` (app, database, cache), ``tier`` and ``color``; policies select by ``role``
and Services by ``tier`` + ``color``, so the files cannot drift apart. web and api run one
Deployment per colour (``web-blue``, ``web-green``, ...); the worker, which serves no traffic,
runs one Deployment (``worker``) on the active colour's release.
"""

from __future__ import annotations

from collections.abc import Mapping

import pulumi
import pulumi_kubernetes as k8s

from ..config import COLORS, Color, PlatformConfig, Tier

ROLE = "role"
APP: dict[str, str] = {ROLE: "app"}
DATABASE: dict[str, str] = {ROLE: "database"}  # in-cluster PostgreSQL pods, if any
CACHE: dict[str, str] = {ROLE: "cache"}  # in-cluster Redis pods, if any
NAMESPACE_NAME = "kubernetes.io/metadata.name"  # the label Kubernetes sets on every namespace
SERVED_TIERS: tuple[Tier, ...] = ("web", "api")  # behind the Gateway, one pool per colour
# Every Deployment: (tier, colour), the worker without a colour of its own.
DEPLOYMENTS: tuple[tuple[Tier, Color | None], ...] = (
    *((tier, color) for tier in SERVED_TIERS for color in COLORS),
    ("worker", None),
)


def namespace_name(cfg: PlatformConfig) -> str:
    return cfg.kubernetes.namespace or cfg.name()


def deployment_name(tier: Tier, color: Color | None) -> str:
    """``web-blue``; also its Service's, HPA's and PDB's name (and its pods' name prefix)."""
    return f"{tier}-{color}" if color else tier


def pod_labels(tier: Tier, color: Color | None) -> dict[str, str]:
    """What a Deployment selects (immutable, so the worker's selector names no colour)."""
    return {**APP, "tier": tier, **({"color": color} if color else {})}


def metadata(
    cfg: PlatformConfig,
    service: str,
    name: pulumi.Input[str],
    namespace: pulumi.Input[str] | None = None,
    labels: Mapping[str, str] | None = None,
    annotations: Mapping[str, pulumi.Input[str]] | None = None,
) -> k8s.meta.v1.ObjectMetaArgs:
    """Object metadata with an explicit name and the platform's required labels (policy: required-tags)."""
    return k8s.meta.v1.ObjectMetaArgs(
        name=name,
        namespace=namespace,
        labels={**cfg.tags_for(service), "app.kubernetes.io/part-of": "platform", **(labels or {})},
        annotations=annotations or None,
    )


def name_of(meta: pulumi.Output[k8s.meta.v1.outputs.ObjectMeta]) -> pulumi.Output[str]:
    """An object's name as an Output, so whatever uses it waits for the object to exist."""
    return meta.apply(lambda m: str(m.name))
