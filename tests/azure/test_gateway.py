"""Application Gateway: WAF_v2 with a Prevention WAF policy, TLS policy, redirect, path routing to the live colour."""

from __future__ import annotations

import re

import pytest

from components.config import ConfigError
from infractl.mocks import AZURE_SUBSCRIPTION
from tests.azure.support import azure_plan, only
from tests.conftest import STACKS

GATEWAY = "platform:azure:Gateway"
APP_GATEWAY = "azure-native:network:ApplicationGateway"
POOLS = {"web-blue", "web-green", "api-blue", "api-green"}
CAPACITY = {"dev": (1, 2), "staging": (1, 2), "prod": (2, 10)}


def gateway_id(stack: str) -> str:
    return (
        f"/subscriptions/{AZURE_SUBSCRIPTION}/resourceGroups/platform-{stack}"
        f"/providers/Microsoft.Network/applicationGateways/platform-{stack}-gateway"
    )


def gateway(p) -> dict:
    return only(p, GATEWAY, APP_GATEWAY).inputs


def by_name(items: list[dict]) -> dict[str, dict]:
    return {item["name"]: item for item in items}


def part(inputs: dict, ref: dict, stack: str) -> tuple[str, dict]:
    """The gateway part a sub-resource reference points at, as (collection, the part's inputs)."""
    match = re.fullmatch(re.escape(gateway_id(stack)) + r"/(\w+)/([\w-]+)", ref["id"])
    assert match, ref["id"]
    collection, name = match.groups()
    return collection, by_name(inputs[collection])[name]


def routed_pools(inputs: dict, stack: str) -> dict[str, str]:
    """Which pool each route sends to: ``{"default": "web-blue", "api": "api-blue"}``."""
    (routes,) = inputs["urlPathMaps"]
    (api,) = routes["pathRules"]
    return {
        "default": part(inputs, routes["defaultBackendAddressPool"], stack)[1]["name"],
        api["name"]: part(inputs, api["backendAddressPool"], stack)[1]["name"],
    }


@pytest.mark.parametrize("stack", STACKS)
def test_waf_v2_autoscaling_across_zones_with_the_waf_policy(plan, stack):
    p = azure_plan(plan, stack)
    app_gateway = only(p, GATEWAY, APP_GATEWAY)
    inputs = app_gateway.inputs
    assert inputs["applicationGatewayName"] == f"platform-{stack}-gateway"
    assert inputs["sku"] == {"name": "WAF_v2", "tier": "WAF_v2"}
    low, high = CAPACITY[stack]
    assert inputs["autoscaleConfiguration"] == {"minCapacity": low, "maxCapacity": high}
    assert "capacity" not in inputs["sku"]  # autoscale, not a fixed instance count
    assert inputs["zones"] == ["1", "2", "3"]
    assert inputs["enableHttp2"] is True
    waf = only(p, GATEWAY, "azure-native:network:WebApplicationFirewallPolicy")
    assert app_gateway.property_dependencies["firewallPolicy"] == [waf.urn]
    assert inputs["forceFirewallPolicyAssociation"] is True
    subnet = p.named("azure-native:network:Subnet", "network-gateway")
    (ip_config,) = inputs["gatewayIPConfigurations"]
    assert ip_config["subnet"]["id"].endswith("/subnets/gateway")
    assert app_gateway.property_dependencies["gatewayIPConfigurations"] == [subnet.urn]


@pytest.mark.parametrize("stack", STACKS)
def test_waf_policy_blocks_with_managed_rule_sets(plan, stack):
    waf = only(azure_plan(plan, stack), GATEWAY, "azure-native:network:WebApplicationFirewallPolicy").inputs
    settings = waf["policySettings"]
    assert settings["state"] == "Enabled" and settings["mode"] == "Prevention"
    assert settings["requestBodyCheck"] is True and settings["requestBodyEnforcement"] is True
    rule_sets = {r["ruleSetType"]: r["ruleSetVersion"] for r in waf["managedRules"]["managedRuleSets"]}
    assert rule_sets == {"Microsoft_DefaultRuleSet": "2.1", "Microsoft_BotManagerRuleSet": "1.0"}
    assert waf["tags"]["service"] == "load-balancer" and waf["tags"]["environment"] == stack


@pytest.mark.parametrize("stack", STACKS)
def test_standard_static_zonal_public_ip_is_the_only_frontend(plan, stack):
    p = azure_plan(plan, stack)
    ip = only(p, GATEWAY, "azure-native:network:PublicIPAddress")
    assert ip.inputs["sku"] == {"name": "Standard", "tier": "Regional"}
    assert ip.inputs["publicIPAllocationMethod"] == "Static"
    assert ip.inputs["zones"] == ["1", "2", "3"]
    assert ip.inputs["dnsSettings"] == {"domainNameLabel": f"platform-{stack}"}
    app_gateway = only(p, GATEWAY, APP_GATEWAY)
    (frontend,) = app_gateway.inputs["frontendIPConfigurations"]
    assert "subnet" not in frontend and "privateIPAddress" not in frontend
    assert app_gateway.property_dependencies["frontendIPConfigurations"] == [ip.urn]
    assert p.outputs["azure_load_balancer_dns_name"].value == f"platform-{stack}.cloudapp.azure.com"


@pytest.mark.parametrize("stack", STACKS)
def test_https_on_443_with_the_key_vault_certificate_through_the_identity(plan, stack):
    p = azure_plan(plan, stack)
    app_gateway = only(p, GATEWAY, APP_GATEWAY)
    inputs = app_gateway.inputs
    listener = by_name(inputs["httpListeners"])["https"]
    assert listener["protocol"] == "Https"
    assert part(inputs, listener["frontendPort"], stack)[1]["port"] == 443
    assert part(inputs, listener["frontendIPConfiguration"], stack)[1]["name"] == "public"
    collection, certificate = part(inputs, listener["sslCertificate"], stack)
    assert collection == "sslCertificates"
    assert certificate["keyVaultSecretId"] == "https://platform-certificates.vault.azure.net/secrets/platform-tls"
    assert "data" not in certificate and "password" not in certificate  # nothing of the key in state
    identity = p.named("azure-native:managedidentity:UserAssignedIdentity", "keys-identity")
    assert inputs["identity"]["type"] == "UserAssigned"
    assert len(inputs["identity"]["userAssignedIdentities"]) == 1
    assert app_gateway.property_dependencies["identity"] == [identity.urn]


@pytest.mark.parametrize("stack", STACKS)
def test_tls_policy_is_tls_12_minimum_with_13(plan, stack):
    assert gateway(azure_plan(plan, stack))["sslPolicy"] == {
        "policyType": "Predefined",
        "policyName": "AppGwSslPolicy20220101S",
    }


def test_tls_policy_follows_config(plan):
    p = azure_plan(plan, "prod", "azure.tlsPolicy=AppGwSslPolicy20220101")
    assert gateway(p)["sslPolicy"] == {"policyType": "Predefined", "policyName": "AppGwSslPolicy20220101"}
    p = azure_plan(plan, "prod", "security.minTlsVersion=1.3")
    assert gateway(p)["sslPolicy"] == {"policyType": "CustomV2", "minProtocolVersion": "TLSv1_3"}


def test_tls_policy_without_tls_13_is_refused(plan):
    with pytest.raises(ConfigError) as error:
        azure_plan(plan, "dev", "azure.tlsPolicy=AppGwSslPolicy20170401S")
    assert 'platform:azure.tlsPolicy = "AppGwSslPolicy20170401S": String should match pattern' in str(error.value)


@pytest.mark.parametrize("stack", STACKS)
def test_http_on_80_only_redirects_permanently_to_https(plan, stack):
    inputs = gateway(azure_plan(plan, stack))
    listener = by_name(inputs["httpListeners"])["http"]
    assert listener["protocol"] == "Http" and "sslCertificate" not in listener
    assert part(inputs, listener["frontendPort"], stack)[1]["port"] == 80
    rules = by_name(inputs["requestRoutingRules"])
    (http_rule,) = [r for r in rules.values() if part(inputs, r["httpListener"], stack)[1]["name"] == "http"]
    assert http_rule["ruleType"] == "Basic"
    assert "backendAddressPool" not in http_rule and "urlPathMap" not in http_rule
    _, redirect = part(inputs, http_rule["redirectConfiguration"], stack)
    assert redirect["redirectType"] == "Permanent"
    assert part(inputs, redirect["targetListener"], stack)[1]["name"] == "https"
    assert redirect["includePath"] is True and redirect["includeQueryString"] is True


@pytest.mark.parametrize("stack", STACKS)
def test_https_routes_api_paths_to_api_and_the_rest_to_web(plan, stack):
    inputs = gateway(azure_plan(plan, stack))
    rules = inputs["requestRoutingRules"]
    (https_rule,) = [r for r in rules if part(inputs, r["httpListener"], stack)[1]["name"] == "https"]
    assert https_rule["ruleType"] == "PathBasedRouting"
    _, routes = part(inputs, https_rule["urlPathMap"], stack)
    (api,) = routes["pathRules"]
    assert api["paths"] == ["/api/*"]
    assert part(inputs, api["backendHttpSettings"], stack)[1]["name"] == "api"
    assert part(inputs, routes["defaultBackendHttpSettings"], stack)[1]["name"] == "web"
    assert routed_pools(inputs, stack) == {"default": "web-blue", "api": "api-blue"}
    priorities = [r["priority"] for r in inputs["requestRoutingRules"]]
    assert len(set(priorities)) == len(priorities)  # v2 requires distinct rule priorities


@pytest.mark.parametrize(
    ("overrides", "live", "weights"),
    [
        ((), "blue", {"blue": "100", "green": "0"}),
        (("blueGreen.activeColor=green",), "green", {"blue": "0", "green": "100"}),
        (("blueGreen.canaryWeight=25",), "blue", {"blue": "75", "green": "25"}),
        (("blueGreen.canaryWeight=50",), "blue", {"blue": "50", "green": "50"}),  # a tie keeps the active colour
        (("blueGreen.canaryWeight=75",), "green", {"blue": "25", "green": "75"}),
        (("blueGreen.activeColor=green", "blueGreen.canaryWeight=10"), "green", {"blue": "10", "green": "90"}),
    ],
)
def test_both_routes_send_everything_to_the_dominant_weight(plan, overrides, live, weights):
    p = azure_plan(plan, "prod", *overrides)
    inputs = gateway(p)
    assert routed_pools(inputs, "prod") == {"default": f"web-{live}", "api": f"api-{live}"}
    assert inputs["tags"]["live-color"] == live
    assert {c: inputs["tags"][f"weight-{c}"] for c in ("blue", "green")} == weights
    assert p.outputs["traffic_weights"].value == {c: int(w) for c, w in weights.items()}


@pytest.mark.parametrize("stack", STACKS)
def test_blue_and_green_pools_behind_health_probed_backend_settings(plan, stack):
    inputs = gateway(azure_plan(plan, stack))
    assert {pool["name"] for pool in inputs["backendAddressPools"]} == POOLS
    probes = by_name(inputs["probes"])
    assert set(probes) == {"web", "api"}
    for tier, settings in by_name(inputs["backendHttpSettingsCollection"]).items():
        assert settings["protocol"] == "Http" and settings["port"] == 8080
        assert settings["cookieBasedAffinity"] == "Disabled"
        assert settings["requestTimeout"] == 30  # app.databaseTimeout (ms) in seconds
        assert settings["connectionDraining"] == {"enabled": True, "drainTimeoutInSec": 30}
        _, probe = part(inputs, settings["probe"], stack)
        assert probe["name"] == tier
        assert probe["path"] == "/health" and probe["protocol"] == "Http"
        assert probe["match"] == {"statusCodes": ["200"]}
        assert probe["interval"] * probe["unhealthyThreshold"] <= 120  # a dead backend leaves inside SPEC's 2 min


def test_probe_path_and_draining_follow_config(plan):
    inputs = gateway(
        azure_plan(plan, "staging", "compute.healthPath=/healthz", "blueGreen.deregistrationDelaySeconds=0")
    )
    assert {probe["path"] for probe in inputs["probes"]} == {"/healthz"}
    assert all(not s["connectionDraining"]["enabled"] for s in inputs["backendHttpSettingsCollection"])


@pytest.mark.parametrize("stack", STACKS)
def test_every_part_reference_resolves_inside_the_gateway(plan, stack):
    inputs = gateway(azure_plan(plan, stack))
    refs = re.findall(r"'id': '(" + re.escape(gateway_id(stack)) + r"/[^']+)'", str(inputs))
    assert len(refs) >= 15
    for ref in refs:
        part(inputs, {"id": ref}, stack)  # raises if the named part does not exist


@pytest.mark.parametrize("stack", STACKS)
def test_outputs_name_the_gateways_parts(plan, stack):
    p = azure_plan(plan, stack)
    inputs = gateway(p)
    out = {name: o.value for name, o in p.outputs.items()}
    assert {tier: set(colors) for tier, colors in out["azure_target_group_ids"].items()} == {
        "web": {"blue", "green"},
        "api": {"blue", "green"},
    }
    for tier, colors in out["azure_target_group_ids"].items():
        for color, pool_id in colors.items():
            assert part(inputs, {"id": pool_id}, stack) == ("backendAddressPools", {"name": f"{tier}-{color}"})
    assert part(inputs, {"id": out["azure_https_listener_id"]}, stack)[1]["protocol"] == "Https"
    (routes,) = inputs["urlPathMaps"]
    assert out["azure_api_listener_rule_id"] == f"{gateway_id(stack)}/urlPathMaps/{routes['name']}/pathRules/api"
