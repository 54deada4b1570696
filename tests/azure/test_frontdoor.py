"""Front Door Premium: weighted blue-green origins reached over Private Link, WAF in front, TLS, /api/* routing."""

from __future__ import annotations

import pytest

from tests.azure.support import azure_plan, named, only
from tests.conftest import STACKS

FRONT_DOOR = "platform:azure:FrontDoor"
ORIGIN = "azure-native:cdn:AFDOrigin"
ROUTE = "azure-native:cdn:Route"
LB = "azure-native:network:LoadBalancer"
PORTS = {"web-blue": 8081, "web-green": 8082, "api-blue": 8083, "api-green": 8084}


def origins(p) -> dict[str, dict]:
    """``{"web-blue": inputs, ...}``."""
    return {name.removeprefix("front-door-"): r.inputs for name, r in named(p, FRONT_DOOR, ORIGIN).items()}


def split(p) -> dict[str, dict[str, int]]:
    """Per tier, the share of traffic each colour gets: 0 for a disabled origin, else its weight."""
    shares: dict[str, dict[str, int]] = {}
    for key, origin in origins(p).items():
        tier, color = key.split("-")
        shares.setdefault(tier, {})[color] = origin["weight"] if origin["enabledState"] == "Enabled" else 0
    return shares


@pytest.mark.parametrize("stack", STACKS)
def test_premium_profile_with_a_prevention_waf_bound_to_domain_and_endpoint(plan, stack):
    p = azure_plan(plan, stack)
    profile = only(p, FRONT_DOOR, "azure-native:cdn:Profile")
    assert profile.inputs["sku"] == {"name": "Premium_AzureFrontDoor"} and profile.inputs["location"] == "global"
    assert profile.inputs["originResponseTimeoutSeconds"] == 30  # DATABASE_TIMEOUT
    assert profile.protect == (stack == "prod")
    waf = only(p, FRONT_DOOR, "azure-native:frontdoor:Policy")
    assert waf.inputs["policyName"] == f"platform{stack}waf" and waf.inputs["sku"] == {"name": "Premium_AzureFrontDoor"}
    assert waf.inputs["policySettings"]["mode"] == "Prevention"
    assert waf.inputs["policySettings"]["enabledState"] == "Enabled"
    assert [(s["ruleSetType"], s["ruleSetVersion"]) for s in waf.inputs["managedRules"]["managedRuleSets"]] == [
        ("Microsoft_DefaultRuleSet", "2.1"),
        ("Microsoft_BotManagerRuleSet", "1.1"),
    ]
    binding = only(p, FRONT_DOOR, "azure-native:cdn:SecurityPolicy")
    assert binding.inputs["parameters"]["type"] == "WebApplicationFirewall"
    assert binding.property_dependencies["parameters"] and waf.urn in binding.property_dependencies["parameters"]
    (association,) = binding.inputs["parameters"]["associations"]
    assert association["patternsToMatch"] == ["/*"]
    domain = only(p, FRONT_DOOR, "azure-native:cdn:AFDCustomDomain")
    endpoint = only(p, FRONT_DOOR, "azure-native:cdn:AFDEndpoint")
    assert {domain.urn, endpoint.urn} <= set(binding.property_dependencies["parameters"])


@pytest.mark.parametrize("stack", STACKS)
def test_custom_domain_with_a_managed_certificate_tls_12_minimum_and_13(plan, stack):
    domain = only(azure_plan(plan, stack), FRONT_DOOR, "azure-native:cdn:AFDCustomDomain").inputs
    assert domain["hostName"] == "platform.example.com"
    assert domain["tlsSettings"] == {"certificateType": "ManagedCertificate", "cipherSuiteSetType": "TLS12_2023"}


def test_tls_13_only_when_asked(plan):
    domain = only(azure_plan(plan, "dev", "security.minTlsVersion=1.3"), FRONT_DOOR, "azure-native:cdn:AFDCustomDomain")
    assert domain.inputs["tlsSettings"] == {
        "certificateType": "ManagedCertificate",
        "cipherSuiteSetType": "Customized",
        "minimumTlsVersion": "TLS13",
        "customizedCipherSuiteSet": {"cipherSuiteSetForTls13": ["TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384"]},
    }


@pytest.mark.parametrize("stack", STACKS)
def test_routes_send_api_to_the_api_group_everything_else_to_web_https_only(plan, stack):
    p = azure_plan(plan, stack)
    routes = {r.inputs["routeName"]: r for r in named(p, FRONT_DOOR, ROUTE).values()}
    groups = {g.inputs["originGroupName"]: g for g in named(p, FRONT_DOOR, "azure-native:cdn:AFDOriginGroup").values()}
    assert routes["web"].inputs["patternsToMatch"] == ["/*"] and routes["api"].inputs["patternsToMatch"] == ["/api/*"]
    for tier, route in routes.items():
        inputs = route.inputs
        assert route.property_dependencies["originGroup"] == [groups[tier].urn]
        assert inputs["httpsRedirect"] == "Enabled" and inputs["supportedProtocols"] == ["Http", "Https"]
        assert inputs["forwardingProtocol"] == "HttpOnly"  # inside Private Link, to the app port
        assert len(inputs["customDomains"]) == 1
        # Front Door refuses a route to an empty origin group: the route waits for its origins.
        tier_origins = {r.urn for n, r in named(p, FRONT_DOOR, ORIGIN).items() if n.startswith(f"front-door-{tier}-")}
        assert tier_origins <= set(route.dependencies)
    out = p.outputs
    assert out["azure_https_listener_id"].value.endswith("/afdEndpoints/platform-" + stack + "/routes/web")
    assert out["azure_api_listener_rule_id"].value.endswith("/routes/api")
    assert out["azure_load_balancer_dns_name"].value.endswith(".azurefd.net")


@pytest.mark.parametrize("stack", STACKS)
def test_origin_groups_probe_health_and_spread_by_weight(plan, stack):
    for group in named(azure_plan(plan, stack), FRONT_DOOR, "azure-native:cdn:AFDOriginGroup").values():
        assert group.inputs["healthProbeSettings"] == {
            "probePath": "/health",
            "probeProtocol": "Http",
            "probeRequestType": "GET",
            "probeIntervalInSeconds": 10,
        }
        # The widest latency band: every healthy origin shares traffic by weight, not by who answers fastest.
        assert group.inputs["loadBalancingSettings"]["additionalLatencyInMilliseconds"] == 1000


@pytest.mark.parametrize("canary", [0, 10, 25, 50, 100])
def test_weights_follow_canary_weight(plan, canary):
    p = azure_plan(plan, "dev", f"blueGreen.canaryWeight={canary}")
    assert split(p) == {"web": {"blue": 100 - canary, "green": canary}, "api": {"blue": 100 - canary, "green": canary}}
    for origin in origins(p).values():
        assert 1 <= origin["weight"] <= 1000  # Front Door's range; a 0 % colour is a disabled origin


def test_weights_follow_the_active_colour(plan):
    p = azure_plan(plan, "staging", "blueGreen.activeColor=green", "blueGreen.canaryWeight=25")
    assert split(p)["web"] == {"green": 75, "blue": 25}


@pytest.mark.parametrize("stack", STACKS)
def test_each_origin_reaches_its_pool_privately_through_the_link_service(plan, stack):
    p = azure_plan(plan, stack)
    link = only(p, FRONT_DOOR, "azure-native:network:PrivateLinkService")
    lb = only(p, FRONT_DOOR, LB)
    for key, origin in origins(p).items():
        assert origin["hostName"] == origin["originHostHeader"] == f"{key}.origin.internal"
        assert origin["httpPort"] == PORTS[key]
        shared = origin["sharedPrivateLinkResource"]
        assert shared["privateLinkLocation"] == "eastus"
        assert shared["privateLink"]["id"].endswith(f"/privateLinkServices/platform-{stack}-origins")
    origin = p.named(ORIGIN, "front-door-web-green")
    assert link.urn in origin.property_dependencies["sharedPrivateLinkResource"]
    rules = {r["name"]: r for r in lb.inputs["loadBalancingRules"]}
    assert {name: r["frontendPort"] for name, r in rules.items()} == PORTS
    for name, rule in rules.items():
        assert rule["backendPort"] == 8080 and rule["protocol"] == "Tcp"
        assert rule["backendAddressPool"]["id"].endswith(
            f"/loadBalancers/platform-{stack}-origins/backendAddressPools/{name}"
        )
        assert rule["probe"]["id"].endswith("/probes/health")
    (probe,) = lb.inputs["probes"]
    assert (probe["protocol"], probe["port"], probe["requestPath"]) == ("Http", 8080, "/health")
    assert lb.inputs["sku"]["name"] == "Standard"
    (frontend,) = lb.inputs["frontendIPConfigurations"]
    assert frontend["subnet"]["id"].endswith("/subnets/app") and "publicIPAddress" not in frontend
    (nat,) = link.inputs["ipConfigurations"]
    assert nat["subnet"]["id"].endswith("/subnets/endpoints")
    assert link.inputs["loadBalancerFrontendIpConfigurations"][0]["id"].endswith("/frontendIPConfigurations/origins")
    assert lb.urn in link.property_dependencies["loadBalancerFrontendIpConfigurations"]


@pytest.mark.parametrize("stack", STACKS)
def test_outputs_name_the_origins_per_colour(plan, stack):
    p = azure_plan(plan, stack)
    ids = p.outputs["azure_target_group_ids"].value
    assert set(ids) == {"web", "api"}
    for tier, by_color in ids.items():
        assert set(by_color) == {"blue", "green"}
        for color, origin_id in by_color.items():
            assert origin_id.endswith(f"/profiles/platform-{stack}-edge/originGroups/{tier}/origins/{color}")
    assert p.outputs["azure_public_subnet_ids"].value == []  # Front Door runs at Microsoft's edge


def test_probe_path_and_port_follow_config(plan):
    p = azure_plan(plan, "dev", "compute.healthPath=/healthz", "compute.appPort=8443")
    lb = only(p, FRONT_DOOR, LB)
    (probe,) = lb.inputs["probes"]
    assert (probe["port"], probe["requestPath"]) == (8443, "/healthz")
    assert {r["backendPort"] for r in lb.inputs["loadBalancingRules"]} == {8443}
    for group in named(p, FRONT_DOOR, "azure-native:cdn:AFDOriginGroup").values():
        assert group.inputs["healthProbeSettings"]["probePath"] == "/healthz"


@pytest.mark.parametrize(
    ("overrides", "threshold", "minutes"),
    [
        ((), 1000, 1),  # SPEC.md: 1000 requests per 60 s
        (("app.rateLimitRequests=100", "app.rateLimitWindow=30000"), 200, 1),  # the rate kept over Front Door's minute
        (("app.rateLimitRequests=50", "app.rateLimitWindow=120000"), 125, 5),  # rounded up, never laxer than the app
        (("app.rateLimitRequests=600", "app.rateLimitWindow=600000"), 300, 5),  # longer than 5 min: scaled down to 5
    ],
)
def test_the_waf_limits_each_client_ip_at_the_application_rate(plan, overrides, threshold, minutes):
    waf = only(azure_plan(plan, "dev", *overrides), FRONT_DOOR, "azure-native:frontdoor:Policy")
    (rule,) = waf.inputs["customRules"]["rules"]
    assert rule["ruleType"] == "RateLimitRule" and rule["action"] == "Block" and rule["enabledState"] == "Enabled"
    assert (rule["rateLimitThreshold"], rule["rateLimitDurationInMinutes"]) == (threshold, minutes)
    assert rule["groupBy"] == [{"variableName": "SocketAddr"}]
    # Every request carries a Host header, so every request counts.
    assert rule["matchConditions"] == [
        {"matchVariable": "RequestHeader", "selector": "Host", "operator": "GreaterThan", "matchValue": ["0"]}
    ]
