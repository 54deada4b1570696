"""Feature flags in App Configuration: a private CMK store, one targeting-filter flag per config flag."""

from __future__ import annotations

import json

import pytest

from components.config import ConfigError
from infractl.mocks import AZURE_SUBSCRIPTION
from tests.azure.support import azure_plan, named, only
from tests.conftest import STACKS

FLAGS = "platform:azure:FeatureFlags"
STORE = "azure-native:appconfiguration:ConfigurationStore"
KEY_VALUE = "azure-native:appconfiguration:KeyValue"
ASSIGNMENT = "azure-native:authorization:RoleAssignment"
FF_CONTENT_TYPE = "application/vnd.microsoft.appconfig.ff+json;charset=utf-8"
DATA_READER = "516239f1-63e1-4d78-a4de-a74fb236a071"
DATA_OWNER = "5ae67dd6-50cb-40e7-96ff-dc2bfa4b606b"
DEPLOYER = "11111111-1111-1111-1111-111111111111"  # the mock client's object id


def _flags(p) -> dict[str, tuple[str, str, dict]]:
    """Flag key-values as (key, label, parsed value) by flag name, from their ARM names."""
    flags = {}
    for kv in named(p, FLAGS, KEY_VALUE).values():
        assert kv.inputs["contentType"] == FF_CONTENT_TYPE
        key, label = kv.inputs["keyValueName"].replace("~2F", "/").split("$")
        value = json.loads(kv.inputs["value"])
        flags[value["id"]] = (key, label, value)
    return flags


def _targeting(enabled: bool, users: list[str], percent: int) -> dict:
    return {
        "client_filters": [
            {
                "name": "Microsoft.Targeting",
                "parameters": {"Audience": {"Users": users, "Groups": [], "DefaultRolloutPercentage": percent}},
            }
        ]
    }


@pytest.mark.parametrize("stack", STACKS)
def test_store_is_standard_private_entra_only(plan, stack):
    p = azure_plan(plan, stack)
    store = only(p, FLAGS, STORE)
    inputs = store.inputs
    assert inputs["sku"] == {"name": "Standard"}
    assert inputs["disableLocalAuth"] is True
    assert inputs["publicNetworkAccess"] == "Disabled"
    assert inputs["dataPlaneProxy"] == {"authenticationMode": "Pass-through", "privateLinkDelegation": "Enabled"}
    assert inputs["enablePurgeProtection"] is True
    assert inputs["softDeleteRetentionInDays"] == 7
    assert inputs["location"] == "eastus" and inputs["resourceGroupName"] == f"platform-{stack}"
    assert store.protect is (stack == "prod")


def test_store_encrypts_with_a_key_app_configuration_can_reach(plan):
    p = azure_plan(plan, "staging")
    store = only(p, FLAGS, STORE)
    # App Configuration is not a Key Vault trusted service: its key lives in the reachable service-keys vault.
    vault = p.named("azure-native:keyvault:Vault", "service-keys-vault").inputs["vaultName"]
    key_vault = store.inputs["encryption"]["keyVaultProperties"]
    assert key_vault["keyIdentifier"] == f"https://{vault}.vault.azure.net/keys/data"  # versionless: rotates
    identity = p.named("azure-native:managedidentity:UserAssignedIdentity", "service-keys-identity")
    key = p.named("azure-native:keyvault:Key", "service-keys-data")
    assert {identity.urn, key.urn} <= set(store.property_dependencies["encryption"])  # identityClientId, key
    assert store.inputs["identity"]["type"] == "UserAssigned"
    assert identity.urn in store.property_dependencies["identity"]
    crypto = p.named(ASSIGNMENT, "service-keys-identity-crypto")
    assert crypto.urn in store.dependencies  # the identity may wrap with the key before the store uses it


def test_store_is_reached_through_a_private_endpoint_and_zone(plan):
    p = azure_plan(plan, "prod")
    store_id = p.outputs["azure_feature_flags_id"].value
    assert "/providers/Microsoft.AppConfiguration/configurationStores/" in store_id
    endpoint = only(p, FLAGS, "azure-native:network:PrivateEndpoint").inputs
    assert endpoint["subnet"]["id"] == p.outputs["azure_private_subnet_ids"].value[2]  # the endpoints subnet
    assert endpoint["subnet"]["id"].endswith("/subnets/endpoints")
    (connection,) = endpoint["privateLinkServiceConnections"]
    assert connection["privateLinkServiceId"] == store_id
    assert connection["groupIds"] == ["configurationStores"]
    zone = p.named("azure-native:privatedns:PrivateZone", "network-flags-zone").inputs
    assert zone["privateZoneName"] == "privatelink.azconfig.io"
    link = p.named("azure-native:privatedns:VirtualNetworkLink", "network-flags-link").inputs
    assert link["virtualNetwork"]["id"] == p.outputs["azure_network_id"].value
    assert link["registrationEnabled"] is False
    group = only(p, FLAGS, "azure-native:network:PrivateDnsZoneGroup").inputs
    (config,) = group["privateDnsZoneConfigs"]
    assert config["privateDnsZoneId"].endswith("/privateDnsZones/privatelink.azconfig.io")


@pytest.mark.parametrize("stack", STACKS)
def test_one_feature_flag_per_spec_flag_labelled_with_the_environment(plan, stack):
    p = azure_plan(plan, stack)
    flags = _flags(p)
    assert set(flags) == {"NEW_COMPANY_MANAGEMENT", "ADVANCED_MONITORING", "REAL_TIME_ALERTS"}
    for name, (key, label, value) in flags.items():
        assert key == f".appconfig.featureflag/{name}"
        assert label == stack
        assert value["enabled"] is False
        assert value["description"] == f"platform-{stack}"
    assert flags["NEW_COMPANY_MANAGEMENT"][2]["conditions"] == _targeting(False, ["company1", "company2"], 0)
    assert flags["ADVANCED_MONITORING"][2]["conditions"] == _targeting(False, [], 0)  # empty allowlist is valid here
    store_name = only(p, FLAGS, STORE).inputs["configStoreName"]
    assert {kv.inputs["configStoreName"] for kv in named(p, FLAGS, KEY_VALUE).values()} == {store_name}


def test_flag_values_follow_config_overrides(plan):
    p = azure_plan(
        plan,
        "dev",
        "featureFlags.flags.REAL_TIME_ALERTS.enabled=true",
        "featureFlags.flags.REAL_TIME_ALERTS.rolloutPercentage=25",
        'featureFlags.flags.BETA={"enabled": true, "rolloutPercentage": 50, "allowlist": ["acme"]}',
    )
    flags = _flags(p)
    assert set(flags) == {"NEW_COMPANY_MANAGEMENT", "ADVANCED_MONITORING", "REAL_TIME_ALERTS", "BETA"}
    alerts = flags["REAL_TIME_ALERTS"][2]
    assert alerts["enabled"] is True and alerts["conditions"] == _targeting(True, [], 25)
    key, label, beta = flags["BETA"]
    assert (key, label) == (".appconfig.featureflag/BETA", "dev")
    assert beta["enabled"] is True and beta["conditions"] == _targeting(True, ["acme"], 50)


def test_scale_set_identity_reads_the_flags(plan):
    p = azure_plan(plan, "prod")
    store_id = p.outputs["azure_feature_flags_id"].value
    reader = named(p, FLAGS, ASSIGNMENT)["feature-flags-compute-reader"].inputs
    assert reader["scope"] == store_id
    assert reader["roleDefinitionId"].endswith(f"/roleDefinitions/{DATA_READER}")
    assert reader["principalType"] == "ServicePrincipal"
    # The identity every scale set carries.
    assert reader["principalId"] == p.named(ASSIGNMENT, "keys-identity-crypto").inputs["principalId"]


def test_flags_are_written_through_the_checked_arm_private_link(plan):
    p = azure_plan(plan, "prod")
    for kv in named(p, FLAGS, KEY_VALUE).values():
        assert kv.inputs["tags"]["written-through"] == "platform-arm"
    other = azure_plan(plan, "dev", "azure.armPrivateLink.name=ci-arm", "azure.armPrivateLink.resourceGroup=ci")
    assert {kv.inputs["tags"]["written-through"] for kv in named(other, FLAGS, KEY_VALUE).values()} == {"ci-arm"}
    store = only(p, FLAGS, STORE)
    assert store.inputs["dataPlaneProxy"] == {"authenticationMode": "Pass-through", "privateLinkDelegation": "Enabled"}


def test_flags_can_be_left_to_a_writer_inside_the_network(plan):
    p = azure_plan(plan, "dev", "azure.writeFeatureFlags=false")
    assert not named(p, FLAGS, KEY_VALUE) and only(p, FLAGS, STORE)


def test_deployer_owns_the_data_before_flags_are_written(plan):
    p = azure_plan(plan, "prod")
    owner = named(p, FLAGS, ASSIGNMENT)["feature-flags-deployer-owner"]
    assert owner.inputs["scope"] == p.outputs["azure_feature_flags_id"].value
    assert owner.inputs["principalId"] == DEPLOYER
    assert owner.inputs["roleDefinitionId"] == (
        f"/subscriptions/{AZURE_SUBSCRIPTION}/providers/Microsoft.Authorization/roleDefinitions/{DATA_OWNER}"
    )
    assert owner.inputs["principalType"] == "ServicePrincipal"
    for kv in named(p, FLAGS, KEY_VALUE).values():
        assert owner.urn in kv.dependencies
    user = named(azure_plan(plan, "dev", "azure.deployerPrincipalType=User"), FLAGS, ASSIGNMENT)
    assert user["feature-flags-deployer-owner"].inputs["principalType"] == "User"


def test_bad_deployer_principal_type_is_a_config_error(plan):
    with pytest.raises(ConfigError) as error:
        azure_plan(plan, "dev", "azure.deployerPrincipalType=Group")
    message = str(error.value)
    assert 'platform:azure.deployerPrincipalType = "Group"' in message
    assert "'ServicePrincipal' or 'User'" in message
