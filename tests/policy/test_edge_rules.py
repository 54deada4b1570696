"""load-balancer-waf-and-access-logs: a WAF in front of and access logs on every public load balancer, on AWS
(association as a separate resource), GCP (every external backend service) and Azure (Application Gateway,
Front Door Premium)."""

from __future__ import annotations

from typing import Any

import pytest
from pulumi_policy.proxy import unknown_checking_proxy

from policies.rules import edge

from .support import check, check_stack, resource

UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"  # what the engine sends for a string unknown at preview
ALB = "aws:lb/loadBalancer:LoadBalancer"
ASSOCIATION = "aws:wafv2/webAclAssociation:WebAclAssociation"
LOGS = {"accessLogs": {"bucket": "platform-prod-lb-logs", "enabled": True}}
ALB_ARN = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/platform-prod/50dc6c495c0c9188"
NO_WAF = "alb: no WAFv2 web ACL is associated with it (aws:wafv2/webAclAssociation:WebAclAssociation whose "
NO_WAF += "resourceArn is the load balancer)."
NO_LOGS = "alb: access logs are off (accessLogs.enabled with a bucket)."


def rule(*resources: Any) -> list[str]:
    return check_stack(edge.load_balancer_waf_and_access_logs, list(resources))


def test_alb_with_a_waf_association_by_reference_and_access_logs() -> None:
    alb = resource(ALB, "alb", {"loadBalancerType": "application", "internal": False, **LOGS})
    association = resource(
        ASSOCIATION, "waf", {"resourceArn": ALB_ARN, "webAclArn": "arn:aws:wafv2:x"}, resourceArn=alb
    )
    assert rule(alb, association) == []
    assert rule(alb) == [NO_WAF]


def test_alb_association_by_arn_and_every_way_logs_can_be_off() -> None:
    alb = resource(ALB, "alb", {"name": "platform-prod", **LOGS})  # type defaults to application
    association = resource(ASSOCIATION, "waf", {"resourceArn": ALB_ARN})
    assert rule(alb, association) == []
    other = resource(ASSOCIATION, "waf", {"resourceArn": ALB_ARN.replace("platform-prod", "platform-dev")})
    assert rule(alb, other) == [NO_WAF]
    for logs in ({}, {"accessLogs": {"bucket": "b"}}, {"accessLogs": {"bucket": "b", "enabled": False}}):
        assert rule(resource("aws:alb/loadBalancer:LoadBalancer", "alb", logs), association) == [NO_WAF, NO_LOGS]


def test_internal_and_gateway_load_balancers_are_not_public() -> None:
    assert rule(resource(ALB, "alb", {"internal": True})) == []
    assert rule(resource(ALB, "alb", {"loadBalancerType": "gateway"})) == []


@pytest.mark.parametrize(
    ("type_", "props", "kind"),
    [(ALB, {"loadBalancerType": "network"}, "network"), ("aws:elb/loadBalancer:LoadBalancer", {}, "classic")],
)
def test_public_load_balancers_that_cannot_carry_a_waf(type_: str, props: dict[str, Any], kind: str) -> None:
    assert rule(resource(type_, "lb", {**props, **LOGS})) == [
        f"lb: an internet-facing {kind} load balancer cannot carry a WAF; serve the internet through an ALB."
    ]


def test_a_subject_unknown_at_preview_is_skipped_alone() -> None:
    unknown = resource(ALB, "unknown", unknown_checking_proxy({"loadBalancerType": UNKNOWN}))
    assert rule(unknown, resource(ALB, "alb", LOGS)) == [NO_WAF]


def test_association_unknown_at_preview_is_matched_by_dependency() -> None:
    alb = resource(ALB, "alb", unknown_checking_proxy({"accessLogs": {"bucket": UNKNOWN, "enabled": True}}))
    association = resource(ASSOCIATION, "waf", unknown_checking_proxy({"resourceArn": UNKNOWN}), resourceArn=alb)
    assert rule(alb, association) == []
    assert rule(alb, resource(ASSOCIATION, "waf", unknown_checking_proxy({"resourceArn": UNKNOWN}))) == [NO_WAF]


BACKEND = "gcp:compute/backendService:BackendService"
ARMORED = {"securityPolicy": "projects/p/global/securityPolicies/edge", "logConfig": {"enable": True}}


@pytest.mark.parametrize("scheme", [None, "EXTERNAL", "EXTERNAL_MANAGED"])
def test_every_external_backend_service_has_cloud_armor_and_logs(scheme: str | None) -> None:
    base = {"loadBalancingScheme": scheme} if scheme else {}
    assert check(edge.load_balancer_waf_and_access_logs, BACKEND, {**base, **ARMORED}) == []
    assert check(edge.load_balancer_waf_and_access_logs, BACKEND, {**base, "logConfig": {"enable": True}}) == [
        "r: no Cloud Armor security policy (securityPolicy)."
    ]
    for logs in ({}, {"enable": False}, {"enable": True, "sampleRate": 0}):
        props = {**base, "securityPolicy": ARMORED["securityPolicy"], "logConfig": logs}
        assert check(edge.load_balancer_waf_and_access_logs, BACKEND, props) == [
            "r: request logging is off (logConfig.enable with a sampleRate above 0)."
        ]


def test_regional_backend_services_external_only() -> None:
    regional = "gcp:compute/regionBackendService:RegionBackendService"
    assert check(edge.load_balancer_waf_and_access_logs, regional, {}) == []  # INTERNAL by default
    assert check(edge.load_balancer_waf_and_access_logs, BACKEND, {"loadBalancingScheme": "INTERNAL_MANAGED"}) == []
    assert (
        len(check(edge.load_balancer_waf_and_access_logs, regional, {"loadBalancingScheme": "EXTERNAL_MANAGED"})) == 2
    )


GROUP = "/subscriptions/0/resourceGroups/platform-prod/providers"
GATEWAY = "azure-native:network:ApplicationGateway"
GATEWAY_ID = f"{GROUP}/Microsoft.Network/applicationGateways/platform-prod-gateway"
WAF_ID = f"{GROUP}/Microsoft.Network/ApplicationGatewayWebApplicationFirewallPolicies/platform-prod-waf"
WORKSPACE = f"{GROUP}/Microsoft.OperationalInsights/workspaces/platform-prod-app"
PUBLIC_FRONTEND = [{"name": "public", "publicIPAddress": {"id": f"{GROUP}/Microsoft.Network/publicIPAddresses/ip"}}]
NAMES = {"resourceGroupName": "platform-prod"}


def gateway(**props: Any) -> Any:
    inputs = {**NAMES, "applicationGatewayName": "platform-prod-gateway", "frontendIPConfigurations": PUBLIC_FRONTEND}
    return resource(GATEWAY, "gateway", {**inputs, **props})


def waf_policy(mode: str = "Prevention", state: str = "Enabled") -> Any:
    settings = {"policySettings": {"mode": mode, "state": state}}
    return resource(
        "azure-native:network:WebApplicationFirewallPolicy",
        "waf",
        {**NAMES, "policyName": "platform-prod-waf", **settings},
    )


def diagnostics(target: str, logs: list[dict[str, Any]], **destination: str) -> Any:
    props = {"resourceUri": target, "logs": logs, **(destination or {"workspaceId": WORKSPACE})}
    return resource("azure-native:monitor:DiagnosticSetting", "diagnostics", props)


ALL_LOGS = [{"categoryGroup": "allLogs", "enabled": True}]


def test_application_gateway_with_an_enforcing_waf_policy_and_access_logs() -> None:
    assert rule(gateway(firewallPolicy={"id": WAF_ID}), waf_policy(), diagnostics(GATEWAY_ID, ALL_LOGS)) == []
    access_log = [{"category": "ApplicationGatewayAccessLog", "enabled": True}]
    assert rule(gateway(firewallPolicy={"id": WAF_ID}), diagnostics(GATEWAY_ID, access_log, storageAccountId="s")) == []
    listeners = [{"name": "https", "firewallPolicy": {"id": WAF_ID}}]
    assert rule(gateway(httpListeners=listeners), waf_policy(), diagnostics(GATEWAY_ID, ALL_LOGS)) == []
    legacy = {"enabled": True, "firewallMode": "Prevention", "ruleSetType": "OWASP", "ruleSetVersion": "3.2"}
    assert rule(gateway(webApplicationFirewallConfiguration=legacy), diagnostics(GATEWAY_ID, ALL_LOGS)) == []


NO_LOG = "gateway: no diagnostic setting sends its ApplicationGatewayAccessLog (or allLogs) to a workspace, storage "
NO_LOG += "or event hub."


@pytest.mark.parametrize(
    ("resources", "expected"),
    [
        ([gateway()], ["gateway: no WAF policy (firewallPolicy on the WAF_v2 gateway or on each listener).", NO_LOG]),
        (
            [gateway(httpListeners=[{"name": "a", "firewallPolicy": {"id": WAF_ID}}, {"name": "b"}])],
            ["gateway: no WAF policy (firewallPolicy on the WAF_v2 gateway or on each listener).", NO_LOG],
        ),
        (
            [gateway(webApplicationFirewallConfiguration={"enabled": True, "firewallMode": "Detection"})],
            ["gateway: no WAF policy (firewallPolicy on the WAF_v2 gateway or on each listener).", NO_LOG],
        ),
        (
            [gateway(firewallPolicy={"id": WAF_ID}), waf_policy(mode="Detection"), diagnostics(GATEWAY_ID, ALL_LOGS)],
            ["gateway: its WAF policy waf is not enabled in Prevention mode."],
        ),
        (
            [gateway(firewallPolicy={"id": WAF_ID}), waf_policy(state="Disabled"), diagnostics(GATEWAY_ID, ALL_LOGS)],
            ["gateway: its WAF policy waf is not enabled in Prevention mode."],
        ),
        (
            [
                gateway(firewallPolicy={"id": WAF_ID}),
                diagnostics(GATEWAY_ID, [{"category": "ApplicationGatewayFirewallLog", "enabled": True}]),
            ],
            [NO_LOG],
        ),
        (
            [
                gateway(firewallPolicy={"id": WAF_ID}),
                diagnostics(GATEWAY_ID, [{"categoryGroup": "allLogs", "enabled": False}]),
            ],
            [NO_LOG],
        ),
        (
            [gateway(firewallPolicy={"id": WAF_ID}), diagnostics(GATEWAY_ID.replace("gateway", "other"), ALL_LOGS)],
            [NO_LOG],
        ),
        ([gateway(firewallPolicy={"id": WAF_ID}), diagnostics(GATEWAY_ID, ALL_LOGS, workspaceId="")], [NO_LOG]),
    ],
)
def test_application_gateway_breaches(resources: list[Any], expected: list[str]) -> None:
    assert rule(*resources) == expected


def test_private_application_gateway_is_not_checked() -> None:
    private = [{"name": "private", "privateIPAddress": "10.0.1.10", "subnet": {"id": "s"}}]
    assert rule(resource(GATEWAY, "gateway", {**NAMES, "frontendIPConfigurations": private})) == []


def test_waf_policy_attached_by_dependency_while_its_id_is_unknown() -> None:
    policy = waf_policy(mode="Detection")
    unknown = unknown_checking_proxy(
        {**NAMES, "frontendIPConfigurations": PUBLIC_FRONTEND, "firewallPolicy": {"id": UNKNOWN}}
    )
    gw = resource(GATEWAY, "gateway", unknown, firewallPolicy=policy)
    setting = resource(
        "azure-native:monitor:DiagnosticSetting", "d", {"logs": ALL_LOGS, "workspaceId": WORKSPACE}, resourceUri=gw
    )
    assert rule(gw, policy, setting) == ["gateway: its WAF policy waf is not enabled in Prevention mode."]


PROFILE = "azure-native:cdn:Profile"
PROFILE_ID = f"{GROUP}/Microsoft.Cdn/profiles/platform-prod-edge"
FD_WAF_ID = f"{GROUP}/Microsoft.Network/FrontDoorWebApplicationFirewallPolicies/platformprodwaf"


def front_door(sku: str = "Premium_AzureFrontDoor") -> Any:
    return resource(PROFILE, "edge", {**NAMES, "profileName": "platform-prod-edge", "sku": {"name": sku}})


def security_policy(
    waf_id: str | None = FD_WAF_ID, kind: str = "WebApplicationFirewall", profile: str = "platform-prod-edge"
) -> Any:
    parameters: dict[str, Any] = {"type": kind, "associations": [{"patternsToMatch": ["/*"]}]}
    if waf_id:
        parameters["wafPolicy"] = {"id": waf_id}
    return resource(
        "azure-native:cdn:SecurityPolicy", "waf", {**NAMES, "profileName": profile, "parameters": parameters}
    )


def front_door_waf(mode: str = "Prevention", enabled: str = "Enabled") -> Any:
    props = {**NAMES, "policyName": "platformprodwaf", "policySettings": {"mode": mode, "enabledState": enabled}}
    return resource("azure-native:frontdoor:Policy", "fd-waf", props)


FD_LOGS = [{"category": "FrontDoorAccessLog", "enabled": True}]


def test_front_door_premium_with_a_waf_security_policy_and_access_logs() -> None:
    assert rule(front_door(), security_policy(), front_door_waf(), diagnostics(PROFILE_ID, FD_LOGS)) == []
    assert (
        rule(front_door(), security_policy(), diagnostics(PROFILE_ID, ALL_LOGS, eventHubAuthorizationRuleId="e")) == []
    )


NO_SECURITY = "edge: no azure-native:cdn:SecurityPolicy of type WebApplicationFirewall with a wafPolicy."
NO_FD_LOG = (
    "edge: no diagnostic setting sends its FrontDoorAccessLog (or allLogs) to a workspace, storage or event hub."
)


@pytest.mark.parametrize(
    ("resources", "expected"),
    [
        ([front_door()], [NO_SECURITY, NO_FD_LOG]),
        ([front_door(), security_policy(waf_id=None), diagnostics(PROFILE_ID, FD_LOGS)], [NO_SECURITY]),
        ([front_door(), security_policy(profile="other"), diagnostics(PROFILE_ID, FD_LOGS)], [NO_SECURITY]),
        (
            [front_door(), security_policy(), front_door_waf(mode="Detection"), diagnostics(PROFILE_ID, FD_LOGS)],
            ["edge: its WAF policy fd-waf is not enabled in Prevention mode."],
        ),
        (
            [front_door(), security_policy(), front_door_waf(enabled="Disabled"), diagnostics(PROFILE_ID, FD_LOGS)],
            ["edge: its WAF policy fd-waf is not enabled in Prevention mode."],
        ),
        (
            [front_door("Standard_AzureFrontDoor"), security_policy(), diagnostics(PROFILE_ID, FD_LOGS)],
            ["edge: sku Standard_AzureFrontDoor: Front Door's managed WAF rule sets need Premium_AzureFrontDoor."],
        ),
        (
            [
                front_door(),
                security_policy(),
                diagnostics(PROFILE_ID, [{"category": "FrontDoorHealthProbeLog", "enabled": True}]),
            ],
            [NO_FD_LOG],
        ),
    ],
)
def test_front_door_breaches(resources: list[Any], expected: list[str]) -> None:
    assert rule(*resources) == expected


def test_cdn_profiles_that_are_not_front_door_are_not_load_balancers() -> None:
    assert rule(resource(PROFILE, "cdn", {"sku": {"name": "Standard_Microsoft"}})) == []
