"""The public entry point: Application Gateway (WAF_v2) with blue and green backend pools per routed tier.

HTTPS on 443 terminates TLS with the certificate Key Vault holds (``azure.certificateSecretId``,
read through the user-assigned identity, which needs Key Vault Secrets User on that vault; the
gateway polls a versionless secret id every 4 hours, so Key Vault's auto-renewal reaches it)
under ``azure.tlsPolicy`` (AppGwSslPolicy20220101S: TLS 1.2 minimum, TLS 1.3 offered), or a
TLS 1.3-only custom policy when ``security.minTlsVersion`` is 1.3. Port 80 only redirects to
HTTPS (301). ``/api/*`` goes to the api pool, everything else to web. A WAF policy in Prevention
mode runs Microsoft's Default Rule Set (the OWASP CRS successor) and the bot-protection rule set.

Blue-green: Application Gateway v2 has no generally available weighted split between pools. Its
ARM API lists ``loadDistributionPolicies`` (weighted round robin), but Azure gates it behind an
unreleased subscription feature (``SubscriptionNotRegisteredForFeature: LoadDistributionPolicy``,
Azure/azure-rest-api-specs#19784 and #23144), and its weights are per server, not per pool.
Weighted splits exist only in Application Gateway for Containers (AKS) and Front Door / Traffic
Manager, which cannot reach these private scale sets without Private Link plumbing or DNS-level
splitting. So every request goes to the *live* colour: the colour with the larger
``blueGreen`` weight (the active colour on a 50/50 tie). Changing ``activeColor``, or a
``canaryWeight`` above 50, moves all traffic in one gateway update; setting it back is the
rollback. A canary of 50 or less reaches no user; the weights are kept as the gateway's tags.
"""

from __future__ import annotations

import pulumi
from pulumi_azure_native import network

from ..config import COLORS, Color, PlatformConfig, Tier
from .keys import Keys
from .network import Network

ROUTED_TIERS: tuple[Tier, ...] = ("web", "api")  # tiers behind the gateway; the worker is not
HTTP_PORT, HTTPS_PORT = 80, 443
API_PATHS = ["/api/*"]
PATH_MAP = "routes"
# Default Rule Set 2.1 is the current managed rule set for WAF_v2 (it supersedes OWASP CRS 3.2).
WAF_RULE_SETS = (("Microsoft_DefaultRuleSet", "2.1"), ("Microsoft_BotManagerRuleSet", "1.0"))
# A backend leaves the pool after 3 failed probes 10 s apart: 30 s, well inside SPEC's 2-minute rollback.
PROBE_INTERVAL_SECONDS = 10
PROBE_TIMEOUT_SECONDS = 5
PROBE_UNHEALTHY_THRESHOLD = 3
HEALTHY_STATUS_CODES = ["200"]
MS_PER_SECOND = 1000


def live_color(cfg: PlatformConfig) -> Color:
    """The colour that gets all traffic: the larger weight, the active colour on a tie."""
    weights = cfg.blue_green.weights
    return max(COLORS, key=lambda color: (weights[color], color == cfg.blue_green.active_color))


class Gateway(pulumi.ComponentResource):
    public_ip: network.PublicIPAddress
    waf_policy: network.WebApplicationFirewallPolicy
    gateway: network.ApplicationGateway
    live_color: Color
    pool_ids: dict[str, dict[str, pulumi.Output[str]]]
    https_listener_id: pulumi.Output[str]
    api_rule_id: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        cfg: PlatformConfig,
        resource_group: pulumi.Input[str],
        location: str,
        subscription_id: pulumi.Input[str],
        network_: Network,
        keys: Keys,
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__("platform:azure:Gateway", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        tags = cfg.tags_for("load-balancer")
        gateway_name = cfg.name("gateway")
        # The gateway's parts refer to each other by ARM id before the gateway exists.
        own_id = pulumi.Output.concat(
            "/subscriptions/", subscription_id, "/resourceGroups/", resource_group,
            "/providers/Microsoft.Network/applicationGateways/", gateway_name,
        )  # fmt: skip

        def part(kind: str, item: str) -> network.SubResourceArgsDict:
            return {"id": pulumi.Output.concat(own_id, f"/{kind}/{item}")}

        self.live_color = live_color(cfg)
        self.public_ip = network.PublicIPAddress(
            f"{name}-ip",
            resource_group_name=resource_group,
            location=location,
            sku={"name": "Standard", "tier": "Regional"},
            public_ip_allocation_method="Static",
            public_ip_address_version="IPv4",
            zones=list(cfg.azure.zones),
            dns_settings={"domain_name_label": cfg.name()},
            tags=tags,
            opts=child,
        )
        self.waf_policy = network.WebApplicationFirewallPolicy(
            f"{name}-waf",
            resource_group_name=resource_group,
            policy_name=cfg.name("waf"),
            location=location,
            policy_settings={
                "state": "Enabled",
                "mode": "Prevention",
                "request_body_check": True,
                "request_body_enforcement": True,
            },
            managed_rules={
                "managed_rule_sets": [
                    {"rule_set_type": rule_set, "rule_set_version": version} for rule_set, version in WAF_RULE_SETS
                ]
            },
            tags=tags,
            opts=child,
        )
        probes: list[network.ApplicationGatewayProbeArgsDict] = [
            {
                "name": tier,
                "protocol": "Http",
                "host": "127.0.0.1",  # instances answer on their own address; no public host name inside the VNet
                "path": cfg.compute.health_path,
                "interval": PROBE_INTERVAL_SECONDS,
                "timeout": PROBE_TIMEOUT_SECONDS,
                "unhealthy_threshold": PROBE_UNHEALTHY_THRESHOLD,
                "match": {"status_codes": HEALTHY_STATUS_CODES},
            }
            for tier in ROUTED_TIERS
        ]
        drain = cfg.blue_green.deregistration_delay_seconds
        backend_settings: list[network.ApplicationGatewayBackendHttpSettingsArgsDict] = [
            {
                "name": tier,
                "port": cfg.compute.app_port,
                "protocol": "Http",
                "cookie_based_affinity": "Disabled",
                # A request may wait on the database for DATABASE_TIMEOUT; the gateway waits as long.
                "request_timeout": cfg.app.database_timeout // MS_PER_SECOND,
                "connection_draining": {"enabled": drain > 0, "drain_timeout_in_sec": max(drain, 1)},
                "probe": part("probes", tier),
            }
            for tier in ROUTED_TIERS
        ]
        listeners: list[network.ApplicationGatewayHttpListenerArgsDict] = [
            {
                "name": "http",
                "frontend_ip_configuration": part("frontendIPConfigurations", "public"),
                "frontend_port": part("frontendPorts", "http"),
                "protocol": "Http",
            },
            {
                "name": "https",
                "frontend_ip_configuration": part("frontendIPConfigurations", "public"),
                "frontend_port": part("frontendPorts", "https"),
                "protocol": "Https",
                "ssl_certificate": part("sslCertificates", "tls"),
            },
        ]
        routes: network.ApplicationGatewayUrlPathMapArgsDict = {
            "name": PATH_MAP,
            "default_backend_address_pool": part("backendAddressPools", f"web-{self.live_color}"),
            "default_backend_http_settings": part("backendHttpSettingsCollection", "web"),
            "path_rules": [
                {
                    "name": "api",
                    "paths": API_PATHS,
                    "backend_address_pool": part("backendAddressPools", f"api-{self.live_color}"),
                    "backend_http_settings": part("backendHttpSettingsCollection", "api"),
                }
            ],
        }
        rules: list[network.ApplicationGatewayRequestRoutingRuleArgsDict] = [
            {
                "name": "https",
                "priority": 100,
                "rule_type": "PathBasedRouting",
                "http_listener": part("httpListeners", "https"),
                "url_path_map": part("urlPathMaps", PATH_MAP),
            },
            {
                "name": "http-redirect",
                "priority": 200,
                "rule_type": "Basic",
                "http_listener": part("httpListeners", "http"),
                "redirect_configuration": part("redirectConfigurations", "http-to-https"),
            },
        ]
        self.gateway = network.ApplicationGateway(
            f"{name}-gateway",
            resource_group_name=resource_group,
            application_gateway_name=gateway_name,
            location=location,
            sku={"name": "WAF_v2", "tier": "WAF_v2"},
            autoscale_configuration={
                "min_capacity": cfg.azure.gateway_capacity["min"],
                "max_capacity": cfg.azure.gateway_capacity["max"],
            },
            zones=list(cfg.azure.zones),
            enable_http2=True,
            firewall_policy={"id": self.waf_policy.id},
            force_firewall_policy_association=True,
            identity={
                "type": network.ResourceIdentityType.USER_ASSIGNED,
                "user_assigned_identities": [keys.identity.id],
            },
            ssl_policy=_ssl_policy(cfg),
            ssl_certificates=[{"name": "tls", "key_vault_secret_id": cfg.azure.certificate_secret_id}],
            gateway_ip_configurations=[{"name": "gateway", "subnet": {"id": network_.subnets["gateway"].id}}],
            frontend_ip_configurations=[{"name": "public", "public_ip_address": {"id": self.public_ip.id}}],
            frontend_ports=[{"name": "http", "port": HTTP_PORT}, {"name": "https", "port": HTTPS_PORT}],
            backend_address_pools=[{"name": f"{tier}-{color}"} for tier in ROUTED_TIERS for color in COLORS],
            probes=probes,
            backend_http_settings_collection=backend_settings,
            http_listeners=listeners,
            redirect_configurations=[
                {
                    "name": "http-to-https",
                    "redirect_type": "Permanent",
                    "target_listener": part("httpListeners", "https"),
                    "include_path": True,
                    "include_query_string": True,
                }
            ],
            url_path_maps=[routes],
            request_routing_rules=rules,
            tags={
                **tags,
                "live-color": self.live_color,
                **{f"weight-{color}": str(weight) for color, weight in cfg.blue_green.weights.items()},
            },
            # Prod's public entry point survives an accidental delete, like the AWS load balancer.
            opts=pulumi.ResourceOptions(parent=self, protect=cfg.environment == "prod"),
        )
        # From the gateway's own id, so whatever joins a pool waits for the gateway to exist.
        self.pool_ids = {
            tier: {
                color: pulumi.Output.concat(self.gateway.id, f"/backendAddressPools/{tier}-{color}") for color in COLORS
            }
            for tier in ROUTED_TIERS
        }
        self.https_listener_id = pulumi.Output.concat(self.gateway.id, "/httpListeners/https")
        self.api_rule_id = pulumi.Output.concat(self.gateway.id, f"/urlPathMaps/{PATH_MAP}/pathRules/api")
        self.register_outputs({})


def _ssl_policy(cfg: PlatformConfig) -> network.ApplicationGatewaySslPolicyArgsDict:
    """``azure.tlsPolicy`` (TLS 1.2+ with 1.3), or TLS 1.3 only when ``security.minTlsVersion`` asks for it."""
    if cfg.security.min_tls_version == "1.3":
        return {"policy_type": "CustomV2", "min_protocol_version": "TLSv1_3"}
    return {"policy_type": "Predefined", "policy_name": cfg.azure.tls_policy}
