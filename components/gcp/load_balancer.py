"""Blue-green on a global external HTTPS load balancer.

Each pooled tier has a blue and a green backend service; the URL map splits traffic between
them by weight (``blueGreen`` config, the same weights as on AWS): the default route serves web,
``/api/*`` serves api. Every backend service runs behind the Cloud Armor policy (``armor.py``) and logs
its requests. HTTPS uses a Google-managed certificate (renewed automatically) and an
SSL policy with TLS 1.2 minimum; port 80 only redirects to HTTPS. The certificate turns ACTIVE
only once its domain resolves to the load balancer, so the A record goes into the configured
Cloud DNS zone (``gcp.dnsZone``, as AWS validates through ``aws.hostedZoneId``) before it.
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_gcp as gcp

from ..config import COLORS, PlatformConfig, Tier
from .armor import EdgeSecurity
from .compute import HTTP_PORT_NAME, POOLED_TIERS, Compute
from .project import gcp_labels

API_PATHS = ["/api/*"]
DNS_TTL_SECONDS = 300
PATH_MATCHER = "routes"
SECONDS_PER_MINUTE = 60


def weighted(cfg: PlatformConfig, services: dict[str, gcp.compute.BackendService]) -> Any:
    """A route action sending each colour its share of the traffic."""
    weights = cfg.blue_green.weights
    return {
        "weighted_backend_services": [
            {"backend_service": services[color].id, "weight": weights[color]} for color in COLORS
        ]
    }


class BlueGreenLoadBalancer(pulumi.ComponentResource):
    address: gcp.compute.GlobalAddress
    ssl_policy: gcp.compute.SSLPolicy
    dns_record: gcp.dns.RecordSet
    certificate: gcp.compute.ManagedSslCertificate
    backend_services: dict[str, dict[str, gcp.compute.BackendService]]
    url_map: gcp.compute.URLMap
    https_proxy: gcp.compute.TargetHttpsProxy
    https_rule: gcp.compute.GlobalForwardingRule
    http_rule: gcp.compute.GlobalForwardingRule
    api_route_id: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        cfg: PlatformConfig,
        compute: Compute,
        edge: EdgeSecurity,
        opts: pulumi.ResourceOptions | None = None,
    ):
        """``edge`` holds the Cloud Armor policy every backend service enforces."""
        super().__init__("platform:gcp:BlueGreenLoadBalancer", name, None, opts)
        self._edge = edge
        child = pulumi.ResourceOptions(parent=self)
        labels = gcp_labels(cfg, "load-balancer")
        self.address = gcp.compute.GlobalAddress("public", name=cfg.name("public"), labels=labels, opts=child)
        self.ssl_policy = gcp.compute.SSLPolicy(
            "tls",
            name=cfg.name("tls"),
            profile=cfg.gcp.ssl_policy_profile,
            min_tls_version=f"TLS_{cfg.security.min_tls_version.replace('.', '_')}",
            opts=child,
        )
        self.dns_record = gcp.dns.RecordSet(
            "public",
            project=cfg.gcp.dns_project or cfg.gcp.project,
            managed_zone=cfg.gcp.dns_zone,
            name=f"{cfg.gcp.domain_name}.",
            type="A",
            ttl=DNS_TTL_SECONDS,
            rrdatas=[self.address.address],
            opts=child,
        )
        self.certificate = gcp.compute.ManagedSslCertificate(
            "tls",
            name=cfg.name("tls"),
            managed={"domains": [cfg.gcp.domain_name]},
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.dns_record]),
        )
        self.backend_services = {
            tier: {color: self._backend(cfg, tier, color, compute) for color in COLORS} for tier in POOLED_TIERS
        }
        web, api = self.backend_services["web"], self.backend_services["api"]
        self.url_map = gcp.compute.URLMap(
            "https",
            name=cfg.name("https"),
            default_route_action=weighted(cfg, web),
            host_rules=[{"hosts": ["*"], "path_matcher": PATH_MATCHER}],
            path_matchers=[
                {
                    "name": PATH_MATCHER,
                    "default_route_action": weighted(cfg, web),
                    "path_rules": [{"paths": API_PATHS, "route_action": weighted(cfg, api)}],
                }
            ],
            opts=child,
        )
        # The URL map's /api/* route: what the AWS listener rule is, addressed inside the map.
        self.api_route_id = pulumi.Output.concat(self.url_map.id, "/pathMatchers/", PATH_MATCHER)
        self.https_proxy = gcp.compute.TargetHttpsProxy(
            "https",
            name=cfg.name("https"),
            url_map=self.url_map.id,
            ssl_certificates=[self.certificate.id],
            ssl_policy=self.ssl_policy.id,
            opts=child,
        )
        self.https_rule = self._rule(cfg, "https", 443, self.https_proxy.id, labels)
        redirect = gcp.compute.URLMap(
            "http-redirect",
            name=cfg.name("http-redirect"),
            default_url_redirect={
                "https_redirect": True,
                "redirect_response_code": "MOVED_PERMANENTLY_DEFAULT",
                "strip_query": False,
            },
            opts=child,
        )
        http_proxy = gcp.compute.TargetHttpProxy("http", name=cfg.name("http"), url_map=redirect.id, opts=child)
        self.http_rule = self._rule(cfg, "http", 80, http_proxy.id, labels)
        self.register_outputs({"address": self.address.address})

    def _backend(self, cfg: PlatformConfig, tier: Tier, color: str, compute: Compute) -> gcp.compute.BackendService:
        """Web balances on CPU up to its scaling target; api on requests per instance (SPEC's per-minute target)."""
        scaling = cfg.compute.tier(tier)
        capacity = (
            {"balancing_mode": "RATE", "max_rate_per_instance": scaling.target / SECONDS_PER_MINUTE}
            if scaling.metric == "request_count"
            else {"balancing_mode": "UTILIZATION", "max_utilization": scaling.target / 100}
        )
        backend: Any = {"group": compute.groups[f"{tier}-{color}"].instance_group, **capacity}
        return gcp.compute.BackendService(
            f"{tier}-{color}",
            name=cfg.name(tier, color),
            protocol="HTTP",
            port_name=HTTP_PORT_NAME,
            load_balancing_scheme="EXTERNAL_MANAGED",
            health_checks=compute.health_check.id,
            connection_draining_timeout_sec=cfg.blue_green.deregistration_delay_seconds,
            backends=[backend],
            security_policy=self._edge.policy.self_link,
            log_config={"enable": True, "sample_rate": cfg.gcp.load_balancer_log_sample_rate},
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _rule(
        self, cfg: PlatformConfig, name: str, port: int, target: pulumi.Output[str], labels: dict[str, str]
    ) -> gcp.compute.GlobalForwardingRule:
        return gcp.compute.GlobalForwardingRule(
            name,
            name=cfg.name(name),
            ip_address=self.address.id,
            ip_protocol="TCP",
            port_range=str(port),
            load_balancing_scheme="EXTERNAL_MANAGED",
            target=target,
            labels=labels,
            opts=pulumi.ResourceOptions(parent=self),
        )
