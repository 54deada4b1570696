"""The namespace's NetworkPolicies (SPEC.md: Security, Kubernetes).

Everything is denied in both directions, then allowed one purpose at a time:

- ``app-policy``: app pods accept the app port from app pods and the Gateway's data plane
  (SPEC.md's "80 from app pods / ingress controller": Services take 80 and forward to the pods'
  ``appPort``, which is what a policy sees);
- ``database-policy``: database pods accept PostgreSQL from app pods only;
- ``metrics-policy``: app pods accept the metrics port from Prometheus;
- ``app-egress``: app pods reach DNS, the first cloud's database and cache (their address range
  and the ports the pods are given, e.g. 6378 for TLS Memorystore, 6380 for Azure Redis), each
  other's app port (the far side of ``app-policy``), the cloud APIs over HTTPS, and with GKE
  Workload Identity the GKE metadata server.

Policies select addresses, never host names: cloud APIs are public HTTPS (private ranges
excepted) unless ``cloudApiCidrs`` names private endpoints.
"""

from __future__ import annotations

import ipaddress

import pulumi
import pulumi_kubernetes as k8s

from ..config import PlatformConfig
from . import labels
from .labels import NAMESPACE_NAME, metadata

DNS_PORT = 53
HTTPS_PORT = 443
KUBE_DNS: k8s.networking.v1.NetworkPolicyPeerArgsDict = {
    "namespace_selector": {"match_labels": {NAMESPACE_NAME: "kube-system"}},
    "pod_selector": {"match_labels": {"k8s-app": "kube-dns"}},
}
# Resolvers outside the pod network, per kubernetes.dns.
NODE_LOCAL_DNS = ipaddress.IPv4Network("169.254.20.10/32")
METADATA_SERVER = ipaddress.IPv4Network("169.254.169.254/32")
# GKE Workload Identity's metadata server: 169.254.169.254:80 with Dataplane V2, else 169.254.169.252:988.
GKE_METADATA: tuple[tuple[str, int], ...] = (("169.254.169.254/32", 80), ("169.254.169.252/32", 988))
# Never part of "the internet": private, shared (carrier-grade NAT, some pod networks) and link-local ranges.
NON_PUBLIC = tuple(
    ipaddress.IPv4Network(cidr)
    for cidr in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "169.254.0.0/16")
)


def _ports(port: pulumi.Input[int], *protocols: str) -> list[k8s.networking.v1.NetworkPolicyPortArgsDict]:
    return [{"protocol": protocol, "port": port} for protocol in protocols or ("TCP",)]


def _pods(selector: dict[str, str]) -> k8s.networking.v1.NetworkPolicyPeerArgsDict:
    return {"pod_selector": {"match_labels": selector}}


def _blocks(cidrs: list[ipaddress.IPv4Network]) -> list[k8s.networking.v1.NetworkPolicyPeerArgsDict]:
    """One peer per range; a range that spans non-public ones (0.0.0.0/0) excepts them."""
    peers: list[k8s.networking.v1.NetworkPolicyPeerArgsDict] = []
    for cidr in cidrs:
        block: k8s.networking.v1.IPBlockArgsDict = {"cidr": str(cidr)}
        inside = [str(n) for n in NON_PUBLIC if n.subnet_of(cidr) and n != cidr]
        if inside:
            block["except_"] = inside
        peers.append({"ip_block": block})
    return peers


def _namespace(name: str) -> k8s.networking.v1.NetworkPolicyPeerArgsDict:
    return {"namespace_selector": {"match_labels": {NAMESPACE_NAME: name}}}


class NetworkPolicies(pulumi.ComponentResource):
    policies: dict[str, k8s.networking.v1.NetworkPolicy]

    def __init__(
        self,
        name: str,
        cfg: PlatformConfig,
        namespace: pulumi.Input[str],
        service_cidrs: list[ipaddress.IPv4Network],
        database_port: pulumi.Input[int],
        cache_port: pulumi.Input[int],
        opts: pulumi.ResourceOptions | None = None,
    ):
        """``service_cidrs``: where the first cloud's database and cache listen; the ports are the ones the
        pods are told to connect to."""
        super().__init__("platform:kubernetes:NetworkPolicies", name, None, opts)
        k, compute = cfg.kubernetes, cfg.compute
        app = _pods(labels.APP)
        gateway_namespace, gateway_pods = k.gateway.data_plane_selector
        data_plane: list[k8s.networking.v1.NetworkPolicyPeerArgsDict] = [
            {**_namespace(gateway_namespace), **_pods(gateway_pods)},
            *_blocks(k.gateway.data_plane_cidrs),
        ]
        resolvers = {
            "kube-dns": [],
            "node-local-dns": [
                NODE_LOCAL_DNS,
                *([ipaddress.IPv4Network(k.dns_service_ip)] if k.dns_service_ip else []),
            ],
            "metadata-server": [METADATA_SERVER],
        }[k.dns]
        workload_identity: list[k8s.networking.v1.NetworkPolicyEgressRuleArgsDict] = (
            [{"to": [{"ip_block": {"cidr": cidr}}], "ports": _ports(port)} for cidr, port in GKE_METADATA]
            if k.workload_identity.gcp_service_account
            else []
        )

        specs: dict[str, k8s.networking.v1.NetworkPolicySpecArgsDict] = {
            "default-deny": {"pod_selector": {}, "policy_types": ["Ingress", "Egress"]},
            "app-policy": {
                "pod_selector": {"match_labels": labels.APP},
                "policy_types": ["Ingress"],
                "ingress": [{"from_": [app, *data_plane], "ports": _ports(compute.app_port)}],
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
                    {"to": [KUBE_DNS, *_blocks(resolvers)], "ports": _ports(DNS_PORT, "UDP", "TCP")},
                    {
                        "to": [_pods(labels.DATABASE), *_blocks(k.database_cidrs or service_cidrs)],
                        "ports": _ports(database_port),
                    },
                    {
                        "to": [_pods(labels.CACHE), *_blocks(k.cache_cidrs or service_cidrs)],
                        "ports": _ports(cache_port),
                    },
                    {"to": [app], "ports": _ports(compute.app_port)},
                    {"to": _blocks(k.cloud_api_cidrs), "ports": _ports(HTTPS_PORT)},
                    *workload_identity,
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
