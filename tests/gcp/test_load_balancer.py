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


@pytest.mark.parametrize("stack", STACKS)
def test_the_certificate_domain_resolves_to_the_load_balancer(plan, stack):
    """A Google-managed certificate stays PROVISIONING until its domain points at the load balancer."""
    p = gcp_plan(plan, stack)
    record = p.named("gcp:dns/recordSet:RecordSet", "public")
    address = p.named("gcp:compute/globalAddress:GlobalAddress", "public")
    assert record.inputs["managedZone"] == "platform-example-com" and record.inputs["project"] == "platform-example"
    assert (record.inputs["name"], record.inputs["type"]) == ("platform.example.com.", "A")
    assert record.inputs["rrdatas"] == [p.outputs["gcp_load_balancer_dns_name"].value]
    assert record.property_dependencies["rrdatas"] == [address.urn]
    cert = p.named("gcp:compute/managedSslCertificate:ManagedSslCertificate", "tls")
    assert record.urn in cert.dependencies


def test_the_record_goes_to_the_configured_zone(plan):
    p = gcp_plan(plan, "dev", "gcp.domainName=app.example.org", "gcp.dnsZone=corp-zone", "gcp.dnsProject=dns-hub-123")
    record = p.named("gcp:dns/recordSet:RecordSet", "public").inputs
    assert (record["managedZone"], record["project"], record["name"]) == (
        "corp-zone",
        "dns-hub-123",
        "app.example.org.",
    )


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


@pytest.mark.parametrize("canary", [0, 10, 25, 50, 100])
def test_url_map_weights_follow_every_shift_step(plan, canary):
    """Green live, blue the canary: each of SPEC's steps (and 0) on every route (blue live: the tests above)."""
    p = gcp_plan(plan, "dev", "blueGreen.activeColor=green", f"blueGreen.canaryWeight={canary}")
    url_map = p.named(URL_MAP, "https").inputs
    (matcher,) = url_map["pathMatchers"]
    for action in (
        url_map["defaultRouteAction"],
        matcher["defaultRouteAction"],
        matcher["pathRules"][0]["routeAction"],
    ):
        assert _weights(action) == {"green": 100 - canary, "blue": canary}
