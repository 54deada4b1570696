"""NetworkPolicies: default deny, then exactly the flows SPEC.md names and the first cloud's services need."""

from __future__ import annotations

import pytest

from .objects import ON, POLICY, spec

APP = {"podSelector": {"matchLabels": {"role": "app"}}}
GATEWAY_PROXIES = {
    "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "gateway-system"}},
    "podSelector": {"matchLabels": {"gateway.networking.k8s.io/gateway-name": "platform"}},
}
KUBE_DNS = {
    "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
    "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
}
DNS_PORTS = [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}]
PUBLIC_HTTPS = {
    "to": [
        {
            "ipBlock": {
                "cidr": "0.0.0.0/0",
                "except": ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "169.254.0.0/16"],
            }
        }
    ],
    "ports": [{"protocol": "TCP", "port": 443}],
}


def policies(plan, *overrides: str, stack: str = "prod") -> dict[str, dict]:
    return {r.name: spec(r) for r in plan(stack, ON, *overrides).of_type(POLICY)}


def egress(plan, *overrides: str) -> list[dict]:
    return policies(plan, *overrides)["app-egress"]["egress"]


def test_exactly_these_policies(plan) -> None:
    assert sorted(policies(plan)) == ["app-egress", "app-policy", "database-policy", "default-deny", "metrics-policy"]


def test_default_deny_ingress_and_egress(plan) -> None:
    assert policies(plan)["default-deny"] == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}


def test_app_policy_admits_app_pods_and_the_gateways_data_plane_on_the_pod_port(plan) -> None:
    """Services take SPEC.md's 80 and forward to the pods' 8080, which is the port a policy sees."""
    assert policies(plan)["app-policy"] == {
        "podSelector": {"matchLabels": {"role": "app"}},
        "policyTypes": ["Ingress"],
        "ingress": [{"from": [APP, GATEWAY_PROXIES], "ports": [{"protocol": "TCP", "port": 8080}]}],
    }


def test_gateway_data_plane_follows_config(plan) -> None:
    found = policies(
        plan,
        "kubernetes.gateway.dataPlaneNamespace=envoy-gateway-system",
        'kubernetes.gateway.dataPlaneLabels={"gateway.envoyproxy.io/owning-gateway-name":"platform"}',
        'kubernetes.gateway.dataPlaneCidrs=["35.191.0.0/16","130.211.0.0/22"]',
    )
    assert found["app-policy"]["ingress"][0]["from"] == [
        APP,
        {
            "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "envoy-gateway-system"}},
            "podSelector": {"matchLabels": {"gateway.envoyproxy.io/owning-gateway-name": "platform"}},
        },
        {"ipBlock": {"cidr": "35.191.0.0/16"}},
        {"ipBlock": {"cidr": "130.211.0.0/22"}},
    ]


def test_database_policy_admits_app_pods_only(plan) -> None:
    assert policies(plan)["database-policy"] == {
        "podSelector": {"matchLabels": {"role": "database"}},
        "policyTypes": ["Ingress"],
        "ingress": [{"from": [APP], "ports": [{"protocol": "TCP", "port": 5432}]}],
    }


def test_metrics_policy_admits_prometheus_on_the_metrics_port(plan) -> None:
    assert policies(plan)["metrics-policy"] == {
        "podSelector": {"matchLabels": {"role": "app"}},
        "policyTypes": ["Ingress"],
        "ingress": [
            {
                "from": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}}}],
                "ports": [{"protocol": "TCP", "port": 9090}],
            }
        ],
    }


def test_egress_to_dns_data_stores_app_pods_and_public_https(plan) -> None:
    assert policies(plan)["app-egress"] == {
        "podSelector": {"matchLabels": {"role": "app"}},
        "policyTypes": ["Egress"],
        "egress": [
            {"to": [KUBE_DNS], "ports": DNS_PORTS},
            {
                "to": [{"podSelector": {"matchLabels": {"role": "database"}}}, {"ipBlock": {"cidr": "10.0.0.0/16"}}],
                "ports": [{"protocol": "TCP", "port": 5432}],
            },
            {
                "to": [{"podSelector": {"matchLabels": {"role": "cache"}}}, {"ipBlock": {"cidr": "10.0.0.0/16"}}],
                "ports": [{"protocol": "TCP", "port": 6379}],
            },
            {"to": [APP], "ports": [{"protocol": "TCP", "port": 8080}]},
            PUBLIC_HTTPS,
        ],
    }


@pytest.mark.parametrize(
    ("cloud", "cidr", "database_port", "cache_port"),
    [("aws", "10.0.0.0/16", 5432, 6379), ("gcp", "10.6.0.0/16", 5432, 6378), ("azure", "10.2.0.0/16", 5432, 6380)],
)
def test_egress_reaches_the_first_clouds_database_and_cache(
    plan, cloud: str, cidr: str, database_port: int, cache_port: int
) -> None:
    """The cloud's address range, and exactly the ports the pods are told to connect to (TLS Memorystore 6378,
    Azure Redis 6380)."""
    p = plan("prod", ON, f'clouds=["{cloud}"]')
    (config_map,) = p.of_type("kubernetes:core/v1:ConfigMap")
    database, cache = {r.name: spec(r) for r in p.of_type(POLICY)}["app-egress"]["egress"][1:3]
    assert database["to"][1:] == cache["to"][1:] == [{"ipBlock": {"cidr": cidr}}]
    assert database["ports"] == [{"protocol": "TCP", "port": database_port}]
    assert cache["ports"] == [{"protocol": "TCP", "port": cache_port}]
    assert config_map.inputs["data"]["DATABASE_PORT"] == str(database_port)
    assert config_map.inputs["data"]["REDIS_PORT"] == str(cache_port)


@pytest.mark.parametrize(
    ("overrides", "resolvers"),
    [
        (("kubernetes.dns=node-local-dns",), [{"ipBlock": {"cidr": "169.254.20.10/32"}}]),
        (
            ("kubernetes.dns=node-local-dns", "kubernetes.dnsServiceIp=10.96.0.10"),
            [{"ipBlock": {"cidr": "169.254.20.10/32"}}, {"ipBlock": {"cidr": "10.96.0.10/32"}}],
        ),
        (("kubernetes.dns=metadata-server",), [{"ipBlock": {"cidr": "169.254.169.254/32"}}]),
    ],
)
def test_dns_reaches_node_local_or_metadata_resolvers(plan, overrides: tuple[str, ...], resolvers: list) -> None:
    assert egress(plan, *overrides)[0] == {"to": [KUBE_DNS, *resolvers], "ports": DNS_PORTS}


def test_cloud_apis_narrow_to_private_endpoints(plan) -> None:
    assert egress(plan, 'kubernetes.cloudApiCidrs=["199.36.153.8/30","10.0.0.0/16"]')[4] == {
        "to": [{"ipBlock": {"cidr": "199.36.153.8/30"}}, {"ipBlock": {"cidr": "10.0.0.0/16"}}],
        "ports": [{"protocol": "TCP", "port": 443}],
    }


def test_gke_workload_identity_reaches_the_gke_metadata_server(plan) -> None:
    found = egress(
        plan, "kubernetes.workloadIdentity.gcpServiceAccount=platform-app@platform-example.iam.gserviceaccount.com"
    )
    assert found[5:] == [
        {"to": [{"ipBlock": {"cidr": "169.254.169.254/32"}}], "ports": [{"protocol": "TCP", "port": 80}]},
        {"to": [{"ipBlock": {"cidr": "169.254.169.252/32"}}], "ports": [{"protocol": "TCP", "port": 988}]},
    ]
    assert len(egress(plan)) == 5  # no metadata server without GKE Workload Identity


def test_every_egress_rule_names_its_destinations(plan) -> None:
    """A rule without ``to`` would allow every destination."""
    for policy in policies(plan).values():
        assert all(rule.get("to") for rule in policy.get("egress", []))


def test_config_flows_into_policies(plan) -> None:
    found = policies(
        plan,
        "database.port=6432",
        "cache.port=6380",
        'kubernetes.databaseCidrs=["10.20.0.0/24"]',
        'kubernetes.cacheCidrs=["10.30.0.0/24","10.31.0.0/24"]',
    )
    assert found["database-policy"]["ingress"][0]["ports"] == [{"protocol": "TCP", "port": 6432}]
    database, cache = found["app-egress"]["egress"][1:3]
    assert database["to"][1:] == [{"ipBlock": {"cidr": "10.20.0.0/24"}}]
    assert database["ports"] == [{"protocol": "TCP", "port": 6432}]
    assert cache["to"][1:] == [{"ipBlock": {"cidr": "10.30.0.0/24"}}, {"ipBlock": {"cidr": "10.31.0.0/24"}}]
    assert cache["ports"] == [{"protocol": "TCP", "port": 6380}]
