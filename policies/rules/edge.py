"""Public load balancers (prod): a web application firewall in front of them and their access logs on."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from pulumi_policy import PolicyResource, ReportViolation, StackValidationArgs

from .base import Params, dig, items, number, stack_rule, truthy
from .links import given, known, names, names_arm, of_types, report_each, same_parent

AWS_LOAD_BALANCERS = ("aws:lb/loadBalancer:LoadBalancer", "aws:alb/loadBalancer:LoadBalancer")
CLASSIC_LOAD_BALANCER = "aws:elb/loadBalancer:LoadBalancer"
WAF_ASSOCIATION = "aws:wafv2/webAclAssociation:WebAclAssociation"


def _aws(lb: PolicyResource, associations: Sequence[PolicyResource]) -> Iterator[str]:
    """An internet-facing ALB: a WAFv2 web ACL associated with it (a separate resource naming its ARN) and
    access logs enabled with a bucket. Network and classic load balancers cannot carry a WAF."""
    kind = "classic" if lb.resource_type == CLASSIC_LOAD_BALANCER else str(lb.props.get("loadBalancerType") or "")
    if truthy(lb.props.get("internal")) or kind == "gateway":
        return
    if kind not in ("", "application"):
        yield f"an internet-facing {kind} load balancer cannot carry a WAF; serve the internet through an ALB"
        return
    arn_part = f":loadbalancer/app/{known(lb.props, 'name')}/" if known(lb.props, "name") else None
    if not any(
        names(a, "resourceArn", lb) or (arn_part and arn_part in str(known(a.props, "resourceArn")))
        for a in associations
    ):
        yield f"no WAFv2 web ACL is associated with it ({WAF_ASSOCIATION} whose resourceArn is the load balancer)"
    if not truthy(dig(lb.props, "accessLogs.enabled")) or not given(lb.props, "accessLogs.bucket"):
        yield "access logs are off (accessLogs.enabled with a bucket)"


# Backend service types, and the load-balancing scheme each defaults to.
GCP_BACKENDS = {
    "gcp:compute/backendService:BackendService": "EXTERNAL",
    "gcp:compute/regionBackendService:RegionBackendService": "INTERNAL",
}
EXTERNAL_SCHEMES = ("EXTERNAL", "EXTERNAL_MANAGED")


def _gcp(backend: PolicyResource) -> Iterator[str]:
    """An external backend service: a Cloud Armor security policy and request logging (sampled above 0)."""
    scheme = str(backend.props.get("loadBalancingScheme") or GCP_BACKENDS[backend.resource_type]).upper()
    if scheme not in EXTERNAL_SCHEMES:
        return
    if not given(backend.props, "securityPolicy"):
        yield "no Cloud Armor security policy (securityPolicy)"
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
    description="Public load balancers sit behind a web application firewall and write access logs (SPEC.md: "
    "Security): an ALB with a WAFv2 web ACL, GCP external backend services with Cloud Armor, an Application "
    "Gateway WAF_v2 or Front Door Premium WAF in Prevention mode.",
    remediation="AWS: associate a wafv2 WebAcl with the ALB (WebAclAssociation) and enable accessLogs to a bucket. "
    "GCP: set securityPolicy (Cloud Armor) and logConfig.enable on every external backend service. Azure: attach "
    "an enabled Prevention-mode WAF policy (gateway firewallPolicy, or a Front Door Premium security policy) and "
    "send the access log category to Log Analytics with a diagnostic setting.",
)
def load_balancer_waf_and_access_logs(args: StackValidationArgs, report: ReportViolation, params: Params) -> None:
    resources = list(args.resources)
    associations = of_types(resources, [WAF_ASSOCIATION])
    settings = of_types(resources, [DIAGNOSTICS])
    policies = of_types(resources, WAF_POLICIES)
    aws = of_types(resources, [*AWS_LOAD_BALANCERS, CLASSIC_LOAD_BALANCER])
    report_each(aws, lambda lb: _aws(lb, associations), report)
    report_each(of_types(resources, GCP_BACKENDS), _gcp, report)
    report_each(of_types(resources, [GATEWAY]), lambda gw: _gateway(gw, policies, settings), report)
    report_each(of_types(resources, [FRONT_DOOR]), lambda fd: _front_door(fd, resources, settings), report)


POLICIES = [load_balancer_waf_and_access_logs]
