"""VNet with app, data (PostgreSQL-delegated) and endpoint subnets, NSGs, private DNS, NAT, flow logs.

NSGs follow SPEC.md: nothing takes traffic from the internet. The internet reaches only Front Door
(frontdoor.py), which comes in through its Private Link service, whose NAT addresses sit in the endpoints
subnet: the app subnet accepts the app port from there, from Azure's load-balancer probes and from itself,
and SSH only from ``security.sshCidrs`` (none by default); PostgreSQL and the private endpoints (Redis on
6380, Key Vault, App Configuration and the worker queue on 443) accept only the app subnet. Our rules take
priorities from 100 up; every NSG ends with a deny-all at 4096, the last custom priority, because Azure's
default AllowVnetInBound (65000) would otherwise let the whole VNet in (and its AllowAzureLoadBalancerInBound
is shadowed too, hence the explicit probe rule). The first /24 of the address space, once the Application
Gateway's subnet, stays free so the other subnets keep their addresses.

A network built with ``public=False`` (the DR region, which holds only the database replica) has no NAT
gateway and admits nothing from a load balancer: nothing in it faces or reaches the internet.

VNet flow logs replace NSG flow logs, which Azure stopped creating on 30 June 2025.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

import pulumi
from pulumi_azure_native import network, operationalinsights, privatedns

from ..config import PlatformConfig

SUBNET_PREFIX = 24
SUBNETS = {"app": 1, "data": 2, "endpoints": 3}  # the /24 each takes in the address space, in creation order
POSTGRES_DELEGATION = "Microsoft.DBforPostgreSQL/flexibleServers"
# The zones Azure's private endpoints resolve through, by the service behind them (App Configuration's
# privatelink.azconfig.io lives with the store, in feature_flags.py).
PRIVATE_ZONES = {
    "redis": "privatelink.redis.cache.windows.net",
    "vault": "privatelink.vaultcore.azure.net",
    "flags": "privatelink.azconfig.io",
    "queue": "privatelink.queue.core.windows.net",
}
REDIS_TLS_PORT = 6380  # Azure Cache for Redis serves TLS only on 6380; the plain 6379 port is turned off
HTTPS_PORT = "443"  # the data planes of Key Vault, App Configuration and the queue
FIRST_PRIORITY = 100
DENY_ALL_PRIORITY = 4096  # the last priority a custom rule may take: evaluated after every allow
FLOW_LOG_MAX_RETENTION_DAYS = 365  # the longest a flow log's retention policy accepts


@dataclass(frozen=True)
class Allow:
    """One inbound allow rule: TCP from ``source`` (a CIDR or service tag) to ``ports`` (``"443"``, ``"a-b"``)."""

    name: str
    source: str
    ports: str


class Network(pulumi.ComponentResource):
    vnet: network.VirtualNetwork
    subnets: dict[str, network.Subnet]
    security_groups: dict[str, network.NetworkSecurityGroup]
    zones: dict[str, privatedns.PrivateZone]
    nat_gateway: network.NatGateway | None
    flow_log: network.FlowLog

    def __init__(
        self,
        name: str,
        cfg: PlatformConfig,
        resource_group: pulumi.Input[str],
        location: str,
        address_space: ipaddress.IPv4Network,
        flow_log_storage_id: pulumi.Input[str],
        workspace: operationalinsights.Workspace,
        public: bool = True,
        opts: pulumi.ResourceOptions | None = None,
    ):
        """``flow_log_storage_id`` must be a storage account in ``location`` (Azure's rule for flow logs);
        ``workspace`` receives traffic analytics."""
        super().__init__("platform:azure:Network", name, None, opts)
        self._cfg, self._name, self._group, self._location = cfg, name, resource_group, location
        self._tags = cfg.tags_for("network")
        all_blocks = list(address_space.subnets(new_prefix=SUBNET_PREFIX))
        blocks = {subnet: all_blocks[index] for subnet, index in SUBNETS.items()}
        self.vnet = network.VirtualNetwork(
            f"{name}-vnet",
            resource_group_name=resource_group,
            virtual_network_name=cfg.name(name),
            location=location,
            address_space=network.AddressSpaceArgs(address_prefixes=[str(address_space)]),
            tags=self._tags,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.nat_gateway = self._nat_gateway() if public else None
        self.security_groups = {
            subnet: self._security_group(subnet, str(blocks[subnet]), rules)
            for subnet, rules in _allowed(cfg, {s: str(b) for s, b in blocks.items()}, public).items()
        }
        self.subnets = {}
        previous: list[pulumi.Resource] = []
        for subnet in self.security_groups:
            # One at a time: Azure rejects concurrent changes to the subnets of one VNet.
            self.subnets[subnet] = network.Subnet(
                f"{name}-{subnet}",
                resource_group_name=resource_group,
                virtual_network_name=self.vnet.name,
                subnet_name=subnet,
                address_prefix=str(blocks[subnet]),
                network_security_group=network.NetworkSecurityGroupArgs(id=self.security_groups[subnet].id),
                delegations=(
                    [network.DelegationArgs(name="postgres", service_name=POSTGRES_DELEGATION)]
                    if subnet == "data"
                    else None
                ),
                nat_gateway=network.SubResourceArgs(id=self.nat_gateway.id)
                if self.nat_gateway and subnet == "app"
                else None,
                private_endpoint_network_policies="Enabled",  # NSG rules apply to the private endpoints too
                # Front Door's Private Link service takes its NAT addresses from the endpoints subnet.
                private_link_service_network_policies="Disabled" if subnet == "endpoints" else None,
                default_outbound_access=False,  # egress only through the NAT gateway
                opts=pulumi.ResourceOptions(parent=self, depends_on=previous),
            )
            previous = [self.subnets[subnet]]
        # PostgreSQL with private access needs a zone ending in postgres.database.azure.com, one per VNet.
        self.zones = {
            "postgres": self._private_zone("postgres", f"{cfg.name(name)}.private.postgres.database.azure.com"),
            **{purpose: self._private_zone(purpose, domain) for purpose, domain in PRIVATE_ZONES.items()},
        }
        self.flow_log = self._flow_log(flow_log_storage_id, workspace)
        self.register_outputs({"vnet_id": self.vnet.id})

    def _nat_gateway(self) -> network.NatGateway:
        """The app tier's only way out (packages, Azure APIs): subnets have no default outbound access."""
        cfg, name = self._cfg, self._name
        address = network.PublicIPAddress(
            f"{name}-nat-ip",
            resource_group_name=self._group,
            public_ip_address_name=cfg.name(name, "nat"),
            location=self._location,
            sku=network.PublicIPAddressSkuArgs(name="Standard"),
            public_ip_allocation_method="Static",
            zones=cfg.azure.zones,  # zone-redundant, so egress survives a zone outage
            tags=self._tags,
            opts=pulumi.ResourceOptions(parent=self),
        )
        return network.NatGateway(
            f"{name}-nat",
            resource_group_name=self._group,
            nat_gateway_name=cfg.name(name),
            location=self._location,
            sku=network.NatGatewaySkuArgs(name="Standard"),
            public_ip_addresses=[network.SubResourceArgs(id=address.id)],
            tags=self._tags,
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _security_group(self, subnet: str, prefix: str, allowed: list[Allow]) -> network.NetworkSecurityGroup:
        rules = [
            network.SecurityRuleArgs(
                name=rule.name,
                priority=FIRST_PRIORITY + 10 * i,
                direction="Inbound",
                access="Allow",
                protocol="Tcp",
                source_address_prefix=rule.source,
                source_port_range="*",
                destination_address_prefix=prefix,
                destination_port_range=rule.ports,
            )
            for i, rule in enumerate(allowed)
        ]
        rules.append(
            network.SecurityRuleArgs(
                name="deny-all-inbound",
                priority=DENY_ALL_PRIORITY,
                direction="Inbound",
                access="Deny",
                protocol="*",
                source_address_prefix="*",
                source_port_range="*",
                destination_address_prefix="*",
                destination_port_range="*",
            )
        )
        return network.NetworkSecurityGroup(
            f"{self._name}-{subnet}-nsg",
            resource_group_name=self._group,
            network_security_group_name=self._cfg.name(self._name, subnet),
            location=self._location,
            security_rules=rules,
            tags={**self._tags, "tier": subnet},
            opts=pulumi.ResourceOptions(parent=self),
        )

    def private_endpoint(
        self,
        owner: pulumi.Resource,
        name: str,
        target_id: pulumi.Input[str],
        group_id: str,
        zone: str,
        tags: dict[str, str],
    ) -> network.PrivateEndpoint:
        """``owner``'s service reachable only from inside: an endpoint in the endpoints subnet for its
        ``group_id`` sub-resource, registered in this VNet's ``zone`` private zone (a PRIVATE_ZONES key)."""
        child = pulumi.ResourceOptions(parent=owner)
        endpoint = network.PrivateEndpoint(
            f"{name}-endpoint",
            resource_group_name=self._group,
            location=self._location,
            subnet={"id": self.subnets["endpoints"].id},
            private_link_service_connections=[
                {"name": zone, "private_link_service_id": target_id, "group_ids": [group_id]}
            ],
            tags=tags,
            opts=child,
        )
        network.PrivateDnsZoneGroup(
            f"{name}-endpoint-dns",
            resource_group_name=self._group,
            private_endpoint_name=endpoint.name,
            private_dns_zone_group_name=zone,
            private_dns_zone_configs=[{"name": zone, "private_dns_zone_id": self.zones[zone].id}],
            opts=child,
        )
        return endpoint

    def _private_zone(self, purpose: str, domain: str) -> privatedns.PrivateZone:
        """A private DNS zone resolved from this VNet only (records are created by the services)."""
        zone = privatedns.PrivateZone(
            f"{self._name}-{purpose}-zone",
            resource_group_name=self._group,
            private_zone_name=domain,
            location="Global",
            tags=self._tags,
            opts=pulumi.ResourceOptions(parent=self),
        )
        privatedns.VirtualNetworkLink(
            f"{self._name}-{purpose}-link",
            resource_group_name=self._group,
            private_zone_name=zone.name,
            virtual_network_link_name=self._cfg.name(self._name),
            virtual_network=privatedns.SubResourceArgs(id=self.vnet.id),
            registration_enabled=False,
            location="Global",
            tags=self._tags,
            opts=pulumi.ResourceOptions(parent=self),
        )
        return zone

    def _watcher(self) -> tuple[pulumi.Input[str], pulumi.Input[str]]:
        """The region's Network Watcher (resource group, name), which holds the flow log.

        Azure allows one watcher per region and subscription and creates it as ``NetworkWatcher_<location>`` in
        ``azure.networkWatcherResourceGroup`` unless the subscription opted out: the lookup makes a missing watcher
        fail the preview with its name instead of the flow log failing half-way. ``azure.declareNetworkWatcher``
        declares it here instead, in the environment's resource group (subscriptions without automatic creation).
        """
        group = self._cfg.azure.network_watcher_resource_group
        if self._cfg.azure.declare_network_watcher:
            watcher = network.NetworkWatcher(
                f"{self._name}-watcher",
                resource_group_name=self._group,
                network_watcher_name=f"NetworkWatcher_{self._location}",
                location=self._location,
                tags=self._tags,
                opts=pulumi.ResourceOptions(parent=self),
            )
            return self._group, watcher.name
        found = network.get_network_watcher_output(
            resource_group_name=group,
            network_watcher_name=f"NetworkWatcher_{self._location}",
            opts=pulumi.InvokeOutputOptions(parent=self),
        )
        return group, found.name

    def _flow_log(self, storage_id: pulumi.Input[str], workspace: operationalinsights.Workspace) -> network.FlowLog:
        """Every flow in the VNet, kept as long as app logs, with traffic analytics in the workspace."""
        cfg = self._cfg
        watcher_group, watcher_name = self._watcher()
        return network.FlowLog(
            f"{self._name}-flow-log",
            resource_group_name=watcher_group,
            network_watcher_name=watcher_name,
            flow_log_name=cfg.name(self._name),
            location=self._location,
            target_resource_id=self.vnet.id,
            storage_id=storage_id,
            enabled=True,
            format=network.FlowLogFormatParametersArgs(type="JSON", version=2),
            retention_policy=network.RetentionPolicyParametersArgs(
                days=min(cfg.logging.app_retention_days, FLOW_LOG_MAX_RETENTION_DAYS), enabled=True
            ),
            flow_analytics_configuration=network.TrafficAnalyticsPropertiesArgs(
                network_watcher_flow_analytics_configuration=network.TrafficAnalyticsConfigurationPropertiesArgs(
                    enabled=True,
                    workspace_resource_id=workspace.id,
                    workspace_id=workspace.customer_id,
                    workspace_region=workspace.location,
                )
            ),
            tags=self._tags,
            opts=pulumi.ResourceOptions(parent=self),
        )


def _allowed(cfg: PlatformConfig, prefixes: dict[str, str], public: bool) -> dict[str, list[Allow]]:
    """Per subnet, in subnet order, what may come in (SPEC.md: Security / Network)."""
    app, port = prefixes["app"], str(cfg.compute.app_port)
    database = [Allow("postgres-from-app", app, str(cfg.database.port))]
    if cfg.database.high_availability:  # the standby replicates from the primary inside the delegated subnet
        database.append(Allow("postgres-replication", prefixes["data"], str(cfg.database.port)))
    front_door = [
        # Front Door's requests, source-NATed by its Private Link service in the endpoints subnet.
        Allow("app-from-front-door", prefixes["endpoints"], port),
        Allow("probes-from-load-balancer", "AzureLoadBalancer", port),
    ]
    return {
        "app": [
            *(front_door if public else []),
            Allow("app-from-app", app, port),
            *(Allow(f"ssh-from-private-{i}", str(cidr), "22") for i, cidr in enumerate(cfg.security.ssh_cidrs)),
        ],
        "data": database,
        "endpoints": [
            Allow("redis-from-app", app, str(REDIS_TLS_PORT)),
            Allow("https-from-app", app, HTTPS_PORT),  # Key Vault, App Configuration and the worker queue
        ],
    }
