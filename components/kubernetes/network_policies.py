"""The namespace's NetworkPolicies (SPEC.md: Security, Kubernetes).

Everything is denied in both directions, then allowed one purpose at a time:

- ``app-policy``: app pods accept the app port from app pods and the ingress controller;
- ``database-policy``: database pods accept PostgreSQL from app pods only;
- ``metrics-policy``: app pods accept the metrics port from Prometheus (else the scrape
  annotations could never be honoured);
- ``app-egress``: app pods reach only DNS, the database, Redis and each other's app port
  (the far side of ``app-policy``).

Database and Redis are reached as in-cluster pods (``role: database`` / ``role: cache``) and as
the configured CIDRs, by default the VPC when AWS is a cloud of the stack.
"""

from __future__ import annotations

import ipaddress

import pulumi
import pulumi_kubernetes as k8s

from ..config import PlatformConfig
from . import labels
from .labels import NAMESPACE_NAME, metadata

DNS_PORT = 53
KUBE_DNS: k8s.networking.v1.NetworkPolicyPeerArgsDict = {
    "namespace_selector": {"match_labels": {NAMESPACE_NAME: "kube-system"}},
    "pod_selector": {"match_labels": {"k8s-app": "kube-dns"}},
}


def _ports(port: int, *protocols: str) -> list[k8s.networking.v1.NetworkPolicyPortArgsDict]:
    return [{"protocol": protocol, "port": port} for protocol in protocols or ("TCP",)]


def _pods(selector: dict[str, str]) -> k8s.networking.v1.NetworkPolicyPeerArgsDict:
    return {"pod_selector": {"match_labels": selector}}


def _blocks(cidrs: list[ipaddress.IPv4Network]) -> list[k8s.networking.v1.NetworkPolicyPeerArgsDict]:
    return [{"ip_block": {"cidr": str(cidr)}} for cidr in cidrs]


def _namespace(name: str) -> k8s.networking.v1.NetworkPolicyPeerArgsDict:
    return {"namespace_selector": {"match_labels": {NAMESPACE_NAME: name}}}


class NetworkPolicies(pulumi.ComponentResource):
    policies: dict[str, k8s.networking.v1.NetworkPolicy]

    def __init__(
        self, name: str, cfg: PlatformConfig, namespace: pulumi.Input[str], opts: pulumi.ResourceOptions | None = None
    ):
        super().__init__("platform:kubernetes:NetworkPolicies", name, None, opts)
        k, compute = cfg.kubernetes, cfg.compute
        aws_vpc = [cfg.aws.vpc_cidr] if "aws" in cfg.clouds else []
        database_cidrs = k.database_cidrs or aws_vpc
        cache_cidrs = k.cache_cidrs or aws_vpc
        app = _pods(labels.APP)

        specs: dict[str, k8s.networking.v1.NetworkPolicySpecArgsDict] = {
            "default-deny": {"pod_selector": {}, "policy_types": ["Ingress", "Egress"]},
            "app-policy": {
                "pod_selector": {"match_labels": labels.APP},
                "policy_types": ["Ingress"],
                "ingress": [{"from_": [app, _namespace(k.ingress_namespace)], "ports": _ports(compute.app_port)}],
            },
            "database-policy": {
                "pod_selector": {"match_labels": labels.DATABASE},
                "policy_types": ["Ingress"],
                "ingress": [{"from_": [app], "ports": _ports(cfg.database.port)}],
            },
            "metrics-policy": {
                "pod_selector": {"match_labels": labels.APP},
                "policy_types": ["Ingress"],
                "ingress": [{"from_": [_namespace(k.monitoring_namespace)], "ports": _ports(compute.metrics_port)}],
            },
            "app-egress": {
                "pod_selector": {"match_labels": labels.APP},
                "policy_types": ["Egress"],
                # Every rule names its peers: a rule without any would allow every destination.
                "egress": [
                    {
                        "to": [KUBE_DNS],
                        "ports": _ports(DNS_PORT, "UDP", "TCP"),
                    },
                    {
                        "to": [_pods(labels.DATABASE), *_blocks(database_cidrs)],
                        "ports": _ports(cfg.database.port),
                    },
                    {
                        "to": [_pods(labels.CACHE), *_blocks(cache_cidrs)],
                        "ports": _ports(cfg.cache.port),
                    },
                    {"to": [app], "ports": _ports(compute.app_port)},
                ],
            },
        }
        self.policies = {
            policy: k8s.networking.v1.NetworkPolicy(
                policy,
                metadata=metadata(cfg, "kubernetes", policy, namespace),
                spec=spec,
                opts=pulumi.ResourceOptions(parent=self),
            )
            for policy, spec in specs.items()
        }
        self.register_outputs({})
