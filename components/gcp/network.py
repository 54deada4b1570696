"""VPC network: one subnet per region, Cloud NAT, private service access, flow logs and firewall rules.

Firewall rules follow SPEC.md: only the load balancer faces the internet, and it is Google's
global front end, so instances accept the app port only from Google's front-end and health-check
ranges and from each other; SSH only from the configured 10.0.0.0/8 ranges (none by default).
Cloud SQL and Memorystore sit in the private-services range, reachable by peering only: egress
to it is allowed on PostgreSQL/Redis ports for the app tier and denied to everything else.
Instances have no external IPs; they reach the internet through Cloud NAT. Rules target the app
tier's service account rather than network tags, which anyone able to edit an instance could set.
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_gcp as gcp

from ..config import PlatformConfig
from .project import gcp_labels

# Where Google's global load balancers and health checks connect from (documented, fixed ranges).
GOOGLE_FRONT_END_RANGES = ("130.211.0.0/22", "35.191.0.0/16")
POSTGRES_PORT = 5432  # Cloud SQL listens only here
MEMORYSTORE_TLS_PORT = 6378  # Memorystore serves TLS (SERVER_AUTHENTICATION) on this port
# Priorities: allows first, then the deny of the data range, then the logged default deny.
ALLOW, DENY_DATA, DENY_ALL = 1000, 2000, 65534


class Network(pulumi.ComponentResource):
    network: gcp.compute.Network
    subnets: dict[str, gcp.compute.Subnetwork]
    private_services_range: gcp.compute.GlobalAddress
    private_services: gcp.servicenetworking.Connection
    app_account: gcp.serviceaccount.Account
    firewalls: dict[str, gcp.compute.Firewall]

    def __init__(self, name: str, cfg: PlatformConfig, opts: pulumi.ResourceOptions | None = None):
        super().__init__("platform:gcp:Network", name, None, opts)
        self._cfg = cfg
        child = pulumi.ResourceOptions(parent=self)
        regions = {"primary": (cfg.gcp.region, cfg.gcp.subnet_cidr)}
        if cfg.disaster_recovery.enabled:
            regions["dr"] = (cfg.gcp.dr_region, cfg.gcp.dr_subnet_cidr)

        self.network = gcp.compute.Network(
            "vpc", name=cfg.name(), auto_create_subnetworks=False, routing_mode="GLOBAL", opts=child
        )
        self.subnets = {role: self._region(role, region, str(cidr)) for role, (region, cidr) in regions.items()}

        services = cfg.gcp.private_services_cidr
        self.private_services_range = gcp.compute.GlobalAddress(
            "private-services",
            name=cfg.name("private-services"),
            purpose="VPC_PEERING",
            address_type="INTERNAL",
            address=str(services.network_address),
            prefix_length=services.prefixlen,
            network=self.network.id,
            labels=gcp_labels(cfg, "network"),
            opts=child,
        )
        self.private_services = gcp.servicenetworking.Connection(
            "private-services",
            network=self.network.id,
            service="servicenetworking.googleapis.com",
            reserved_peering_ranges=[self.private_services_range.name],
            opts=child,
        )
        self.app_account = gcp.serviceaccount.Account(
            "app", account_id=cfg.name("app"), display_name=f"{cfg.name()} app tiers", opts=child
        )
        self.firewalls = self._firewalls(str(services))
        self.register_outputs({"network_id": self.network.id})

    def _region(self, role: str, region: str, cidr: str) -> gcp.compute.Subnetwork:
        """The region's subnet with flow logs of every flow, and Cloud NAT for its outbound traffic."""
        child = pulumi.ResourceOptions(parent=self)
        subnet = gcp.compute.Subnetwork(
            role,
            name=self._cfg.name(role),
            network=self.network.id,
            region=region,
            ip_cidr_range=cidr,
            private_ip_google_access=True,
            log_config={
                "aggregation_interval": "INTERVAL_1_MIN",
                "flow_sampling": 1.0,
                "metadata": "INCLUDE_ALL_METADATA",
            },
            opts=child,
        )
        router = gcp.compute.Router(role, name=self._cfg.name(role), region=region, network=self.network.id, opts=child)
        gcp.compute.RouterNat(
            role,
            name=self._cfg.name(role),
            router=router.name,
            region=region,
            nat_ip_allocate_option="AUTO_ONLY",
            source_subnetwork_ip_ranges_to_nat="LIST_OF_SUBNETWORKS",
            subnetworks=[{"name": subnet.id, "source_ip_ranges_to_nats": ["ALL_IP_RANGES"]}],
            log_config={"enable": True, "filter": "ERRORS_ONLY"},
            opts=child,
        )
        return subnet

    def _firewalls(self, data_range: str) -> dict[str, gcp.compute.Firewall]:
        cfg, app = self._cfg, [self.app_account.email]
        app_port = str(cfg.compute.app_port)
        data_ports = sorted({str(POSTGRES_PORT), str(cfg.cache.port), str(MEMORYSTORE_TLS_PORT)})
        rules: dict[str, dict[str, Any]] = {
            "allow-lb-to-app": {
                "description": "Google's front end and health checks to the app port",
                "source_ranges": list(GOOGLE_FRONT_END_RANGES),
                "target_service_accounts": app,
                "allows": [{"protocol": "tcp", "ports": [app_port]}],
            },
            "allow-app-to-app": {
                "description": "App tier to app tier",
                "source_service_accounts": app,
                "target_service_accounts": app,
                "allows": [{"protocol": "tcp", "ports": [app_port]}],
            },
            "allow-app-to-data": {
                "description": "App tier to PostgreSQL and Redis in the private-services range",
                "direction": "EGRESS",
                "destination_ranges": [data_range],
                "target_service_accounts": app,
                "allows": [{"protocol": "tcp", "ports": data_ports}],
            },
            "deny-data-from-others": {
                "description": "Nothing but the app tier reaches the data stores",
                "direction": "EGRESS",
                "priority": DENY_DATA,
                "destination_ranges": [data_range],
                "denies": [{"protocol": "all"}],
            },
            "deny-all-ingress": {
                "description": "Everything not allowed above, logged",
                "priority": DENY_ALL,
                "source_ranges": ["0.0.0.0/0"],
                "denies": [{"protocol": "all"}],
            },
        }
        if cfg.security.ssh_cidrs:
            rules["allow-ssh"] = {
                "description": "SSH from the private range only",
                "source_ranges": [str(c) for c in cfg.security.ssh_cidrs],
                "target_service_accounts": app,
                "allows": [{"protocol": "tcp", "ports": ["22"]}],
            }
        return {
            name: gcp.compute.Firewall(
                name,
                name=cfg.name(name),
                network=self.network.id,
                **{"direction": "INGRESS", "priority": ALLOW, **rule},
                log_config={"metadata": "INCLUDE_ALL_METADATA"},
                opts=pulumi.ResourceOptions(parent=self),
            )
            for name, rule in rules.items()
        }
