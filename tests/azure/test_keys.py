"""Key Vault, the customer-managed key and its rotation, the identity that uses it, the disk encryption set."""

from __future__ import annotations

import pytest

from components.azure.common import ROLES
from components.config import ConfigError
from tests.azure.support import azure_plan
from tests.conftest import STACKS

KEYS = "platform:azure:Keys"
VAULT = "azure-native:keyvault:Vault"
KEY = "azure-native:keyvault:Key"
ASSIGNMENT = "azure-native:authorization:RoleAssignment"
ENDPOINT = "azure-native:network:PrivateEndpoint"
SUBSCRIPTION = "/subscriptions/00000000-0000-0000-0000-000000000000"


def _in(p, component: str, type_: str):
    (resource,) = [r for r in p.children(KEYS, component) if r.type == type_]
    return resource


def _vault_id(vault, group: str) -> str:
    return f"{SUBSCRIPTION}/resourceGroups/{group}/providers/Microsoft.KeyVault/vaults/{vault.inputs['vaultName']}"


@pytest.mark.parametrize("stack", STACKS)
def test_vault_uses_rbac_keeps_deleted_keys_and_refuses_public_traffic(plan, stack):
    p = azure_plan(plan, stack)
    vault = _in(p, "keys", VAULT)
    props = vault.inputs["properties"]
    assert props["sku"] == {"family": "A", "name": "premium"}
    assert props["enableRbacAuthorization"] is True
    assert props["enablePurgeProtection"] is True
    assert (props["enableSoftDelete"], props["softDeleteRetentionInDays"]) == (True, 90)
    assert props["publicNetworkAccess"] == "Disabled"
    assert props["networkAcls"] == {"defaultAction": "Deny", "bypass": "AzureServices"}
    assert "accessPolicies" not in props  # RBAC only
    assert props["tenantId"] == "11111111-1111-1111-1111-111111111111"
    assert vault.inputs["location"] == "eastus" and vault.inputs["resourceGroupName"] == f"platform-{stack}"
    assert vault.inputs["tags"]["service"] == "keys" and vault.inputs["tags"]["environment"] == stack
    assert vault.protect is (stack == "prod")


@pytest.mark.parametrize("stack", STACKS)
def test_data_key_is_hsm_rsa_3072_and_rotates_every_30_days(plan, stack):
    p = azure_plan(plan, stack)
    key, vault = _in(p, "keys", KEY), _in(p, "keys", VAULT)
    assert key.inputs["vaultName"] == vault.inputs["vaultName"]
    assert vault.urn in key.dependencies  # created once the vault exists
    props = key.inputs["properties"]
    assert (props["kty"], props["keySize"]) == ("RSA-HSM", 3072)
    assert props["keyOps"] == ["wrapKey", "unwrapKey"]
    assert props["rotationPolicy"] == {
        "attributes": {"expiryTime": "P90D"},
        "lifetimeActions": [
            {"trigger": {"timeAfterCreate": "P30D"}, "action": {"type": "rotate"}},
            {"trigger": {"timeBeforeExpiry": "P7D"}, "action": {"type": "notify"}},
        ],
    }
    assert key.protect is (stack == "prod")


def test_standard_vault_holds_software_rsa_keys(plan):
    p = azure_plan(plan, "dev", "azure.keyVaultSku=standard")
    assert _in(p, "keys", VAULT).inputs["properties"]["sku"]["name"] == "standard"
    assert _in(p, "keys", KEY).inputs["properties"]["kty"] == "RSA"


@pytest.mark.parametrize(("days", "expected"), [("3", "P7D"), ("60", "P60D")])
def test_rotation_follows_config_but_never_below_key_vaults_7_days(plan, days, expected):
    key = _in(azure_plan(plan, "dev", f"security.keyRotationDays={days}"), "keys", KEY)
    assert key.inputs["properties"]["rotationPolicy"]["lifetimeActions"][0]["trigger"]["timeAfterCreate"] == expected


def test_expiry_follows_config(plan):
    key = _in(azure_plan(plan, "dev", "azure.keyExpiryDays=37"), "keys", KEY)
    assert key.inputs["properties"]["rotationPolicy"]["attributes"] == {"expiryTime": "P37D"}


@pytest.mark.parametrize(
    ("override", "expected"),
    [
        ("azure.keyExpiryDays=36", "azure.keyExpiryDays = 36: must be at least 37 (security.keyRotationDays 30 + 7)"),
        ("azure.keyExpiryDays=20", 'platform:azure.keyExpiryDays = "20": Input should be greater than or equal to 28'),
        ("azure.keyVaultSku=basic", "platform:azure.keyVaultSku = \"basic\": Input should be 'standard' or 'premium'"),
    ],
)
def test_key_settings_key_vault_refuses_are_refused(plan, override, expected):
    with pytest.raises(ConfigError) as error:
        azure_plan(plan, "dev", override)
    assert expected in str(error.value)


@pytest.mark.parametrize("stack", STACKS)
def test_identity_may_use_the_vaults_keys_for_encryption_only(plan, stack):
    p = azure_plan(plan, stack)
    vault, identity = _in(p, "keys", VAULT), _in(p, "keys", "azure-native:managedidentity:UserAssignedIdentity")
    grant = p.named(ASSIGNMENT, "keys-identity-crypto")
    assert grant.inputs["scope"] == _vault_id(vault, f"platform-{stack}")
    assert grant.inputs["roleDefinitionId"] == (
        f"{SUBSCRIPTION}/providers/Microsoft.Authorization/roleDefinitions/e147488a-f6f5-4113-8e2d-b22465e65bf6"
    )
    assert ROLES["Key Vault Crypto Service Encryption User"] == "e147488a-f6f5-4113-8e2d-b22465e65bf6"
    assert grant.inputs["principalType"] == "ServicePrincipal"
    assert grant.property_dependencies["principalId"] == [identity.urn]
    assert identity.inputs["resourceName"] == f"platform-{stack}-keys"


@pytest.mark.parametrize("stack", STACKS)
def test_disk_encryption_set_uses_the_key_through_the_granted_identity(plan, stack):
    p = azure_plan(plan, stack)
    vault, key = _in(p, "keys", VAULT), _in(p, "keys", KEY)
    identity = _in(p, "keys", "azure-native:managedidentity:UserAssignedIdentity")
    grant = p.named(ASSIGNMENT, "keys-identity-crypto")
    disks = _in(p, "keys", "azure-native:compute:DiskEncryptionSet")
    assert disks.inputs["encryptionType"] == "EncryptionAtRestWithCustomerKey"
    assert disks.inputs["rotationToLatestKeyVersionEnabled"] is True
    active = disks.inputs["activeKey"]
    assert active["sourceVault"] == {"id": _vault_id(vault, f"platform-{stack}")}
    assert active["keyUrl"].startswith(f"https://{vault.inputs['vaultName']}.vault.azure.net/keys/data/")
    assert set(disks.property_dependencies["activeKey"]) == {key.urn, vault.urn}
    assert disks.inputs["identity"]["type"] == "UserAssigned"
    assert disks.property_dependencies["identity"] == [identity.urn]
    assert grant.urn in disks.dependencies  # Azure checks the identity's access when the set is created


@pytest.mark.parametrize("stack", STACKS)
def test_dr_keys_exist_only_with_disaster_recovery(plan, stack):
    p = azure_plan(plan, stack)
    components = {r.name for r in p.of_type(KEYS)}
    if stack != "prod":
        assert components == {"keys", "service-keys"}
        return
    assert components == {"keys", "service-keys", "dr-keys"}
    vault = _in(p, "dr-keys", VAULT)
    assert vault.inputs["location"] == "westus" and vault.inputs["resourceGroupName"] == "platform-prod-dr"
    assert vault.inputs["vaultName"] != _in(p, "keys", VAULT).inputs["vaultName"]
    assert _in(p, "dr-keys", KEY).inputs["properties"]["kty"] == "RSA-HSM"
    grant = _in(p, "dr-keys", ASSIGNMENT)  # the crypto grant only: no compute reads secrets in the DR region
    assert grant.inputs["roleDefinitionId"].endswith(ROLES["Key Vault Crypto Service Encryption User"])
    assert grant.inputs["scope"] == _vault_id(vault, "platform-prod-dr")
    assert not [r for r in p.children(KEYS, "dr-keys") if r.type == ENDPOINT]


def test_dr_keys_follow_the_disaster_recovery_switch(plan):
    on = azure_plan(
        plan, "staging", "disasterRecovery.enabled=true", "azure.postgresTier=GeneralPurpose",
        "azure.postgresSku=Standard_D2ds_v5",
    )  # fmt: skip
    assert {r.name for r in on.of_type(KEYS)} == {"keys", "service-keys", "dr-keys"}
    off = azure_plan(plan, "prod", "disasterRecovery.enabled=false", "backup.copyToDr=false")
    assert {r.name for r in off.of_type(KEYS)} == {"keys", "service-keys"}


@pytest.mark.parametrize("stack", STACKS)
def test_service_keys_are_reachable_for_services_a_closed_vault_refuses(plan, stack):
    """App Configuration is no trusted service; a Backup vault's CMK identity cannot pass a vault firewall."""
    p = azure_plan(plan, stack)
    vault = _in(p, "service-keys", VAULT)
    props = vault.inputs["properties"]
    assert props["publicNetworkAccess"] == "Enabled" and props["networkAcls"]["defaultAction"] == "Allow"
    assert props["enableRbacAuthorization"] is True and props["enablePurgeProtection"] is True
    assert vault.inputs["tags"]["network-exception"] == "cmk-for-services-outside-trusted-services"
    assert _in(p, "service-keys", KEY).inputs["properties"]["keyOps"] == ["wrapKey", "unwrapKey"]
    grant = _in(p, "service-keys", ASSIGNMENT)  # its identity may wrap and unwrap, nothing else is granted
    assert grant.inputs["roleDefinitionId"].endswith(ROLES["Key Vault Crypto Service Encryption User"])
    children = {r.type for r in p.children(KEYS, "service-keys")}
    assert "azure-native:compute:DiskEncryptionSet" not in children and ENDPOINT not in children
    assert not [
        s for s in p.of_type("azure-native:keyvault:Secret") if s.inputs["vaultName"] == vault.inputs["vaultName"]
    ]
    # The closed vault stays closed.
    assert _in(p, "keys", VAULT).inputs["properties"]["publicNetworkAccess"] == "Disabled"


@pytest.mark.parametrize("stack", STACKS)
def test_scale_set_identity_reads_secrets_of_this_vault_only(plan, stack):
    p = azure_plan(plan, stack)
    vault, identity = _in(p, "keys", VAULT), _in(p, "keys", "azure-native:managedidentity:UserAssignedIdentity")
    grant = p.named(ASSIGNMENT, "keys-identity-secrets")
    assert grant.inputs["roleDefinitionId"] == (
        f"{SUBSCRIPTION}/providers/Microsoft.Authorization/roleDefinitions/4633458b-17de-408a-b874-0445c86b69e6"
    )
    assert ROLES["Key Vault Secrets User"] == "4633458b-17de-408a-b874-0445c86b69e6"
    assert grant.inputs["scope"] == _vault_id(vault, f"platform-{stack}")  # the vault, not the group
    assert grant.property_dependencies["scope"] == [vault.urn]
    assert grant.property_dependencies["principalId"] == [identity.urn]
    assert grant.inputs["principalType"] == "ServicePrincipal"
    # ... the identity the scale sets run as.
    scale_sets = list(p.of_type("azure-native:compute:VirtualMachineScaleSet"))
    assert scale_sets and all(identity.urn in s.property_dependencies["identity"] for s in scale_sets)


@pytest.mark.parametrize("stack", STACKS)
def test_vault_is_reachable_through_a_private_endpoint_in_the_endpoints_subnet(plan, stack):
    p = azure_plan(plan, stack)
    vault = _in(p, "keys", VAULT)
    endpoint = _in(p, "keys", ENDPOINT)
    assert endpoint.inputs["subnet"]["id"].endswith(f"/virtualNetworks/platform-{stack}-network/subnets/endpoints")
    assert endpoint.property_dependencies["subnet"] == [p.named("azure-native:network:Subnet", "network-endpoints").urn]
    (connection,) = endpoint.inputs["privateLinkServiceConnections"]
    assert connection["privateLinkServiceId"] == _vault_id(vault, f"platform-{stack}")
    assert connection["groupIds"] == ["vault"]
    assert endpoint.property_dependencies["privateLinkServiceConnections"] == [vault.urn]
    assert endpoint.inputs["location"] == "eastus" and endpoint.inputs["tags"]["service"] == "keys"
    group = _in(p, "keys", "azure-native:network:PrivateDnsZoneGroup")
    assert group.property_dependencies["privateEndpointName"] == [endpoint.urn]
    (zone,) = group.inputs["privateDnsZoneConfigs"]
    assert zone["privateDnsZoneId"].endswith("/privateDnsZones/privatelink.vaultcore.azure.net")
    vault_zone = p.named("azure-native:privatedns:PrivateZone", "network-vault-zone")
    assert group.property_dependencies["privateDnsZoneConfigs"] == [vault_zone.urn]
