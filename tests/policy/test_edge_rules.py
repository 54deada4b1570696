"""load-balancer-waf-and-access-logs: a WAF that enforces in front of, and access logs on, every public load
balancer: on AWS (association as a separate resource; the web ACL blocks), GCP (every external backend service;
Cloud Armor denies, not in preview) and Azure (Application Gateway, Front Door Premium; Prevention mode)."""

from __future__ import annotations

import json
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


WEB_ACL = "aws:wafv2/webAcl:WebAcl"
ACL_ARN = "arn:aws:wafv2:us-east-1:123456789012:regional/webacl/platform-prod-web-acl/211bed30"


def managed(name: str, override: str = "none") -> dict[str, Any]:
    statement = {"managedRuleGroupStatement": {"name": name, "vendorName": "AWS"}}
    return {"name": name, "priority": 0, "overrideAction": {override: {}}, "statement": statement}


def custom(name: str, action: str) -> dict[str, Any]:
    statement = {"rateBasedStatement": {"limit": 1000, "aggregateKeyType": "IP"}}
    return {"name": name, "priority": 1, "action": {action: {}}, "statement": statement}


BLOCKING_RULES = [managed("AWSManagedRulesCommonRuleSet"), custom("rate-limit", "block")]


def web_acl(rules: list[dict[str, Any]] | None = None, **props: Any) -> Any:
    inputs = {"name": "platform-prod-web-acl", "scope": "REGIONAL", "defaultAction": {"allow": {}}, **props}
    return resource(WEB_ACL, "web-acl", {**inputs, **({"rules": rules} if rules is not None else {})})


def protected(acl: Any, *more: Any) -> list[str]:
    """The rule's verdict on a logged ALB whose association names ``acl`` by dependency."""
    alb = resource(ALB, "alb", LOGS)
    association = resource(
        ASSOCIATION, "waf", {"resourceArn": ALB_ARN, "webAclArn": ACL_ARN}, resourceArn=alb, webAclArn=acl
    )
    return rule(alb, association, acl, *more)


COUNTS = "alb: its web ACL web-acl counts instead of blocking with rule group {} (overrideAction count)."
NO_BLOCK = "alb: its web ACL web-acl has no rule that blocks (action block, captcha or challenge, or a rule group "
NO_BLOCK += "with overrideAction none)."


def test_a_web_acl_that_blocks_is_enforcing() -> None:
    assert protected(web_acl(BLOCKING_RULES)) == []
    assert protected(web_acl([managed("AWSManagedRulesSQLiRuleSet")])) == []
    assert protected(web_acl([custom("bots", "count"), custom("login", "captcha")])) == []


def test_a_web_acl_that_only_counts_is_reported() -> None:
    group_in_count = [managed("AWSManagedRulesCommonRuleSet", "count"), custom("rate-limit", "block")]
    assert protected(web_acl(group_in_count)) == [COUNTS.format("AWSManagedRulesCommonRuleSet")]
    every_rule_counts = [custom("rate-limit", "count"), custom("geo", "allow")]
    assert protected(web_acl(every_rule_counts)) == [NO_BLOCK]
    assert protected(web_acl([])) == [NO_BLOCK]


def test_an_allowlist_web_acl_enforces_by_its_default_action() -> None:
    allowlist = web_acl([custom("office", "allow")], defaultAction={"block": {}})
    assert protected(allowlist) == []
    counted = web_acl([managed("AWSManagedRulesCommonRuleSet", "count")], defaultAction={"block": {}})
    assert protected(counted) == [COUNTS.format("AWSManagedRulesCommonRuleSet")]


def test_rules_in_rule_json_are_read_as_aws_writes_them() -> None:
    enforcing = [{"Name": "common", "Priority": 0, "OverrideAction": {"None": {}}, "Statement": {}}]
    assert protected(web_acl(ruleJson=json.dumps(enforcing))) == []
    counting = [{"Name": "common", "Priority": 0, "OverrideAction": {"Count": {}}, "Statement": {}}]
    assert protected(web_acl(ruleJson=json.dumps(counting))) == [COUNTS.format("common")]
    assert protected(web_acl(ruleJson=json.dumps([{"Name": "rate", "Action": {"Count": {}}}]))) == [NO_BLOCK]


def test_rules_written_as_their_own_resources_naming_the_acl_by_arn() -> None:
    group = "aws:wafv2/webAclRuleGroupAssociation:WebAclRuleGroupAssociation"
    common = {"webAclArn": ACL_ARN, "ruleName": "common", "priority": 0, "managedRuleGroup": {"name": "x"}}
    assert protected(web_acl(), resource(group, "common", common)) == []  # overrideAction defaults to none
    counted = resource(group, "common", {**common, "overrideAction": "count"})
    assert protected(web_acl(), counted) == [COUNTS.format("common")]
    block = resource("aws:wafv2/webAclRule:WebAclRule", "rate", {"webAclArn": ACL_ARN, "action": {"block": {}}})
    assert protected(web_acl(), block) == []
    count = resource("aws:wafv2/webAclRule:WebAclRule", "rate", {"webAclArn": ACL_ARN, "action": {"count": {}}})
    assert protected(web_acl(), count) == [NO_BLOCK]
    elsewhere = {"webAclArn": ACL_ARN.replace("platform-prod-web-acl", "platform-dev-web-acl")}
    assert protected(web_acl(), resource(group, "common", {**common, **elsewhere})) == [NO_BLOCK]


def test_only_the_web_acl_associated_with_the_alb_is_judged() -> None:
    alb = resource(ALB, "alb", {"name": "platform-prod", **LOGS})
    by_arn = resource(ASSOCIATION, "waf", {"resourceArn": ALB_ARN, "webAclArn": ACL_ARN})
    assert rule(alb, by_arn, web_acl([custom("rate", "count")])) == [NO_BLOCK]
    other = resource(ASSOCIATION, "waf", {"resourceArn": ALB_ARN, "webAclArn": ACL_ARN.replace("-web-acl", "-api")})
    assert rule(alb, other, web_acl([custom("rate", "count")])) == []  # the ALB's web ACL is managed elsewhere


def test_rule_json_unknown_at_preview_is_judged_at_update() -> None:
    acl = resource(WEB_ACL, "web-acl", unknown_checking_proxy({"name": "platform-prod-web-acl", "ruleJson": UNKNOWN}))
    assert protected(acl) == []


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


ARMOR = "gcp:compute/securityPolicy:SecurityPolicy"
ARMOR_RULE = "gcp:compute/securityPolicyRule:SecurityPolicyRule"
EVERYONE = {"versionedExpr": "SRC_IPS_V1", "config": {"srcIpRanges": ["*"]}}
DEFAULT_ALLOW = {"priority": 2147483647, "action": "allow", "match": EVERYONE}
SQLI = {"expr": {"expression": "evaluatePreconfiguredWaf('sqli-v33-stable', {'sensitivity': 1})"}}
WAF_RULE = {"priority": 1000, "action": "deny(403)", "match": SQLI}
THROTTLE = {
    "priority": 2000,
    "action": "throttle",
    "match": EVERYONE,
    "rateLimitOptions": {"exceedAction": "deny(429)"},
}


def armor(rules: list[dict[str, Any]] | None = None, type_: str = ARMOR) -> Any:
    props = {"name": "platform-prod-edge", "type": "CLOUD_ARMOR", **({"rules": rules} if rules is not None else {})}
    return resource(type_, "edge", props)


def armored(policy: Any, *more: Any, reference: str | None = None, type_: str = BACKEND) -> list[str]:
    """The rule's verdict on a logged external backend service naming ``policy`` by ``reference`` (its name or a
    self link), or else by dependency alone (its self link unknown at preview)."""
    props = {"loadBalancingScheme": "EXTERNAL_MANAGED", "securityPolicy": reference or UNKNOWN}
    depends = {} if reference else {"securityPolicy": policy}
    backend = resource(type_, "web", unknown_checking_proxy({**props, "logConfig": {"enable": True}}), **depends)
    return rule(backend, policy, *more)


PREVIEW = "web: its Cloud Armor policy edge does not enforce its rules at priority {} (preview true)."
NO_DENY = "web: its Cloud Armor policy edge has no rule besides the default that denies, throttles, bans or redirects."


def test_a_cloud_armor_policy_that_denies_and_throttles_is_enforcing() -> None:
    assert armored(armor([WAF_RULE, THROTTLE, DEFAULT_ALLOW])) == []
    assert armored(armor([{**THROTTLE, "action": "rate_based_ban"}, {**DEFAULT_ALLOW, "preview": False}])) == []
    recaptcha = {"priority": 10, "action": "redirect", "redirectOptions": {"type": "GOOGLE_RECAPTCHA"}}
    assert armored(armor([recaptcha, {**DEFAULT_ALLOW, "preview": True}])) == []  # a previewed allow blocks nothing


def test_cloud_armor_rules_in_preview_or_none_that_deny_are_reported() -> None:
    assert armored(armor([{**WAF_RULE, "preview": True}, THROTTLE, DEFAULT_ALLOW])) == [PREVIEW.format(1000)]
    previewed = [{**WAF_RULE, "preview": True}, {**THROTTLE, "preview": "true"}, DEFAULT_ALLOW]
    assert armored(armor(previewed)) == [PREVIEW.format("1000, 2000")]
    assert armored(armor([DEFAULT_ALLOW]), reference="platform-prod-edge") == [NO_DENY]
    # An allowlist (the default rule denies) enforces; the same default in preview does not.
    allowlist = [{**WAF_RULE, "action": "allow"}, {**DEFAULT_ALLOW, "action": "deny(403)"}]
    assert armored(armor(allowlist)) == []
    previewed_default = [allowlist[0], {**allowlist[1], "preview": True}]
    assert armored(armor(previewed_default)) == [PREVIEW.format(2147483647), NO_DENY]
    assert armored(armor()) == [NO_DENY]  # GCP adds a default allow rule


def test_cloud_armor_rules_written_as_their_own_resources() -> None:
    policy = armor()
    by_name = resource(ARMOR_RULE, "sqli", {"securityPolicy": "platform-prod-edge", **WAF_RULE})
    self_link = "https://www.googleapis.com/compute/v1/projects/p/global/securityPolicies/platform-prod-edge"
    assert armored(policy, by_name, reference=self_link) == []
    assert armored(policy, reference=self_link) == [NO_DENY]
    in_preview = resource(
        ARMOR_RULE, "sqli", {**WAF_RULE, "securityPolicy": UNKNOWN, "preview": True}, securityPolicy=policy
    )
    assert armored(policy, in_preview) == [PREVIEW.format(1000)]
    other_policy = resource(ARMOR_RULE, "sqli", {"securityPolicy": "platform-prod-edge-2", **WAF_RULE})
    assert armored(policy, other_policy) == [NO_DENY]


def test_regional_cloud_armor_policies_and_rules() -> None:
    regional = armor(type_="gcp:compute/regionSecurityPolicy:RegionSecurityPolicy")
    previewed = resource(
        "gcp:compute/regionSecurityPolicyRule:RegionSecurityPolicyRule",
        "sqli",
        {"securityPolicy": "platform-prod-edge", "region": "europe-west1", **WAF_RULE, "preview": True},
    )
    reference = "projects/p/regions/europe-west1/securityPolicies/platform-prod-edge"
    backend = "gcp:compute/regionBackendService:RegionBackendService"
    assert armored(regional, previewed, reference=reference, type_=backend) == [PREVIEW.format(1000)]


def test_a_policy_the_backend_does_not_name_is_not_judged() -> None:
    props = {"securityPolicy": "projects/p/global/securityPolicies/platform-prod-edge-2", "logConfig": {"enable": True}}
    assert rule(resource(BACKEND, "web", props), armor([DEFAULT_ALLOW])) == []


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
