"""NetworkPolicies: default deny, then exactly the flows SPEC.md names (selectors, peers and ports)."""

from __future__ import annotations

from .objects import ON, POLICY, spec

APP = {"podSelector": {"matchLabels": {"role": "app"}}}


def policies(plan, *overrides: str) -> dict[str, dict]:
    return {r.name: spec(r) for r in plan("prod", ON, *overrides).of_type(POLICY)}


def test_exactly_these_policies(plan) -> None:
    assert sorted(policies(plan)) == ["app-egress", "app-policy", "database-policy", "default-deny", "metrics-policy"]


def test_default_deny_ingress_and_egress(plan) -> None:
    assert policies(plan)["default-deny"] == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}


def test_app_policy(plan) -> None:
    assert policies(plan)["app-policy"] == {
        "podSelector": {"matchLabels": {"role": "app"}},
        "policyTypes": ["Ingress"],
        "ingress": [
            {
                "from": [APP, {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}}}],
                "ports": [{"protocol": "TCP", "port": 8080}],
            }
        ],
    }


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


def test_egress_only_to_dns_database_redis_and_app_pods(plan) -> None:
    assert policies(plan)["app-egress"] == {
        "podSelector": {"matchLabels": {"role": "app"}},
        "policyTypes": ["Egress"],
        "egress": [
            {
                "to": [
                    {
                        "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
                        "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
                    }
                ],
                "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}],
            },
            {
                "to": [{"podSelector": {"matchLabels": {"role": "database"}}}, {"ipBlock": {"cidr": "10.0.0.0/16"}}],
                "ports": [{"protocol": "TCP", "port": 5432}],
            },
            {
                "to": [{"podSelector": {"matchLabels": {"role": "cache"}}}, {"ipBlock": {"cidr": "10.0.0.0/16"}}],
                "ports": [{"protocol": "TCP", "port": 6379}],
            },
            {"to": [APP], "ports": [{"protocol": "TCP", "port": 8080}]},
        ],
    }


def test_every_egress_rule_names_its_destinations(plan) -> None:
    """A rule without ``to`` would allow every destination."""
    for policy in policies(plan).values():
        assert all(rule.get("to") for rule in policy.get("egress", []))


def test_config_flows_into_policies(plan) -> None:
    found = policies(
        plan,
        "database.port=6432",
        "cache.port=6380",
        "kubernetes.ingressNamespace=traefik",
        'kubernetes.databaseCidrs=["10.20.0.0/24"]',
        'kubernetes.cacheCidrs=["10.30.0.0/24","10.31.0.0/24"]',
    )
    assert found["database-policy"]["ingress"][0]["ports"] == [{"protocol": "TCP", "port": 6432}]
    assert found["app-policy"]["ingress"][0]["from"][1]["namespaceSelector"]["matchLabels"] == {
        "kubernetes.io/metadata.name": "traefik"
    }
    database, cache = found["app-egress"]["egress"][1:3]
    assert database["to"][1:] == [{"ipBlock": {"cidr": "10.20.0.0/24"}}]
    assert database["ports"] == [{"protocol": "TCP", "port": 6432}]
    assert cache["to"][1:] == [{"ipBlock": {"cidr": "10.30.0.0/24"}}, {"ipBlock": {"cidr": "10.31.0.0/24"}}]
    assert cache["ports"] == [{"protocol": "TCP", "port": 6380}]
