"""The pack's Azure coverage: every rule on compliant and non-compliant azure-native inputs (and the label
reading shared with GCP), stack rules matching by ARM id, and the per-environment size lists against the
program's Azure defaults."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pulumi_azure_native
import pytest

from components import config
from policies.rules import backups, base, defaults, encryption, limits, network, resilience, retention, stack, tags

from .support import check, check_stack, resource

SDK = Path(pulumi_azure_native.__file__).resolve().parent
CONFIG_DIR = Path(__file__).resolve().parents[2] / "policies" / "config"
TAGS = {"environment": "prod", "service": "web", "owner": "o", "cost-center": "c", "managed-by": "pulumi"}
GROUP = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/platform-prod"
KEY = "https://platprodkeys.vault.azure.net/keys/data/0123456789abcdef0123456789abcdef"
DES = f"{GROUP}/providers/Microsoft.Compute/diskEncryptionSets/disks"
VMSS = "azure-native:compute:VirtualMachineScaleSet"
POSTGRES = "azure-native:dbforpostgresql:Server"
REDIS = "azure-native:redis:Redis"
STORAGE = "azure-native:storage:StorageAccount"
VAULT = "azure-native:keyvault:Vault"
GATEWAY = "azure-native:network:ApplicationGateway"
NSG = "azure-native:network:NetworkSecurityGroup"


def os_disk(encryption_set: str | None) -> dict[str, Any]:
    managed = {"diskEncryptionSet": {"id": encryption_set}} if encryption_set else {}
    return {"virtualMachineProfile": {"storageProfile": {"osDisk": {"managedDisk": managed}}}}


def nsg_rule(source: str, port: str, access: str = "Allow") -> dict[str, Any]:
    return {
        "securityRules": [
            {
                "name": "r",
                "direction": "Inbound",
                "access": access,
                "protocol": "Tcp",
                "sourceAddressPrefix": source,
                "destinationPortRange": port,
            }
        ]
    }


def gateway(policy: dict[str, Any], http_rule: dict[str, Any] | None = None) -> dict[str, Any]:
    listeners = f"{GROUP}/providers/Microsoft.Network/applicationGateways/gw/httpListeners"
    return {
        "sslPolicy": policy,
        "httpListeners": [{"name": "http", "protocol": "Http"}, {"name": "https", "protocol": "Https"}],
        "requestRoutingRules": [
            {"name": "https", "httpListener": {"id": f"{listeners}/https"}, "urlPathMap": {"id": "m"}},
            {"name": "http", "httpListener": {"id": f"{listeners}/http"}, **(http_rule or {})},
        ],
    }


REDIRECT = {"redirectConfiguration": {"id": "redirect"}}
PREDEFINED = {"policyType": "Predefined", "policyName": "AppGwSslPolicy20220101S"}

# (policy, type, compliant inputs, non-compliant inputs, part of the expected message)
CASES: list[tuple[Any, str, dict[str, Any], dict[str, Any], str]] = [
    (
        encryption.encryption_at_rest,
        POSTGRES,
        {"dataEncryption": {"type": "AzureKeyVault", "primaryKeyURI": KEY}},
        {"dataEncryption": {"type": "SystemManaged"}},
        "dataEncryption.type is 'SystemManaged'; must be AzureKeyVault",
    ),
    (
        encryption.encryption_at_rest,
        VMSS,
        os_disk(DES),
        os_disk(None),
        "osDisk.managedDisk.diskEncryptionSet.id is None; must be set",
    ),
    (
        encryption.encryption_at_rest,
        "azure-native:compute:DiskEncryptionSet",
        {"encryptionType": "EncryptionAtRestWithCustomerKey", "activeKey": {"keyUrl": KEY}},
        {"encryptionType": "ConfidentialVmEncryptedWithCustomerKey"},
        "activeKey.keyUrl is None",
    ),
    (
        encryption.encryption_at_rest,
        "azure-native:appconfiguration:ConfigurationStore",
        {"encryption": {"keyVaultProperties": {"keyIdentifier": KEY}}},
        {},
        "encryption.keyVaultProperties.keyIdentifier",
    ),
    (
        encryption.key_rotation,
        "azure-native:keyvault:Key",
        {
            "properties": {
                "rotationPolicy": {
                    "lifetimeActions": [{"trigger": {"timeAfterCreate": "P30D"}, "action": {"type": "rotate"}}]
                }
            }
        },
        {
            "properties": {
                "rotationPolicy": {
                    "lifetimeActions": [{"trigger": {"timeAfterCreate": "P3M"}, "action": {"type": "Rotate"}}]
                }
            }
        },
        "rotates every 90 days; must be at most 30 days",
    ),
    (
        encryption.key_rotation,
        "azure-native:compute:DiskEncryptionSet",
        {"rotationToLatestKeyVersionEnabled": True},
        {},
        "rotationToLatestKeyVersionEnabled is None; must be True",
    ),
    (
        encryption.encryption_in_transit,
        REDIS,
        {"enableNonSslPort": False, "minimumTlsVersion": "1.2"},
        {"enableNonSslPort": True, "minimumTlsVersion": "1.2"},
        "enableNonSslPort is True; must be False",
    ),
    (
        encryption.encryption_in_transit,
        REDIS,
        {"minimumTlsVersion": "1.2"},
        {"minimumTlsVersion": "1.0"},
        "minimumTlsVersion is '1.0'",
    ),
    (
        encryption.encryption_in_transit,
        STORAGE,
        {"minimumTlsVersion": "TLS1_2", "enableHttpsTrafficOnly": True},
        {"minimumTlsVersion": "TLS1_1", "enableHttpsTrafficOnly": True},
        "minimumTlsVersion is 'TLS1_1'",
    ),
    (
        encryption.encryption_in_transit,
        "azure-native:dbforpostgresql:Configuration",
        {"configurationName": "ssl_min_protocol_version", "value": "TLSv1.3"},
        {"configurationName": "ssl_min_protocol_version", "value": "TLSv1.1"},
        "ssl_min_protocol_version is 'TLSv1.1'; must be TLSv1.2 or later",
    ),
    (
        encryption.encryption_in_transit,
        "azure-native:dbforpostgresql:Configuration",
        {"configurationName": "require_secure_transport", "value": "ON"},
        {"configurationName": "require_secure_transport", "value": "off"},
        "require_secure_transport must be on",
    ),
    (
        encryption.tls_listeners,
        GATEWAY,
        gateway(PREDEFINED, REDIRECT),
        gateway({"policyType": "Predefined", "policyName": "AppGwSslPolicy20170401S"}, REDIRECT),
        "sslPolicy 'AppGwSslPolicy20170401S' is not one of AppGwSslPolicy20220101, AppGwSslPolicy20220101S",
    ),
    (
        encryption.tls_listeners,
        GATEWAY,
        gateway({"policyType": "CustomV2", "minProtocolVersion": "TLSv1_3"}, REDIRECT),
        gateway({"policyType": "CustomV2", "minProtocolVersion": "TLSv1_1"}, REDIRECT),
        "CustomV2 minProtocolVersion 'TLSv1_1' is below TLS 1.2",
    ),
    (encryption.tls_listeners, GATEWAY, gateway(PREDEFINED, REDIRECT), gateway({}, REDIRECT), "'(default)'"),
    (
        encryption.tls_listeners,
        GATEWAY,
        gateway(PREDEFINED, REDIRECT),
        gateway(PREDEFINED, {"backendAddressPool": {"id": "web-blue"}}),
        "routing rule http forwards plain HTTP; it must redirect to HTTPS",
    ),
    (
        encryption.key_vault_purge_protection,
        VAULT,
        {"properties": {"enablePurgeProtection": True}},
        {"properties": {"enablePurgeProtection": True, "enableSoftDelete": False}},
        "enableSoftDelete is False",
    ),
    (
        encryption.key_vault_purge_protection,
        VAULT,
        {"properties": {"enableSoftDelete": True, "enablePurgeProtection": True}},
        {"properties": {"enableSoftDelete": True}},
        "enablePurgeProtection is None; must be True",
    ),
    (
        network.no_public_data_stores,
        REDIS,
        {"publicNetworkAccess": "Disabled"},
        {"publicNetworkAccess": "Enabled"},
        "publicNetworkAccess is 'Enabled'",
    ),
    (
        network.no_public_data_stores,
        POSTGRES,
        {"network": {"publicNetworkAccess": "Disabled"}},
        {"network": {"publicNetworkAccess": "Enabled"}},
        "network.publicNetworkAccess is 'Enabled'",
    ),
    (
        network.no_public_data_stores,
        STORAGE,
        {"publicNetworkAccess": "Enabled", "networkRuleSet": {"defaultAction": "Deny"}},
        {"publicNetworkAccess": "Enabled", "networkRuleSet": {"defaultAction": "Allow"}},
        "publicNetworkAccess is not Disabled and networkRuleSet.defaultAction is not Deny",
    ),
    (
        network.no_public_data_stores,
        STORAGE,
        {"publicNetworkAccess": "Disabled", "allowBlobPublicAccess": False},
        {"publicNetworkAccess": "Disabled", "allowBlobPublicAccess": True},
        "allowBlobPublicAccess is True",
    ),
    (
        network.no_public_data_stores,
        VAULT,
        {"properties": {"publicNetworkAccess": "Disabled"}},
        {"properties": {"networkAcls": {"defaultAction": "Allow"}}},
        "properties.networkAcls.defaultAction is not Deny",
    ),
    (
        # A keys-only vault for services a closed vault refuses: tagged, RBAC and purge protection, or refused.
        network.no_public_data_stores,
        VAULT,
        {
            "tags": {"network-exception": "cmk-for-services-outside-trusted-services"},
            "properties": {
                "publicNetworkAccess": "Enabled",
                "networkAcls": {"defaultAction": "Allow"},
                "enableRbacAuthorization": True,
                "enablePurgeProtection": True,
            },
        },
        {
            "tags": {"network-exception": "cmk-for-services-outside-trusted-services"},
            "properties": {
                "publicNetworkAccess": "Enabled",
                "networkAcls": {"defaultAction": "Allow"},
                "enableRbacAuthorization": False,
                "enablePurgeProtection": True,
            },
        },
        "properties.networkAcls.defaultAction is not Deny",
    ),
    (
        network.restricted_ingress,
        NSG,
        nsg_rule("Internet", "443"),
        nsg_rule("Internet", "22"),
        "SSH is open to Internet",
    ),
    (network.restricted_ingress, NSG, nsg_rule("*", "3389", "Deny"), nsg_rule("*", "3389"), "3389-3389 are open to *"),
    (network.restricted_ingress, NSG, nsg_rule("10.2.1.0/24", "22"), nsg_rule("VirtualNetwork", "22"), "SSH is open"),
    (
        network.restricted_ingress,
        "azure-native:network:SecurityRule",
        nsg_rule("AzureLoadBalancer", "*")["securityRules"][0],
        nsg_rule("GatewayManager", "*")["securityRules"][0],
        "SSH is open to GatewayManager",
    ),
    (
        limits.autoscaling_max_size,
        "azure-native:monitor:AutoscaleSetting",
        {"tags": {"tier": "api"}, "profiles": [{"capacity": {"minimum": "3", "maximum": "15"}}]},
        {"tags": {"tier": "api"}, "profiles": [{"capacity": {"minimum": "3", "maximum": "16"}}]},
        "maximum 16 exceeds api's cap of 15",
    ),
    (
        limits.database_storage_cap,
        POSTGRES,
        {"storage": {"storageSizeGB": 2000}},
        {"storage": {"storageSizeGB": 4096}},
        "storage.storageSizeGB = 4096 GB exceeds the cap of 2000 GB",
    ),
    (
        backups.backup_retention,
        POSTGRES,
        {"backup": {"backupRetentionDays": 7}},
        {"backup": {"backupRetentionDays": 3}},
        "backup.backupRetentionDays is 3 days; must be at least 7 days",
    ),
    (
        backups.backup_retention,
        POSTGRES,
        {"createMode": "Replica", "sourceServerResourceId": "primary"},
        {"createMode": "PointInTimeRestore", "sourceServerResourceId": "primary", "backup": {"backupRetentionDays": 1}},
        "must be at least 7 days",
    ),
    (
        backups.backup_retention,
        "azure-native:dataprotection:BackupPolicy",
        {"properties": {"policyRules": [{"lifecycles": [{"deleteAfter": {"duration": "P30D"}}]}, {"name": "daily"}]}},
        {"properties": {"policyRules": [{"lifecycles": [{"deleteAfter": {"duration": "P3D"}}]}]}},
        "deleteAfter.duration is 3 days",
    ),
    (
        backups.point_in_time_recovery,
        POSTGRES,
        {"backup": {"backupRetentionDays": 7}},
        {"backup": {"backupRetentionDays": 5}},
        "point-in-time window backup.backupRetentionDays is 5",
    ),
    (
        resilience.zone_redundancy,
        POSTGRES,
        {"highAvailability": {"mode": "ZoneRedundant"}},
        {"highAvailability": {"mode": "SameZone"}},
        "highAvailability.mode is 'SameZone'",
    ),
    (resilience.zone_redundancy, VMSS, {"zones": ["1", "2", "3"]}, {"zones": ["1"]}, "zones spans 1 zone(s)"),
    (resilience.zone_redundancy, REDIS, {"zones": ["1", "2"]}, {}, "zones spans 0 zone(s)"),
    (
        resilience.zone_redundancy,
        STORAGE,
        {"sku": {"name": "Standard_RAGZRS"}},
        {"sku": {"name": "Standard_GRS"}},
        "sku.name is 'Standard_GRS'",
    ),
    (
        retention.log_retention,
        "azure-native:operationalinsights:Workspace",
        {"workspaceName": "platform-prod-audit", "retentionInDays": 365},
        {"workspaceName": "platform-prod-audit", "retentionInDays": 90},
        "audit logs kept 90 days; must be at least 365",
    ),
    (
        retention.log_retention,
        "azure-native:network:FlowLog",
        {"retentionPolicy": {"enabled": True, "days": 90}},
        {"retentionPolicy": {"enabled": True, "days": 30}},
        "application logs kept 30 days; must be at least 90",
    ),
    (tags.required_tags, REDIS, {"tags": TAGS}, {"tags": {"environment": "prod"}}, "missing tags service"),
    (tags.required_tags, "azure-native:monitor:MetricAlert", {"tags": TAGS}, {}, "missing tags environment"),
    (
        tags.required_tags,
        "gcp:compute/instance:Instance",
        {"tags": ["web", "allow-health-checks"], "labels": TAGS},
        {"tags": ["web"], "labels": {"environment": "prod"}},
        "missing tags service, owner, cost-center, managed-by",
    ),
]


@pytest.mark.parametrize(
    ("policy", "type_", "good", "bad", "expected"), CASES, ids=[f"{c[0].name}:{c[1]}:{i}" for i, c in enumerate(CASES)]
)
def test_rule(policy: Any, type_: str, good: dict[str, Any], bad: dict[str, Any], expected: str) -> None:
    assert check(policy, type_, good) == []
    messages = check(policy, type_, bad)
    assert any(expected in m for m in messages), messages


def test_labels_are_read_per_provider() -> None:
    assert base.labels({"tags": ["web"], "labels": {"tier": "web"}}, "gcp:compute/instance:Instance") == {"tier": "web"}
    assert base.labels({"tags": {"tier": "api"}}, "gcp:compute/instance:Instance") == {}
    assert base.labels({"tags": [{"key": "tier", "value": "worker"}]}, "aws:autoscaling/group:Group") == {
        "tier": "worker"
    }
    assert base.labels({"tags": {"tier": "web"}, "labels": {"tier": "api"}}, VMSS) == {"tier": "web"}
    assert base.tier_of({"tags": ["api"], "labels": {"tier": "worker"}}, "gcp:x:Y", "web-x", defaults.TIERS) == "worker"


@pytest.mark.parametrize("policy", [resilience.deletion_protection])
@pytest.mark.parametrize("type_", [POSTGRES, REDIS, STORAGE, VAULT, GATEWAY, "azure-native:dataprotection:BackupVault"])
def test_prod_data_is_protected(policy: Any, type_: str) -> None:
    assert check(policy, type_, {}, protect=True) == []
    assert check(policy, type_, {}) == ["r: not protected (protect=True) against an accidental delete."]


def sized(type_: str, size: str) -> dict[str, Any]:
    """Inputs of a scale set / PostgreSQL server / Redis cache of ``size`` (Redis: ``Premium_P1``)."""
    if type_ != REDIS:
        return {"sku": {"name": size}}
    name, family_capacity = size.split("_")
    return {"sku": {"name": name, "family": family_capacity[0], "capacity": int(family_capacity[1:])}}


def default_sizes(environment: str) -> list[tuple[str, str]]:
    """The sizes the program's Azure defaults give an environment: scale sets, PostgreSQL and Redis."""
    azure = config.profile(environment).azure
    family = "P" if azure.redis_sku == "Premium" else "C"
    return [
        *((VMSS, size) for size in azure.vm_sizes.values()),
        (POSTGRES, azure.postgres_sku),
        (REDIS, f"{azure.redis_sku}_{family}{azure.redis_capacity}"),
    ]


# Per environment: sizes one step beyond what it allows.
OVERSIZED = {
    "dev": [(VMSS, "Standard_D4s_v5"), (POSTGRES, "Standard_D4ds_v5"), (REDIS, "Premium_P1")],
    "staging": [(VMSS, "Standard_D8s_v5"), (POSTGRES, "Standard_D8ds_v5"), (REDIS, "Premium_P2")],
    "prod": [(VMSS, "Standard_D16s_v5"), (POSTGRES, "Standard_D16ds_v5"), (REDIS, "Premium_P3")],
}


@pytest.mark.parametrize("environment", ["dev", "staging", "prod"])
def test_allowed_sizes_fit_the_azure_defaults(environment: str) -> None:
    allowed = json.loads((CONFIG_DIR / f"{environment}.json").read_text())["allowed-sizes"]
    for type_, size in default_sizes(environment):
        assert check(limits.allowed_sizes, type_, sized(type_, size), allowed) == [], size
    for type_, size in OVERSIZED[environment]:
        assert check(limits.allowed_sizes, type_, sized(type_, size), allowed) == [
            f"r: size {size!r} is not allowed in this environment."
        ]


def _azure_tokens() -> set[str]:
    """Every azure-native type the pack's rule tables name."""
    found: set[str] = set()
    for module in (backups, base, encryption, limits, network, resilience, retention, stack, tags):
        for value in vars(module).values():
            if isinstance(value, (dict, set, frozenset)):
                found |= {k for k in value if isinstance(k, str) and k.startswith("azure-native:")}
    return found


def test_every_azure_type_exists_in_the_sdk() -> None:
    tokens = _azure_tokens()
    assert {REDIS, "azure-native:monitor:AutoscaleSetting", "azure-native:monitor:MetricAlert"} <= tokens
    missing = [
        token
        for token in sorted(tokens)
        if not any(f'"{token}"' in f.read_text() for f in (SDK / token.split(":")[1]).glob("*.py"))
    ]
    assert missing == []
    assert not any(re.match(r"azure-native:(cache|insights):", t) for t in tokens)


# --- stack rules: Azure resources name each other by ARM id -------------------------------------------


def scale_set(name: str = "web-blue") -> Any:
    return resource(VMSS, name, {"resourceGroupName": "platform-prod", "vmScaleSetName": f"platform-prod-{name}"})


def vmss_id(name: str = "web-blue") -> str:
    return f"{GROUP}/providers/Microsoft.Compute/virtualMachineScaleSets/platform-prod-{name}"


def test_scale_set_covered_by_autoscale_target_and_alert_scope() -> None:
    group = scale_set()
    queue = f"{GROUP}/providers/Microsoft.Storage/storageAccounts/q/queueServices/default/queues/work"
    rules = [{"metricTrigger": {"metricResourceUri": vmss_id()}}]
    autoscale = resource(
        "azure-native:monitor:AutoscaleSetting",
        "autoscale",
        {
            "targetResourceUri": vmss_id().upper(),
            "profiles": [{"rules": [{"metricTrigger": {"metricResourceUri": queue}}]}],
        },
    )
    alert = resource("azure-native:monitor:MetricAlert", "cpu", {"scopes": [vmss_id()]})
    assert check_stack(stack.autoscaling_policies_and_alarms, [group, autoscale, alert]) == []
    assert check_stack(stack.autoscaling_policies_and_alarms, [group]) == [
        "web-blue: no scaling policy.",
        "web-blue: no alarm.",
    ]
    # Watching the scale set's metrics while scaling another group, or alerting on another set, does not count.
    elsewhere = resource(
        "azure-native:monitor:AutoscaleSetting",
        "other",
        {"targetResourceUri": vmss_id("web-green"), "profiles": [{"rules": rules}]},
    )
    other_alert = resource("azure-native:monitor:MetricAlert", "cpu", {"scopes": [vmss_id("web-green")]})
    assert check_stack(stack.autoscaling_policies_and_alarms, [group, elsewhere, other_alert]) == [
        "web-blue: no scaling policy.",
        "web-blue: no alarm.",
    ]


def test_scale_set_covered_when_id_is_unknown_at_preview() -> None:
    group = scale_set()
    autoscale = resource("azure-native:monitor:AutoscaleSetting", "autoscale", {"targetResourceUri": None})
    alert = resource("azure-native:monitor:MetricAlert", "cpu", {"scopes": [None]})
    autoscale.property_dependencies["targetResourceUri"] = [group]
    alert.property_dependencies["scopes"] = [group]
    assert check_stack(stack.autoscaling_policies_and_alarms, [group, autoscale, alert]) == []


def server(name: str, group: str = "platform-prod", **props: Any) -> Any:
    return resource(POSTGRES, name, {"resourceGroupName": group, "serverName": f"platform-prod-{name}", **props})


def server_id(name: str, group: str = "platform-prod") -> str:
    servers = f"/subscriptions/0/resourceGroups/{group}/providers/Microsoft.DBforPostgreSQL/flexibleServers"
    return f"{servers}/platform-prod-{name}"


def backup_instance(resource_id: str) -> Any:
    props = {"properties": {"dataSourceInfo": {"resourceID": resource_id}, "dataSourceSetInfo": {"resourceID": "x"}}}
    return resource("azure-native:dataprotection:BackupInstance", "backup", props)


def test_postgres_backup_plan_by_data_source_id() -> None:
    db = server("postgres", location="eastus")
    replica = server("dr", "platform-prod-dr", createMode="Replica", sourceServerResourceId=server_id("postgres"))
    assert check_stack(stack.prod_database_backup_plan, [db, replica, backup_instance(server_id("postgres"))]) == []
    assert check_stack(stack.prod_database_backup_plan, [db, backup_instance(server_id("other"))]) == [
        "postgres: not in any backup plan."
    ]
    # Naming the server anywhere else (the data source set) is not backing it up.
    elsewhere = backup_instance(server_id("other"))
    elsewhere.props["properties"]["dataSourceSetInfo"]["resourceID"] = server_id("postgres")
    assert check_stack(stack.prod_database_backup_plan, [db, elsewhere]) == ["postgres: not in any backup plan."]


def test_postgres_cross_region_replica_by_source_id() -> None:
    db = server("postgres", location="eastus")
    same_region = server("copy", createMode="Replica", sourceServerResourceId=server_id("postgres"), location="eastus")
    assert check_stack(stack.prod_database_cross_region_replica, [db, same_region]) == [
        "postgres: no replica in another region."
    ]
    dr = server(
        "dr", "platform-prod-dr", createMode="Replica", sourceServerResourceId=server_id("postgres"), location="westus2"
    )
    assert check_stack(stack.prod_database_cross_region_replica, [db, dr]) == []


def test_blue_green_on_application_gateway_and_gcp_url_map() -> None:
    pools = [{"name": n} for n in ("web-blue", "web-green", "api-blue")]
    gw = resource(GATEWAY, "gateway", {"backendAddressPools": pools})
    assert check_stack(stack.blue_green_both_colours, [gw]) == ["gateway: forwards only to blue."]
    gw.props["backendAddressPools"].append({"name": "api-green"})
    assert check_stack(stack.blue_green_both_colours, [gw]) == []

    services = "projects/p/global/backendServices/platform-prod-"
    weighted = [{"backendService": f"{services}web-blue", "weight": 100}, {"backendService": f"{services}web-green"}]
    url_map = resource(
        "gcp:compute/uRLMap:URLMap",
        "https",
        {
            "defaultRouteAction": {"weightedBackendServices": weighted},
            "pathMatchers": [{"pathRules": [{"routeAction": {"weightedBackendServices": weighted[1:]}}]}],
        },
    )
    assert check_stack(stack.blue_green_both_colours, [url_map]) == ["https: forwards only to green."]
    url_map.props["pathMatchers"][0]["pathRules"][0]["routeAction"]["weightedBackendServices"] = weighted
    assert check_stack(stack.blue_green_both_colours, [url_map]) == []


def test_blue_green_on_front_door_origin_groups() -> None:
    where = {"profileName": "platform-prod-edge", "resourceGroupName": "platform-prod"}
    group = resource("azure-native:cdn:AFDOriginGroup", "web", {**where, "originGroupName": "web"})
    blue = resource("azure-native:cdn:AFDOrigin", "web-blue", {**where, "originGroupName": "web", "originName": "blue"})
    other = resource(
        "azure-native:cdn:AFDOrigin", "api-green", {**where, "originGroupName": "api", "originName": "green"}
    )
    assert check_stack(stack.blue_green_both_colours, [group, blue, other]) == ["web: forwards only to blue."]
    green = resource(
        "azure-native:cdn:AFDOrigin", "web-green", {**where, "originGroupName": "web", "originName": "green"}
    )
    assert check_stack(stack.blue_green_both_colours, [group, blue, green, other]) == []


def subnet(name: str, nsg: str) -> Any:
    props = {
        "resourceGroupName": "platform-prod",
        "virtualNetworkName": "platform-prod-network",
        "subnetName": name,
        "networkSecurityGroup": {"id": f"{GROUP}/providers/Microsoft.Network/networkSecurityGroups/{nsg}"},
    }
    return resource("azure-native:network:Subnet", name, props)


def test_public_nsg_only_on_the_gateway_subnet() -> None:
    public = nsg_rule("Internet", "443")
    gateway_nsg = resource(
        NSG, "gateway-nsg", {"resourceGroupName": "platform-prod", "networkSecurityGroupName": "gw", **public}
    )
    app_nsg = resource(
        NSG, "app-nsg", {"resourceGroupName": "platform-prod", "networkSecurityGroupName": "app", **public}
    )
    subnets = [subnet("gateway", "gw"), subnet("app", "app")]
    gateway_subnet = f"{GROUP}/providers/Microsoft.Network/virtualNetworks/platform-prod-network/subnets/gateway"
    gw = resource(GATEWAY, "gateway", {"gatewayIPConfigurations": [{"name": "g", "subnet": {"id": gateway_subnet}}]})
    assert check_stack(network.public_ingress_only_on_load_balancers, [gateway_nsg, app_nsg, *subnets, gw]) == [
        "app-nsg: accepts traffic from anywhere but no load balancer uses it."
    ]
    rule = resource(
        "azure-native:network:SecurityRule",
        "app-https",
        {"resourceGroupName": "platform-prod", "networkSecurityGroupName": "app", **public["securityRules"][0]},
    )
    private_app = resource(NSG, "app-nsg", {"resourceGroupName": "platform-prod", "networkSecurityGroupName": "app"})
    assert check_stack(network.public_ingress_only_on_load_balancers, [private_app, rule, *subnets, gw]) == [
        "app-https: accepts traffic from anywhere but no load balancer uses it."
    ]
