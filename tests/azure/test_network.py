"""Azure network: subnets, NSG rules per subnet, PostgreSQL delegation, private DNS, NAT and VNet flow logs."""

from __future__ import annotations

import pytest

from components.config import ConfigError
from tests.azure.support import azure_plan
from tests.conftest import STACKS

NETWORK = "platform:azure:Network"
NSG = "azure-native:network:NetworkSecurityGroup"
SUBNET = "azure-native:network:Subnet"
SUBSCRIPTION = "/subscriptions/00000000-0000-0000-0000-000000000000"
PREFIXES = {"app": "10.2.1.0/24", "data": "10.2.2.0/24", "endpoints": "10.2.3.0/24"}  # 10.2.0.0/24 stays free
DR_PREFIXES = {"app": "10.3.1.0/24", "data": "10.3.2.0/24", "endpoints": "10.3.3.0/24"}
RETENTION = {"dev": 7, "staging": 30, "prod": 90}


def _in(p, network: str, type_: str) -> dict:
    """Resources of ``type_`` under the Network component called ``network``, by logical name."""
    return {r.name: r for r in p.children(NETWORK, network) if r.type == type_}


def _rules(p, network: str, subnet: str) -> list[tuple]:
    """(name, access, source, destination, ports, priority) of one NSG, in priority order."""
    rules = _in(p, network, NSG)[f"{network}-{subnet}-nsg"].inputs["securityRules"]
    assert all(r["direction"] == "Inbound" and r["sourcePortRange"] == "*" for r in rules)
    return [
        (r["name"], r["access"], r["sourceAddressPrefix"], r["destinationAddressPrefix"], r["destinationPortRange"],
         r["priority"])
        for r in sorted(rules, key=lambda r: r["priority"])
    ]  # fmt: skip


def _vnet_id(stack: str, network: str = "network", group: str = "") -> str:
    return (
        f"{SUBSCRIPTION}/resourceGroups/platform-{stack}{group}/providers/Microsoft.Network/virtualNetworks/"
        f"platform-{stack}-{network}"
    )


@pytest.mark.parametrize("stack", STACKS)
def test_nothing_takes_traffic_from_the_internet(plan, stack):
    p = azure_plan(plan, stack)
    for subnet in PREFIXES:
        assert all(rule[2] != "Internet" for rule in _rules(p, "network", subnet)), subnet
    assert not _in(p, "network", "azure-native:network:PublicIPAddress").keys() - {"network-nat-ip"}


@pytest.mark.parametrize("stack", STACKS)
def test_app_data_and_endpoint_subnets_accept_only_the_app_tier_then_deny_all(plan, stack):
    p = azure_plan(plan, stack)
    app, data, endpoints = PREFIXES["app"], PREFIXES["data"], PREFIXES["endpoints"]
    deny = ("deny-all-inbound", "Deny", "*", "*", "*", 4096)
    assert _rules(p, "network", "app") == [
        # Front Door, source-NATed by its Private Link service in the endpoints subnet, and the probes.
        ("app-from-front-door", "Allow", endpoints, app, "8080", 100),
        ("probes-from-load-balancer", "Allow", "AzureLoadBalancer", app, "8080", 110),
        ("app-from-app", "Allow", app, app, "8080", 120),
        deny,
    ]
    replication = [("postgres-replication", "Allow", data, data, "5432", 110)] if stack == "prod" else []
    assert _rules(p, "network", "data") == [("postgres-from-app", "Allow", app, data, "5432", 100), *replication, deny]
    # Redis on its TLS port; Key Vault and App Configuration on 443.
    assert _rules(p, "network", "endpoints") == [
        ("redis-from-app", "Allow", app, endpoints, "6380", 100),
        ("https-from-app", "Allow", app, endpoints, "443", 110),
        deny,
    ]
    for subnet in PREFIXES:
        priorities = [rule[-1] for rule in _rules(p, "network", subnet)]
        assert len(set(priorities)) == len(priorities)
        assert all(100 <= priority <= 4096 for priority in priorities)
    nsg = _in(p, "network", NSG)["network-data-nsg"]
    for rule in nsg.inputs["securityRules"]:
        if rule["access"] == "Allow":
            assert rule["protocol"] == "Tcp"
    assert nsg.inputs["tags"]["tier"] == "data" and nsg.inputs["tags"]["service"] == "network"


def test_ssh_only_from_configured_private_ranges(plan):
    p = azure_plan(plan, "dev", 'security.sshCidrs=["10.20.0.0/16", "10.30.1.0/24"]')
    app = PREFIXES["app"]
    assert _rules(p, "network", "app")[3:] == [
        ("ssh-from-private-0", "Allow", "10.20.0.0/16", app, "22", 130),
        ("ssh-from-private-1", "Allow", "10.30.1.0/24", app, "22", 140),
        ("deny-all-inbound", "Deny", "*", "*", "*", 4096),
    ]
    for subnet in ("data", "endpoints"):
        assert all(rule[4] != "22" for rule in _rules(p, "network", subnet))
    assert all(rule[4] != "22" for rule in _rules(azure_plan(plan, "dev"), "network", "app"))  # none by default


def test_ssh_from_outside_the_private_range_is_refused(plan):
    with pytest.raises(ConfigError) as error:
        azure_plan(plan, "dev", 'security.sshCidrs=["192.168.0.0/24"]')
    assert "platform:security.sshCidrs" in str(error.value)
    assert "192.168.0.0/24 is outside 10.0.0.0/8" in str(error.value)


@pytest.mark.parametrize("stack", STACKS)
def test_subnets_carry_their_nsg_and_only_data_is_delegated_to_postgres(plan, stack):
    p = azure_plan(plan, stack)
    subnets, groups = _in(p, "network", SUBNET), _in(p, "network", NSG)
    (nat,) = _in(p, "network", "azure-native:network:NatGateway").values()
    assert set(subnets) == {f"network-{s}" for s in PREFIXES}
    for name, prefix in PREFIXES.items():
        subnet = subnets[f"network-{name}"].inputs
        assert subnet["addressPrefix"] == prefix
        assert subnet["virtualNetworkName"] == f"platform-{stack}-network"
        assert subnet["networkSecurityGroup"]["id"].endswith(
            f"/networkSecurityGroups/{groups[f'network-{name}-nsg'].inputs['networkSecurityGroupName']}"
        )
        assert subnet["defaultOutboundAccess"] is False
        # Front Door's Private Link service takes its NAT addresses from the endpoints subnet.
        assert subnet.get("privateLinkServiceNetworkPolicies") == ("Disabled" if name == "endpoints" else "Enabled")
        assert ("natGateway" in subnet) == (name == "app")
        delegations = subnet.get("delegations", [])
        if name == "data":
            assert delegations == [{"name": "postgres", "serviceName": "Microsoft.DBforPostgreSQL/flexibleServers"}]
        else:
            assert delegations == []
    assert subnets["network-app"].inputs["natGateway"]["id"].endswith(f"/natGateways/{nat.inputs['natGatewayName']}")
    (address,) = _in(p, "network", "azure-native:network:PublicIPAddress").values()
    assert address.inputs["sku"] == {"name": "Standard"} and address.inputs["zones"] == ["1", "2", "3"]
    assert nat.property_dependencies["publicIpAddresses"] == [address.urn]


@pytest.mark.parametrize("stack", STACKS)
def test_private_dns_zones_are_linked_to_the_vnet(plan, stack):
    p = azure_plan(plan, stack)
    zones = {
        z.name: z.inputs["privateZoneName"] for z in _in(p, "network", "azure-native:privatedns:PrivateZone").values()
    }
    assert zones == {
        "network-postgres-zone": f"platform-{stack}-network.private.postgres.database.azure.com",
        "network-redis-zone": "privatelink.redis.cache.windows.net",
        "network-vault-zone": "privatelink.vaultcore.azure.net",
        "network-flags-zone": "privatelink.azconfig.io",
        "network-queue-zone": "privatelink.queue.core.windows.net",
    }
    links = _in(p, "network", "azure-native:privatedns:VirtualNetworkLink")
    assert {link.inputs["privateZoneName"] for link in links.values()} == set(zones.values())
    for link in links.values():
        assert link.inputs["virtualNetwork"] == {"id": _vnet_id(stack)}
        assert link.inputs["registrationEnabled"] is False
    database = p.named("azure-native:dbforpostgresql:Server", "database-server").inputs["network"]
    assert database["privateDnsZoneArmResourceId"].endswith(f"/privateDnsZones/{zones['network-postgres-zone']}")
    assert database["delegatedSubnetResourceId"].endswith(
        "/virtualNetworks/platform-" + stack + "-network/subnets/data"
    )


@pytest.mark.parametrize("stack", STACKS)
def test_vnet_flow_log_in_the_regional_watcher_with_retention_and_traffic_analytics(plan, stack):
    p = azure_plan(plan, stack)
    (flow_log,) = _in(p, "network", "azure-native:network:FlowLog").values()
    inputs = flow_log.inputs
    assert inputs["targetResourceId"] == _vnet_id(stack)  # the VNet, not an NSG (NSG flow logs are retired)
    assert (inputs["resourceGroupName"], inputs["networkWatcherName"]) == ("NetworkWatcherRG", "NetworkWatcher_eastus")
    assert inputs["location"] == "eastus" and inputs["enabled"] is True
    assert inputs["format"] == {"type": "JSON", "version": 2}
    assert inputs["retentionPolicy"] == {"days": RETENTION[stack], "enabled": True}
    account = p.named("azure-native:storage:StorageAccount", "storage-flowlogs").inputs["accountName"]
    assert inputs["storageId"].endswith(f"/storageAccounts/{account}")
    analytics = inputs["flowAnalyticsConfiguration"]["networkWatcherFlowAnalyticsConfiguration"]
    workspace = p.named("azure-native:operationalinsights:Workspace", "monitoring-app")
    assert analytics["enabled"] is True
    assert analytics["workspaceResourceId"].endswith(f"/workspaces/{workspace.inputs['workspaceName']}")
    assert analytics["workspaceRegion"] == "eastus"


def test_flow_log_retention_follows_config(plan):
    p = azure_plan(plan, "dev", "logging.appRetentionDays=14")
    (flow_log,) = _in(p, "network", "azure-native:network:FlowLog").values()
    assert flow_log.inputs["retentionPolicy"]["days"] == 14


@pytest.mark.parametrize("stack", STACKS)
def test_dr_network_only_in_prod_and_private(plan, stack):
    p = azure_plan(plan, stack)
    dr = {r.name: r for r in p.children(NETWORK, "dr-network")}
    if stack != "prod":
        assert dr == {}
        return
    subnets = _in(p, "dr-network", SUBNET)
    assert {name: s.inputs["addressPrefix"] for name, s in subnets.items()} == {
        f"dr-network-{s}": prefix for s, prefix in DR_PREFIXES.items()
    }
    assert not _in(p, "dr-network", "azure-native:network:NatGateway")
    assert not _in(p, "dr-network", "azure-native:network:PublicIPAddress")
    for subnet in DR_PREFIXES:
        assert all(rule[2] != "Internet" for rule in _rules(p, "dr-network", subnet))
    assert [rule[0] for rule in _rules(p, "dr-network", "app")] == ["app-from-app", "deny-all-inbound"]
    (flow_log,) = _in(p, "dr-network", "azure-native:network:FlowLog").values()
    assert flow_log.inputs["targetResourceId"] == _vnet_id("prod", "dr-network", "-dr")
    assert flow_log.inputs["networkWatcherName"] == "NetworkWatcher_westus"
    assert flow_log.inputs["location"] == "westus"
    # Azure wants the flow log's storage account in the VNet's region: the DR one, not the primary's.
    account = p.named("azure-native:storage:StorageAccount", "storage-flowlogs-dr")
    assert account.inputs["location"] == "westus"
    assert flow_log.property_dependencies["storageId"] == [account.urn]
    assert flow_log.inputs["storageId"].endswith(f"/storageAccounts/{account.inputs['accountName']}")
    replica = p.named("azure-native:dbforpostgresql:Server", "database-replica-server").inputs["network"]
    assert replica["delegatedSubnetResourceId"].endswith("/virtualNetworks/platform-prod-dr-network/subnets/data")
