"""Azure Cache for Redis: TLS only, private endpoint, persistence and zones per environment, key in Key Vault."""

from __future__ import annotations

import pytest

from components.azure.common import ROLES
from components.config import ConfigError
from infractl.mocks import AZURE_SUBSCRIPTION
from infractl.runtime import SECRET
from tests.azure.support import azure_plan, named, only
from tests.conftest import STACKS

CACHE = "platform:azure:Cache"
REDIS = "azure-native:redis:Redis"
IDENTITY = "azure-native:managedidentity:UserAssignedIdentity"
ASSIGNMENT = "azure-native:authorization:RoleAssignment"
ACCOUNT = "azure-native:storage:StorageAccount"


@pytest.mark.parametrize(
    ("stack", "sku", "replicas", "zones"),
    [
        ("dev", {"name": "Standard", "family": "C", "capacity": 1}, None, None),
        ("staging", {"name": "Premium", "family": "P", "capacity": 1}, None, None),
        ("prod", {"name": "Premium", "family": "P", "capacity": 1}, 1, ["1", "2"]),  # a zone per node
    ],
)
def test_redis_tier_replicas_and_zones_per_environment(plan, stack, sku, replicas, zones):
    cache = only(azure_plan(plan, stack), CACHE, REDIS)
    assert cache.inputs["name"] == f"platform-{stack}-redis"
    assert cache.inputs["redisVersion"] == "6"  # the newest Azure Cache for Redis offers
    assert cache.inputs["enableNonSslPort"] is False
    assert cache.inputs["minimumTlsVersion"] == "1.2"
    assert cache.inputs["publicNetworkAccess"] == "Disabled"
    assert cache.inputs["sku"] == sku
    assert cache.inputs.get("replicasPerPrimary") == replicas
    assert cache.inputs.get("zones") == zones
    assert cache.inputs.get("zonalAllocationPolicy") == ("UserDefined" if zones else None)
    assert cache.inputs["tags"]["service"] == "cache"
    assert cache.protect is (stack == "prod")


def test_tls_13_config_keeps_the_highest_minimum_redis_enforces(plan):
    cache = only(azure_plan(plan, "dev", "security.minTlsVersion=1.3"), CACHE, REDIS)
    assert cache.inputs["minimumTlsVersion"] == "1.2"


@pytest.mark.parametrize("stack", STACKS)
def test_private_endpoint_in_the_endpoints_subnet_points_at_the_cache(plan, stack):
    p = azure_plan(plan, stack)
    cache = only(p, CACHE, REDIS)
    endpoint = only(p, CACHE, "azure-native:network:PrivateEndpoint")
    assert endpoint.inputs["subnet"]["id"].endswith(f"/virtualNetworks/platform-{stack}-network/subnets/endpoints")
    assert endpoint.property_dependencies["subnet"] == [p.named("azure-native:network:Subnet", "network-endpoints").urn]
    (connection,) = endpoint.inputs["privateLinkServiceConnections"]
    assert connection["privateLinkServiceId"].endswith(f"/providers/Microsoft.Cache/redis/platform-{stack}-redis")
    assert connection["groupIds"] == ["redisCache"]
    assert endpoint.property_dependencies["privateLinkServiceConnections"] == [cache.urn]
    group = only(p, CACHE, "azure-native:network:PrivateDnsZoneGroup")
    assert group.property_dependencies["privateEndpointName"] == [endpoint.urn]
    (zone,) = group.inputs["privateDnsZoneConfigs"]
    assert zone["privateDnsZoneId"].endswith("/privateDnsZones/privatelink.redis.cache.windows.net")
    redis_zone = p.named("azure-native:privatedns:PrivateZone", "network-redis-zone")
    assert group.property_dependencies["privateDnsZoneConfigs"] == [redis_zone.urn]


def test_dev_keeps_no_snapshots_and_holds_no_identity(plan):
    p = azure_plan(plan, "dev")
    cache = only(p, CACHE, REDIS)
    assert cache.inputs["redisConfiguration"] == {}
    assert "identity" not in cache.inputs
    assert not named(p, CACHE, IDENTITY) and not named(p, CACHE, ASSIGNMENT)


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_rdb_snapshots_written_by_the_cache_identity_allowed_only_on_its_own_account(plan, stack):
    p = azure_plan(plan, stack)
    cache = only(p, CACHE, REDIS)
    grant = only(p, CACHE, ASSIGNMENT)
    account = p.named(ACCOUNT, "storage-redis")
    configuration = cache.inputs["redisConfiguration"]
    assert {k: v for k, v in configuration.items() if k != "rdbStorageConnectionString"} == {
        "rdbBackupEnabled": "true",
        "rdbBackupFrequency": "1440",  # daily, as SPEC's snapshots
        "rdbBackupMaxSnapshotCount": "1",
        "preferredDataPersistenceAuthMethod": "ManagedIdentity",
        "storageSubscriptionId": AZURE_SUBSCRIPTION,
    }
    assert configuration["rdbStorageConnectionString"] == (
        f"BlobEndpoint=https://{account.inputs['accountName']}.blob.core.windows.net/"  # no AccountKey
    )
    assert cache.property_dependencies["redisConfiguration"] == [account.urn]
    # The storage firewall admits Redis as a trusted service only by its system-assigned identity.
    assert cache.inputs["identity"] == {"type": "SystemAssigned"}
    assert not named(p, CACHE, IDENTITY)
    assert grant.inputs["roleDefinitionId"].endswith(ROLES["Storage Blob Data Contributor"])
    assert grant.property_dependencies["scope"] == [account.urn]
    assert grant.property_dependencies["principalId"] == [cache.urn]
    assert grant.inputs["principalId"] and grant.inputs["principalType"] == "ServicePrincipal"
    # The cache's one grant: it reaches neither the flow logs nor any other account.
    cache_grants = [a.urn for a in p.of_type(ASSIGNMENT) if cache.urn in a.property_dependencies.get("principalId", [])]
    assert cache_grants == [grant.urn]


def test_without_snapshots_staging_cache_has_no_persistence_identity_or_grant(plan):
    p = azure_plan(plan, "staging", "cache.snapshotRetentionDays=0")
    cache = only(p, CACHE, REDIS)
    assert cache.inputs["sku"]["name"] == "Premium"
    assert cache.inputs["redisConfiguration"] == {}
    assert "identity" not in cache.inputs
    assert not named(p, CACHE, ASSIGNMENT)


def test_rdb_frequency_follows_config(plan):
    cache = only(azure_plan(plan, "staging", "azure.redisRdbFrequencyMinutes=60"), CACHE, REDIS)
    assert cache.inputs["redisConfiguration"]["rdbBackupFrequency"] == "60"


def test_access_key_goes_to_key_vault_as_a_secret(plan):
    p = azure_plan(plan, "prod")
    secret = p.named("azure-native:keyvault:Secret", "secrets-redis-access-key")
    assert secret.inputs["properties"] == SECRET
    assert only(p, CACHE, REDIS).urn in secret.property_dependencies["properties"]
    assert p.outputs["azure_cache_port"].value == 6380


def test_standard_accepts_its_one_built_in_replica(plan):
    cache = only(azure_plan(plan, "dev", "cache.replicas=1"), CACHE, REDIS)
    assert cache.inputs["sku"]["name"] == "Standard"
    assert "replicasPerPrimary" not in cache.inputs  # Standard's replica is built in, not configurable


@pytest.mark.parametrize(
    ("stack", "override", "expected"),
    [
        (
            "staging",
            "azure.redisSku=Standard",
            'azure.redisSku = "Standard": cannot keep cache.snapshotRetentionDays = 7',
        ),
        ("dev", "cache.replicas=2", 'azure.redisSku = "Standard": cannot have cache.replicas = 2'),
        ("prod", "cache.replicas=4", 'azure.redisSku = "Premium": cannot have cache.replicas = 4'),
        ("prod", "azure.redisCapacity=0", "platform:azure.redisCapacity = 0: is not a Premium size; allowed: 1-5"),
        (
            "staging",
            "azure.redisRdbFrequencyMinutes=45",
            "platform:azure.redisRdbFrequencyMinutes = 45: allowed: 15, 30, 60, 360, 720, 1440",
        ),
    ],
)
def test_bad_cache_config_is_one_clear_error(plan, stack, override, expected):
    with pytest.raises(ConfigError) as error:
        azure_plan(plan, stack, override)
    assert expected in str(error.value)
