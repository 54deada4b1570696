"""KubernetesConfig validation: private egress ranges, DNS-label names, labels, identities, the Gateway."""

from __future__ import annotations

import pytest

from components.config import ConfigError, parse


def kubernetes(**values: object) -> dict:
    return {"environment": "dev", "kubernetes": {"enabled": True, **values}}


@pytest.mark.parametrize(
    ("values", "problem"),
    [
        ({"images": {"web": "repo/web:1.0.0"}}, 'images = {"web": "repo/web:1.0.0"}: moved to blueGreen.releases'),
        ({"databaseCidrs": ["0.0.0.0/0"]}, "must be a private range"),
        ({"cacheCidrs": ["8.8.8.0/24"]}, "must be a private range"),
        ({"namespace": "Not_A_Label"}, "kubernetes.namespace"),
        ({"quotaCpu": "lots"}, "kubernetes.quotaCpu"),
        ({"pdbMinAvailablePercent": 101}, "kubernetes.pdbMinAvailablePercent"),
        ({"maxSurgePercent": 0}, "kubernetes.maxSurgePercent"),
        ({"dnsServiceIp": "10.96.0.10"}, 'dnsServiceIp = "10.96.0.10": is only used with dns: node-local-dns'),
        ({"dns": "coredns"}, "kubernetes.dns"),
        ({"gateway": {"name": "Platform"}}, "kubernetes.gateway.name"),
        ({"gateway": {"hostnames": ["https://example.com"]}}, "not a DNS name"),
        ({"gateway": {"dataPlaneLabels": {"bad key": "x"}}}, "is not a Kubernetes label"),
        ({"prometheus": {"labels": {"release": "not a value"}}}, "is not a Kubernetes label"),
        ({"prometheus": {"latencyHistogram": "latency-seconds"}}, "kubernetes.prometheus.latencyHistogram"),
        ({"workerQueueSelector": {"queue": "x" * 64}}, "is not a Kubernetes label"),
        ({"workloadIdentity": {"awsRoleArn": "arn:aws:iam::123:role/app"}}, "awsRoleArn"),
        ({"workloadIdentity": {"gcpServiceAccount": "app@example.com"}}, "gcpServiceAccount"),
        ({"workloadIdentity": {"azureClientId": "not-a-uuid"}}, "azureClientId"),
        ({"secretSync": {"refreshMinutes": 0}}, "kubernetes.secretSync.refreshMinutes"),
        ({"secretSync": {"refreshMinutes": 61}}, "kubernetes.secretSync.refreshMinutes"),
    ],
)
def test_rejected(values: dict, problem: str) -> None:
    with pytest.raises(ConfigError, match=problem):
        parse(kubernetes(**values))


def test_accepted_values() -> None:
    cfg = parse(
        kubernetes(
            dns="node-local-dns",
            dnsServiceIp="10.96.0.10",
            gateway={"hostnames": ["*.example.com", "platform.example.com"], "dataPlaneCidrs": ["35.191.0.0/16"]},
            workloadIdentity={
                "awsRoleArn": "arn:aws:iam::123456789012:role/platform/app",
                "gcpServiceAccount": "platform-app@platform-example.iam.gserviceaccount.com",
                "azureClientId": "00000000-0000-0000-0000-000000000001",
            },
            workerQueueSelector={"resource.labels.subscription_id": "work"},
        )
    )
    assert str(cfg.kubernetes.dns_service_ip) == "10.96.0.10"
    assert cfg.kubernetes.gateway.hostnames == ["*.example.com", "platform.example.com"]


def test_gateway_data_plane_defaults_to_the_gateways_own_proxies() -> None:
    gateway = parse(kubernetes(gateway={"name": "edge", "namespace": "istio-ingress"})).kubernetes.gateway
    assert gateway.data_plane_selector == ("istio-ingress", {"gateway.networking.k8s.io/gateway-name": "edge"})
    envoy = parse(
        kubernetes(
            gateway={
                "dataPlaneNamespace": "envoy-gateway-system",
                "dataPlaneLabels": {"gateway.envoyproxy.io/owning-gateway-name": "platform"},
            }
        )
    ).kubernetes.gateway
    assert envoy.data_plane_selector == (
        "envoy-gateway-system",
        {"gateway.envoyproxy.io/owning-gateway-name": "platform"},
    )
