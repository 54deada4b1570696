"""The public entry point: Azure Front Door Premium splitting traffic by weight between blue and green.

Why Front Door: Application Gateway v2 has no generally available weighted split between pools (its
``loadDistributionPolicies`` sit behind an unreleased subscription feature, Azure/azure-rest-api-specs#19784),
so it could only switch all traffic at once. Front Door load-balances an origin group by each origin's
weight (1-1000) among the origins inside its latency-sensitivity band; with the band at its widest, the two
colours of a tier share traffic exactly by ``blueGreen`` weights. A colour at weight 0 is a disabled origin
(Front Door has no weight 0), so it gets nothing and is not probed.

How it reaches the private scale sets: Front Door Premium connects to origins over Private Link. Of its
private origin types (App Service, Storage, API Management, Container Apps, Application Gateway, and an
internal load balancer through a Private Link service), the internal Standard load balancer is generally
available and needs nothing between Front Door and the instances: one frontend in the app subnet, a backend
pool per tier and colour (the scale sets join them), a load-balancing rule per pool on its own frontend port
(``ORIGIN_PORTS``), and one Private Link service whose NAT addresses live in the endpoints subnet. Each
origin names its pool by that port; its host name (``<tier>-<colour>.origin.internal``, sent as the Host
header and kept in Front Door's logs and metrics) tells the colours apart in the rollback alerts. Front Door
asks for a private endpoint connection to the Private Link service, which **the owner must approve once**
after the first ``pulumi up`` (README). Front Door and the load balancer probe ``compute.healthPath`` on
``compute.appPort``; traffic from Front Door to the instances stays on Microsoft's backbone and in the VNet.

In front: the WAF policy (Prevention, Microsoft's Default Rule Set 2.1 and the Bot Manager rule set, and a
per-client-IP rate limit from ``app.rateLimitRequests`` / ``rateLimitWindow``) is bound to the endpoint and the
custom domain. TLS: the custom domain ``azure.domainName`` with a Front Door managed
certificate (renewed automatically) under the ``TLS12_2023`` cipher-suite set (TLS 1.2 minimum, TLS 1.3
offered), or TLS 1.3 only when ``security.minTlsVersion`` is 1.3; HTTP is redirected to HTTPS. Routes:
``/api/*`` to the api origin group, everything else to web.
"""

from __future__ import annotations

import pulumi
from pulumi_azure_native import cdn, frontdoor, network

from ..config import COLORS, Color, PlatformConfig, Tier
from ..config.application import rate_in_window
from .network import Network

ROUTED_TIERS: tuple[Tier, ...] = ("web", "api")  # tiers behind Front Door; the worker is not
API_PATHS = ["/api/*"]
ROUTE_PATHS: dict[Tier, list[str]] = {"web": ["/*"], "api": API_PATHS}
# The load balancer's frontend port per tier and colour: how an origin names its pool.
ORIGIN_PORTS: dict[str, int] = {"web-blue": 8081, "web-green": 8082, "api-blue": 8083, "api-green": 8084}
ORIGIN_DOMAIN = "origin.internal"
SKU = "Premium_AzureFrontDoor"  # Premium: Private Link origins and managed WAF rule sets
WAF_RULE_SETS = (("Microsoft_DefaultRuleSet", "2.1", "Block"), ("Microsoft_BotManagerRuleSet", "1.1", "Block"))
MAX_LATENCY_BAND_MS = 1000  # the widest latency sensitivity: every healthy origin shares traffic by weight
PROBE_INTERVAL_SECONDS = 10
PROBE_SAMPLES, PROBE_SUCCESSES = 4, 3
LB_PROBE_INTERVAL_SECONDS = 5
LB_PROBE_THRESHOLD = 2  # an instance leaves the pool after 2 failed probes, 10 s
TLS13_CIPHERS = ["TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384"]
MS_PER_SECOND = 1000
MIN_ORIGIN_TIMEOUT_SECONDS = 16  # Front Door's shortest origin response timeout
RATE_WINDOWS_SECONDS = (60, 300)  # the windows (1 or 5 minutes) Front Door's rate-limit rules count in


def origin_host(tier: Tier, color: Color) -> str:
    """The host name an origin is known by in Front Door's logs and metrics (and sends as Host)."""
    return f"{tier}-{color}.{ORIGIN_DOMAIN}"


def origin_weights(cfg: PlatformConfig) -> dict[Color, tuple[int, bool]]:
    """Per colour, Front Door's (weight, enabled): the ``blueGreen`` percentage; 0 % is a disabled origin."""
    return {color: (max(weight, 1), weight > 0) for color, weight in cfg.blue_green.weights.items()}


class FrontDoor(pulumi.ComponentResource):
    load_balancer: network.LoadBalancer
    link_service: network.PrivateLinkService
    profile: cdn.Profile
    endpoint: cdn.AFDEndpoint
    domain: cdn.AFDCustomDomain
    waf_policy: frontdoor.Policy
    origins: dict[str, dict[str, cdn.AFDOrigin]]
    routes: dict[str, cdn.Route]
    pool_ids: dict[str, dict[str, pulumi.Output[str]]]

    def __init__(
        self,
        name: str,
        cfg: PlatformConfig,
        resource_group: pulumi.Input[str],
        location: str,
        subscription_id: pulumi.Input[str],
        network_: Network,
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__("platform:azure:FrontDoor", name, None, opts)
        self._name, self._cfg, self._rg = name, cfg, resource_group
        self._tags = cfg.tags_for("load-balancer")
        self._origin_load_balancer(location, subscription_id, network_)
        protect = pulumi.ResourceOptions(parent=self, protect=cfg.environment == "prod")
        self.profile = cdn.Profile(
            f"{name}-profile",
            resource_group_name=resource_group,
            profile_name=cfg.name("edge"),
            location="global",
            sku={"name": SKU},
            # A request may wait on the database for DATABASE_TIMEOUT; Front Door waits as long.
            origin_response_timeout_seconds=max(cfg.app.database_timeout // MS_PER_SECOND, MIN_ORIGIN_TIMEOUT_SECONDS),
            tags=self._tags,
            opts=protect,
        )
        self.endpoint = cdn.AFDEndpoint(
            f"{name}-endpoint",
            resource_group_name=resource_group,
            profile_name=self.profile.name,
            endpoint_name=cfg.name(),
            location="global",
            enabled_state="Enabled",
            tags=self._tags,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.domain = cdn.AFDCustomDomain(
            f"{name}-domain",
            resource_group_name=resource_group,
            profile_name=self.profile.name,
            custom_domain_name=cfg.azure.domain_name.replace(".", "-"),
            host_name=cfg.azure.domain_name,
            tls_settings=_tls(cfg),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self._firewall(location)
        self.origins, self.routes = {}, {}
        for tier in ROUTED_TIERS:
            self._route(tier, location)
        self.register_outputs({"endpoint": self.endpoint.host_name})

    def _origin_load_balancer(self, location: str, subscription_id: pulumi.Input[str], network_: Network) -> None:
        """The internal load balancer Front Door's Private Link service fronts: a pool per tier and colour."""
        cfg, name = self._cfg, self._name
        lb_name = cfg.name("origins")
        own_id = pulumi.Output.concat(
            "/subscriptions/", subscription_id, "/resourceGroups/", self._rg,
            "/providers/Microsoft.Network/loadBalancers/", lb_name,
        )  # fmt: skip

        def part(kind: str, item: str) -> network.SubResourceArgsDict:
            return {"id": pulumi.Output.concat(own_id, f"/{kind}/{item}")}

        self.load_balancer = network.LoadBalancer(
            f"{name}-origins",
            resource_group_name=self._rg,
            load_balancer_name=lb_name,
            location=location,
            sku={"name": "Standard", "tier": "Regional"},
            frontend_ip_configurations=[
                {
                    "name": "origins",
                    "subnet": {"id": network_.subnets["app"].id},
                    "private_ip_allocation_method": "Dynamic",
                    "zones": list(cfg.azure.zones),  # zone-redundant frontend
                }
            ],
            backend_address_pools=[{"name": key} for key in ORIGIN_PORTS],
            probes=[
                {
                    "name": "health",
                    "protocol": "Http",
                    "port": cfg.compute.app_port,
                    "request_path": cfg.compute.health_path,
                    "interval_in_seconds": LB_PROBE_INTERVAL_SECONDS,
                    "probe_threshold": LB_PROBE_THRESHOLD,
                }
            ],
            load_balancing_rules=[
                {
                    "name": key,
                    "frontend_ip_configuration": part("frontendIPConfigurations", "origins"),
                    "backend_address_pool": part("backendAddressPools", key),
                    "probe": part("probes", "health"),
                    "protocol": "Tcp",
                    "frontend_port": port,
                    "backend_port": cfg.compute.app_port,
                    "enable_floating_ip": False,
                    "disable_outbound_snat": True,  # egress is the NAT gateway's
                }
                for key, port in ORIGIN_PORTS.items()
            ],
            tags=self._tags,
            opts=pulumi.ResourceOptions(parent=self),
        )
        # From the load balancer's own id, so whatever joins a pool waits for the load balancer to exist.
        self.pool_ids = {
            tier: {
                color: pulumi.Output.concat(self.load_balancer.id, f"/backendAddressPools/{tier}-{color}")
                for color in COLORS
            }
            for tier in ROUTED_TIERS
        }
        self.link_service = network.PrivateLinkService(
            f"{name}-link",
            resource_group_name=self._rg,
            service_name=cfg.name("origins"),
            location=location,
            load_balancer_frontend_ip_configurations=[
                {"id": pulumi.Output.concat(self.load_balancer.id, "/frontendIPConfigurations/origins")}
            ],
            ip_configurations=[
                {
                    "name": "nat",
                    "primary": True,
                    "private_ip_allocation_method": "Dynamic",
                    "subnet": {"id": network_.subnets["endpoints"].id},
                }
            ],
            tags=self._tags,
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _rate_rule(self) -> frontdoor.CustomRuleArgs:
        """Every request counts (each carries a Host header): per socket IP, blocked past the threshold."""
        app = self._cfg.app
        threshold, seconds = rate_in_window(app.rate_limit_requests, app.rate_limit_window, RATE_WINDOWS_SECONDS)
        return frontdoor.CustomRuleArgs(
            name="ratelimit",
            priority=100,
            enabled_state="Enabled",
            rule_type="RateLimitRule",
            rate_limit_threshold=threshold,
            rate_limit_duration_in_minutes=seconds // 60,
            group_by=[frontdoor.GroupByVariableArgs(variable_name="SocketAddr")],
            match_conditions=[
                frontdoor.MatchConditionArgs(
                    match_variable="RequestHeader", selector="Host", operator="GreaterThan", match_value=["0"]
                )
            ],
            action="Block",
        )

    def _firewall(self, location: str) -> None:
        """The WAF policy in Prevention mode, bound to everything the endpoint and the domain serve."""
        cfg = self._cfg
        self.waf_policy = frontdoor.Policy(
            f"{self._name}-waf",
            resource_group_name=self._rg,
            policy_name=cfg.name("waf").replace("-", ""),  # letters and digits only
            location="Global",
            sku={"name": SKU},
            policy_settings={"enabled_state": "Enabled", "mode": "Prevention", "request_body_check": "Enabled"},
            custom_rules=frontdoor.CustomRuleListArgs(rules=[self._rate_rule()]),
            managed_rules={
                "managed_rule_sets": [
                    {"rule_set_type": rule_set, "rule_set_version": version, "rule_set_action": action}
                    for rule_set, version, action in WAF_RULE_SETS
                ]
            },
            tags=self._tags,
            opts=pulumi.ResourceOptions(parent=self),
        )
        cdn.SecurityPolicy(
            f"{self._name}-waf-binding",
            resource_group_name=self._rg,
            profile_name=self.profile.name,
            security_policy_name="waf",
            parameters={
                "type": "WebApplicationFirewall",
                "waf_policy": {"id": self.waf_policy.id},
                "associations": [
                    {"domains": [{"id": self.domain.id}, {"id": self.endpoint.id}], "patterns_to_match": ["/*"]}
                ],
            },
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _route(self, tier: Tier, location: str) -> None:
        """One origin group per tier with an origin per colour at its weight, and the tier's route."""
        cfg, name = self._cfg, self._name
        group = cdn.AFDOriginGroup(
            f"{name}-{tier}",
            resource_group_name=self._rg,
            profile_name=self.profile.name,
            origin_group_name=tier,
            health_probe_settings=cdn.HealthProbeParametersArgs(
                probe_path=cfg.compute.health_path,
                probe_protocol=cdn.ProbeProtocol.HTTP,
                probe_request_type=cdn.HealthProbeRequestType.GET,
                probe_interval_in_seconds=PROBE_INTERVAL_SECONDS,
            ),
            load_balancing_settings={
                "sample_size": PROBE_SAMPLES,
                "successful_samples_required": PROBE_SUCCESSES,
                "additional_latency_in_milliseconds": MAX_LATENCY_BAND_MS,
            },
            session_affinity_state="Disabled",
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.origins[tier] = {}
        for color, (weight, enabled) in origin_weights(cfg).items():
            host = origin_host(tier, color)
            self.origins[tier][color] = cdn.AFDOrigin(
                f"{name}-{tier}-{color}",
                resource_group_name=self._rg,
                profile_name=self.profile.name,
                origin_group_name=group.name,
                origin_name=color,
                host_name=host,
                origin_host_header=host,
                http_port=ORIGIN_PORTS[f"{tier}-{color}"],
                priority=1,
                weight=weight,
                enabled_state="Enabled" if enabled else "Disabled",
                enforce_certificate_name_check=True,
                shared_private_link_resource={
                    "private_link": {"id": self.link_service.id},
                    "private_link_location": location,
                    "request_message": f"Front Door {cfg.name()} origins",
                },
                opts=pulumi.ResourceOptions(parent=self),
            )
        self.routes[tier] = cdn.Route(
            f"{name}-{tier}-route",
            resource_group_name=self._rg,
            profile_name=self.profile.name,
            endpoint_name=self.endpoint.name,
            route_name=tier,
            origin_group={"id": group.id},
            custom_domains=[{"id": self.domain.id}],
            link_to_default_domain="Enabled",
            patterns_to_match=ROUTE_PATHS[tier],
            supported_protocols=["Http", "Https"],
            https_redirect="Enabled",
            forwarding_protocol="HttpOnly",  # inside Private Link, to the app port
            enabled_state="Enabled",
            # Front Door refuses a route to an origin group without origins.
            opts=pulumi.ResourceOptions(parent=self, depends_on=list(self.origins[tier].values())),
        )


def _tls(cfg: PlatformConfig) -> cdn.AFDDomainHttpsParametersArgsDict:
    """A managed certificate under TLS 1.2+ (1.3 offered), or TLS 1.3 only when ``security.minTlsVersion`` says."""
    if cfg.security.min_tls_version == "1.3":
        return {
            "certificate_type": "ManagedCertificate",
            "cipher_suite_set_type": "Customized",
            "minimum_tls_version": cdn.AfdMinimumTlsVersion.TLS13,
            "customized_cipher_suite_set": {"cipher_suite_set_for_tls13": TLS13_CIPHERS},
        }
    return {"certificate_type": "ManagedCertificate", "cipher_suite_set_type": "TLS12_2023"}
