"""Blue-green on the global external HTTPS load balancer: TLS policy, redirect, weighted URL map."""

from __future__ import annotations

import pytest

from tests.conftest import STACKS
from tests.gcp.support import gcp_plan, named

LB = "platform:gcp:BlueGreenLoadBalancer"
URL_MAP = "gcp:compute/uRLMap:URLMap"


def _weights(action: dict) -> dict[str, int]:
    return {s["backendService"].rsplit("-", 1)[-1]: s["weight"] for s in action["weightedBackendServices"]}


@pytest.mark.parametrize("stack", STACKS)
def test_https_with_managed_certificate_and_tls_12_minimum(plan, stack):
    p = gcp_plan(plan, stack)
    policy = p.named("gcp:compute/sSLPolicy:SSLPolicy", "tls").inputs
    assert policy["profile"] == "RESTRICTED" and policy["minTlsVersion"] == "TLS_1_2"
    cert = p.named("gcp:compute/managedSslCertificate:ManagedSslCertificate", "tls").inputs
    assert cert["managed"]["domains"] == ["platform.example.com"]
    proxy = p.named("gcp:compute/targetHttpsProxy:TargetHttpsProxy", "https")
    assert proxy.property_dependencies["sslPolicy"] and proxy.property_dependencies["sslCertificates"]
    rules = named(p, LB, "gcp:compute/globalForwardingRule:GlobalForwardingRule")
    assert {name: r.inputs["portRange"] for name, r in rules.items()} == {"https": "443", "http": "80"}
    assert all(r.inputs["loadBalancingScheme"] == "EXTERNAL_MANAGED" for r in rules.values())


@pytest.mark.parametrize("stack", STACKS)
def test_http_only_redirects_to_https(plan, stack):
    p = gcp_plan(plan, stack)
    redirect = p.named(URL_MAP, "http-redirect").inputs
    assert redirect["defaultUrlRedirect"]["httpsRedirect"] is True
    http_proxy = p.named("gcp:compute/targetHttpProxy:TargetHttpProxy", "http")
    assert http_proxy.property_dependencies["urlMap"] == [p.named(URL_MAP, "http-redirect").urn]


@pytest.mark.parametrize("stack", STACKS)
def test_blue_and_green_backends_per_tier(plan, stack):
    p = gcp_plan(plan, stack)
    services = named(p, LB, "gcp:compute/backendService:BackendService")
    assert set(services) == {"web-blue", "web-green", "api-blue", "api-green"}
    for name, service in services.items():
        inputs = service.inputs
        assert inputs["loadBalancingScheme"] == "EXTERNAL_MANAGED" and inputs["protocol"] == "HTTP"
        assert inputs["connectionDrainingTimeoutSec"] == 30
        assert inputs["logConfig"]["enable"] is True
        (backend,) = inputs["backends"]
        assert backend["group"].endswith(f"/instanceGroups/platform-{stack}-{name}")
    assert services["api-blue"].inputs["backends"][0]["balancingMode"] == "RATE"
    assert services["api-blue"].inputs["backends"][0]["maxRatePerInstance"] == pytest.approx(1000 / 60)
    assert services["web-blue"].inputs["backends"][0]["maxUtilization"] == 0.7


def test_all_traffic_on_the_active_colour_by_default(plan):
    url_map = gcp_plan(plan, "prod").named(URL_MAP, "https").inputs
    assert _weights(url_map["defaultRouteAction"]) == {"blue": 100, "green": 0}
    (matcher,) = url_map["pathMatchers"]
    (api_rule,) = matcher["pathRules"]
    assert api_rule["paths"] == ["/api/*"]
    assert _weights(api_rule["routeAction"]) == {"blue": 100, "green": 0}


def test_canary_weight_splits_both_routes_like_aws(plan):
    p = gcp_plan(plan, "prod", "blueGreen.activeColor=green", "blueGreen.canaryWeight=25")
    url_map = p.named(URL_MAP, "https").inputs
    (matcher,) = url_map["pathMatchers"]
    for action in (
        url_map["defaultRouteAction"],
        matcher["defaultRouteAction"],
        matcher["pathRules"][0]["routeAction"],
    ):
        assert _weights(action) == {"green": 75, "blue": 25}
    assert p.outputs["traffic_weights"].value == {"green": 75, "blue": 25}
