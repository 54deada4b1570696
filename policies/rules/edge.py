"""Public load balancers (prod): a web application firewall that enforces in front of them, and their access logs
on."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from pulumi_policy import PolicyResource, ReportViolation, StackValidationArgs

from .base import Params, dig, items, number, stack_rule, truthy
from .links import given, known, names, names_arm, of_types, report_each, same_parent

AWS_LOAD_BALANCERS = ("aws:lb/loadBalancer:LoadBalancer", "aws:alb/loadBalancer:LoadBalancer")
CLASSIC_LOAD_BALANCER = "aws:elb/loadBalancer:LoadBalancer"
WAF_ASSOCIATION = "aws:wafv2/webAclAssociation:WebAclAssociation"
WEB_ACL = "aws:wafv2/webAcl:WebAcl"
# Rules of a web ACL written as their own resources: a rule (action or overrideAction, as inline) and a rule
# group reference (overrideAction a string, none by default).
WEB_ACL_RULE = "aws:wafv2/webAclRule:WebAclRule"
WEB_ACL_RULE_GROUP = "aws:wafv2/webAclRuleGroupAssociation:WebAclRuleGroupAssociation"
BLOCKING_ACTIONS = frozenset({"block", "captcha", "challenge"})


def _arn_names(resource: PolicyResource, key: str, target: PolicyResource, part: str) -> bool:
    """Whether the ARN at ``key`` is ``target``'s: by dependency, or holding ``part`` filled with its name."""
    name = known(target.props, "name")
    return names(resource, key, target) or bool(name and part.format(name) in str(known(resource.props, key)))


def _field(rule: Mapping[str, Any], key: str) -> Any:
    """A rule's field as the provider writes it (``overrideAction``) or as ``ruleJson`` does (AWS's
    ``OverrideAction``)."""
    return rule[key] if key in rule else rule.get(key[0].upper() + key[1:])


def _kinds(action: Any) -> set[str]:
    """An action's kinds, lower case: the key of ``{"block": {}}`` / ``{"Count": {}}``, or a string."""
    if isinstance(action, Mapping):
        return {str(kind).lower() for kind in action}
    return {action.lower()} if isinstance(action, str) else set()


def _acl_rules(acl: PolicyResource, resources: Sequence[PolicyResource]) -> list[tuple[str, set[str], set[str]]]:
    """Each rule of a web ACL (inline, in ``ruleJson``, or a resource naming the ACL): its name, its action's
    kinds and its overrideAction's kinds (only a rule group reference has one)."""
    written = known(acl.props, "ruleJson")
    try:
        parsed = json.loads(written) if isinstance(written, str) else []
    except ValueError:
        parsed = []
    inline = [*items(acl.props, "rules"), *(r for r in parsed if isinstance(r, Mapping))]
    found = [(str(_field(r, "name")), _kinds(_field(r, "action")), _kinds(_field(r, "overrideAction"))) for r in inline]
    for r in of_types(resources, [WEB_ACL_RULE, WEB_ACL_RULE_GROUP]):
        if _arn_names(r, "webAclArn", acl, "/webacl/{}/"):
            if r.resource_type == WEB_ACL_RULE:
                override = _kinds(r.props.get("overrideAction"))
                found.append((str(r.props.get("name") or r.name), _kinds(r.props.get("action")), override))
            else:
                override = _kinds(r.props.get("overrideAction") or "none")
                found.append((str(r.props.get("ruleName") or r.name), set(), override))
    return found


def _web_acl_blocks(acl: PolicyResource, resources: Sequence[PolicyResource]) -> Iterator[str]:
    """A web ACL of this stack must block: no rule group reference overridden to count (its rules then only
    count), and some rule that blocks (action block, captcha or challenge, or a rule group) or a default action
    that blocks (an allowlist). Rules in
    ``ruleJson`` unknown at preview are judged at update."""
    if given(acl.props, "ruleJson") and known(acl.props, "ruleJson") is None:
        return
    rules = _acl_rules(acl, resources)
    counted = [name for name, _, override in rules if "count" in override]
    if counted:
        groups = ", ".join(counted)
        yield f"its web ACL {acl.name} counts instead of blocking with rule group {groups} (overrideAction count)"
    allowlist = "block" in _kinds(acl.props.get("defaultAction"))  # blocks all that no rule allows
    if not allowlist and not any(action & BLOCKING_ACTIONS or override for _, action, override in rules):
        yield (
            f"its web ACL {acl.name} has no rule that blocks (action block, captcha or challenge, or a rule group "
            "with overrideAction none)"
        )


def _aws(
    lb: PolicyResource, associations: Sequence[PolicyResource], resources: Sequence[PolicyResource]
) -> Iterator[str]:
    """An internet-facing ALB: a WAFv2 web ACL associated with it (a separate resource naming its ARN) that
    blocks, and access logs enabled with a bucket. Network and classic load balancers cannot carry a WAF."""
    kind = "classic" if lb.resource_type == CLASSIC_LOAD_BALANCER else str(lb.props.get("loadBalancerType") or "")
    if truthy(lb.props.get("internal")) or kind == "gateway":
        return
    if kind not in ("", "application"):
        yield f"an internet-facing {kind} load balancer cannot carry a WAF; serve the internet through an ALB"
        return
    mine = [a for a in associations if _arn_names(a, "resourceArn", lb, ":loadbalancer/app/{}/")]
    if not mine:
        yield f"no WAFv2 web ACL is associated with it ({WAF_ASSOCIATION} whose resourceArn is the load balancer)"
    for acl in of_types(resources, [WEB_ACL]):
        if any(_arn_names(a, "webAclArn", acl, "/webacl/{}/") for a in mine):
            yield from _web_acl_blocks(acl, resources)
    if not truthy(dig(lb.props, "accessLogs.enabled")) or not given(lb.props, "accessLogs.bucket"):
        yield "access logs are off (accessLogs.enabled with a bucket)"


# Backend service types, and the load-balancing scheme each defaults to.
GCP_BACKENDS = {
    "gcp:compute/backendService:BackendService": "EXTERNAL",
    "gcp:compute/regionBackendService:RegionBackendService": "INTERNAL",
}
EXTERNAL_SCHEMES = ("EXTERNAL", "EXTERNAL_MANAGED")
ARMOR_POLICIES = ("gcp:compute/securityPolicy:SecurityPolicy", "gcp:compute/regionSecurityPolicy:RegionSecurityPolicy")
# Rules written as their own resources, naming their policy in securityPolicy.
ARMOR_RULES = (
    "gcp:compute/securityPolicyRule:SecurityPolicyRule",
    "gcp:compute/regionSecurityPolicyRule:RegionSecurityPolicyRule",
)
ARMOR_DEFAULT_PRIORITY = 2147483647  # the rule every policy has, matching what no other rule does


def _armor_names(resource: PolicyResource, key: str, policy: PolicyResource) -> bool:
    """Whether ``key`` names the Cloud Armor policy: by dependency, name or self link (``.../securityPolicies/x``)."""
    name = known(policy.props, "name")
    value = str(known(resource.props, key))
    return names(resource, key, policy, name) or bool(name and value.endswith(f"/securityPolicies/{name}"))


def _armor_blocks(rule: Mapping[str, Any]) -> bool:
    """deny(403|404|502), throttle and rate_based_ban stop requests; so does redirect (to reCAPTCHA or away)."""
    action = str(rule.get("action") or "").lower()
    return action.startswith("deny") or action in ("throttle", "rate_based_ban", "redirect")


def _armor_enforces(policy: PolicyResource, resources: Sequence[PolicyResource]) -> Iterator[str]:
    """A Cloud Armor policy of this stack (its inline rules and the rule resources naming it) must enforce: no
    blocking rule in preview (logged, not enforced), and a blocking rule besides the default one unless the default
    one denies (an allowlist)."""
    rules = [
        *items(policy.props, "rules"),
        *(r.props for r in of_types(resources, ARMOR_RULES) if _armor_names(r, "securityPolicy", policy)),
    ]
    previewed = [
        f"{number(r.get('priority')) or 0:.0f}" for r in rules if _armor_blocks(r) and truthy(r.get("preview"))
    ]
    if previewed:
        priorities = ", ".join(previewed)
        yield f"its Cloud Armor policy {policy.name} does not enforce its rules at priority {priorities} (preview true)"
    allowlist = any(
        _armor_blocks(r) and number(r.get("priority")) == ARMOR_DEFAULT_PRIORITY and not truthy(r.get("preview"))
        for r in rules
    )  # the default rule denies all that no rule allows
    if not allowlist and not any(
        _armor_blocks(r) and number(r.get("priority")) != ARMOR_DEFAULT_PRIORITY for r in rules
    ):
        yield (
            f"its Cloud Armor policy {policy.name} has no rule besides the default that denies, throttles, bans or "
            "redirects"
        )


def _gcp(backend: PolicyResource, resources: Sequence[PolicyResource]) -> Iterator[str]:
    """An external backend service: a Cloud Armor security policy that enforces, and request logging (sampled
    above 0)."""
    scheme = str(backend.props.get("loadBalancingScheme") or GCP_BACKENDS[backend.resource_type]).upper()
    if scheme not in EXTERNAL_SCHEMES:
        return
    if not given(backend.props, "securityPolicy"):
        yield "no Cloud Armor security policy (securityPolicy)"
    for policy in of_types(resources, ARMOR_POLICIES):
        if _armor_names(backend, "securityPolicy", policy):
            yield from _armor_enforces(policy, resources)
    rate = number(dig(backend.props, "logConfig.sampleRate"))
    if not truthy(dig(backend.props, "logConfig.enable")) or (rate is not None and rate <= 0):
        yield "request logging is off (logConfig.enable with a sampleRate above 0)"


GATEWAY = "azure-native:network:ApplicationGateway"
FRONT_DOOR = "azure-native:cdn:Profile"
FRONT_DOOR_SKUS = ("Standard_AzureFrontDoor", "Premium_AzureFrontDoor")
SECURITY_POLICY = "azure-native:cdn:SecurityPolicy"
DIAGNOSTICS = "azure-native:monitor:DiagnosticSetting"
# Per Azure WAF policy type: where its on/off state and its mode are.
WAF_POLICIES = {
    "azure-native:network:WebApplicationFirewallPolicy": ("policySettings.state", "policySettings.mode"),
    "azure-native:frontdoor:Policy": ("policySettings.enabledState", "policySettings.mode"),
}
ACCESS_LOGS = {GATEWAY: "ApplicationGatewayAccessLog", FRONT_DOOR: "FrontDoorAccessLog"}
LOG_DESTINATIONS = ("workspaceId", "storageAccountId", "eventHubAuthorizationRuleId", "marketplacePartnerId")


def _enforcing(referrer: PolicyResource, paths: Sequence[str], policies: Sequence[PolicyResource]) -> Iterator[str]:
    """A WAF policy of this stack that ``referrer`` attaches (at any of ``paths``) must be on and in Prevention
    mode (Detection only logs); one managed elsewhere is taken as it is."""
    for policy in (p for p in policies if any(names_arm(referrer, path, p) for path in paths)):
        state, mode = (str(dig(policy.props, key) or "") for key in WAF_POLICIES[policy.resource_type])
        if state.lower() == "disabled" or mode.lower() != "prevention":
            yield f"its WAF policy {policy.name} is not enabled in Prevention mode"


def _logs_access(setting: PolicyResource, category: str) -> bool:
    """A diagnostic setting that sends the access log (by category, or as part of allLogs) somewhere."""
    sent = any(given(setting.props, key) for key in LOG_DESTINATIONS)
    return sent and any(
        truthy(log.get("enabled"))
        and (str(log.get("category")) == category or str(log.get("categoryGroup")).lower() == "alllogs")
        for log in items(setting.props, "logs")
    )


def _access_logged(target: PolicyResource, settings: Sequence[PolicyResource]) -> Iterator[str]:
    category = ACCESS_LOGS[target.resource_type]
    if not any(names_arm(s, "resourceUri", target) and _logs_access(s, category) for s in settings):
        yield f"no diagnostic setting sends its {category} (or allLogs) to a workspace, storage or event hub"


def _gateway(
    gateway: PolicyResource, policies: Sequence[PolicyResource], settings: Sequence[PolicyResource]
) -> Iterator[str]:
    """A public Application Gateway: a WAF policy (on the gateway, or on every listener) or the WAF_v2 SKU's
    own WAF configuration, enforcing; and its access log in a diagnostic setting."""
    if not any(given(frontend, "publicIPAddress.id") for frontend in items(gateway.props, "frontendIPConfigurations")):
        return
    on_gateway = given(gateway.props, "firewallPolicy.id")
    listeners = items(gateway.props, "httpListeners")
    on_listeners = bool(listeners) and all(given(listener, "firewallPolicy.id") for listener in listeners)
    legacy = (
        truthy(dig(gateway.props, "webApplicationFirewallConfiguration.enabled"))
        and str(dig(gateway.props, "webApplicationFirewallConfiguration.firewallMode")).lower() == "prevention"
    )
    if not (on_gateway or on_listeners or legacy):
        yield "no WAF policy (firewallPolicy on the WAF_v2 gateway or on each listener)"
    yield from _enforcing(gateway, ("firewallPolicy.id", "httpListeners.*.firewallPolicy.id"), policies)
    yield from _access_logged(gateway, settings)


def _front_door(
    profile: PolicyResource, resources: Sequence[PolicyResource], settings: Sequence[PolicyResource]
) -> Iterator[str]:
    """A Front Door profile: Premium (managed rule sets need it), a security policy of type
    WebApplicationFirewall naming a WAF policy, enforcing; and its access log in a diagnostic setting."""
    sku = str(dig(profile.props, "sku.name") or "")
    if sku not in FRONT_DOOR_SKUS:
        return
    if sku != "Premium_AzureFrontDoor":
        yield f"sku {sku}: Front Door's managed WAF rule sets need Premium_AzureFrontDoor"
    security = [
        s
        for s in of_types(resources, [SECURITY_POLICY])
        if same_parent(s, profile, "resourceGroupName", "profileName")
        and str(dig(s.props, "parameters.type")).lower() == "webapplicationfirewall"
        and given(s.props, "parameters.wafPolicy.id")
    ]
    if not security:
        yield f"no {SECURITY_POLICY} of type WebApplicationFirewall with a wafPolicy"
    policies = of_types(resources, WAF_POLICIES)
    for policy in security:
        yield from _enforcing(policy, ("parameters.wafPolicy.id",), policies)
    yield from _access_logged(profile, settings)


@stack_rule(
    name="load-balancer-waf-and-access-logs",
    description="Public load balancers sit behind a web application firewall that enforces, and write access logs "
    "(SPEC.md: Security): an ALB with a WAFv2 web ACL that blocks, GCP external backend services with Cloud Armor "
    "rules that deny or throttle (not in preview), an Application Gateway WAF_v2 or Front Door Premium WAF in "
    "Prevention mode.",
    remediation="AWS: associate a wafv2 WebAcl with the ALB (WebAclAssociation) whose rules block (managed rule "
    "groups with overrideAction none, not count) and enable accessLogs to a bucket. GCP: set securityPolicy (Cloud "
    "Armor) and logConfig.enable on every external backend service, with deny/throttle rules that are not in "
    "preview. Azure: attach an enabled Prevention-mode WAF policy (gateway firewallPolicy, or a Front Door Premium "
    "security policy) and send the access log category to Log Analytics with a diagnostic setting.",
)
def load_balancer_waf_and_access_logs(args: StackValidationArgs, report: ReportViolation, params: Params) -> None:
    resources = list(args.resources)
    associations = of_types(resources, [WAF_ASSOCIATION])
    settings = of_types(resources, [DIAGNOSTICS])
    policies = of_types(resources, WAF_POLICIES)
    aws = of_types(resources, [*AWS_LOAD_BALANCERS, CLASSIC_LOAD_BALANCER])
    report_each(aws, lambda lb: _aws(lb, associations, resources), report)
    report_each(of_types(resources, GCP_BACKENDS), lambda backend: _gcp(backend, resources), report)
    report_each(of_types(resources, [GATEWAY]), lambda gw: _gateway(gw, policies, settings), report)
    report_each(of_types(resources, [FRONT_DOOR]), lambda fd: _front_door(fd, resources, settings), report)


POLICIES = [load_balancer_waf_and_access_logs]
