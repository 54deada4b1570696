"""Storage accounts: security per environment, redundancy, config retention, object replication, worker queue."""

from __future__ import annotations

import pytest

from tests.azure.support import azure_plan, named
from tests.conftest import STACKS

STORAGE = "platform:azure:Storage"
ACCOUNT = "azure-native:storage:StorageAccount"
BLOBS = "azure-native:storage:BlobServiceProperties"
LIFECYCLE = "azure-native:storage:ManagementPolicy"
CONTAINER = "azure-native:storage:BlobContainer"
REPLICATION = "azure-native:storage:ObjectReplicationPolicy"
QUEUE = "azure-native:storage:Queue"
IDENTITY = "azure-native:managedidentity:UserAssignedIdentity"
KEY = "azure-native:keyvault:Key"
GROUP = "azure-native:resources:ResourceGroup"


def accounts(p) -> dict:
    return {name.removeprefix("storage-"): r for name, r in named(p, STORAGE, ACCOUNT).items()}


@pytest.mark.parametrize("stack", STACKS)
def test_accounts_are_private_cmk_encrypted_and_tls_only(plan, stack):
    p = azure_plan(plan, stack)
    identities = {"keys": p.named(IDENTITY, "keys-identity").urn}
    if stack == "prod":
        identities["dr-keys"] = p.named(IDENTITY, "dr-keys-identity").urn
    found = accounts(p)
    persistence = {"redis"} if stack != "dev" else set()  # only where the cache keeps RDB snapshots
    dr = {"config-dr", "flowlogs-dr"} if stack == "prod" else set()
    assert set(found) == {"config", "queue", "flowlogs"} | persistence | dr
    for purpose, account in found.items():
        inputs = account.inputs
        assert inputs["kind"] == "StorageV2"
        assert inputs["minimumTlsVersion"] == "TLS1_2"
        assert inputs["enableHttpsTrafficOnly"] is True
        assert inputs["allowBlobPublicAccess"] is False
        assert inputs["allowCrossTenantReplication"] is False
        # Accounts Azure services write to keep the public endpoint for the trusted-services exception (which
        # Azure ignores with public access Disabled), behind a deny-all firewall with no IP or VNet rules.
        trusted_writer = purpose in ("flowlogs", "flowlogs-dr", "redis")
        assert inputs["publicNetworkAccess"] == ("Enabled" if trusted_writer else "Disabled")
        assert inputs["networkRuleSet"] == {"defaultAction": "Deny", "bypass": "AzureServices"}
        # Only the flow-log accounts keep Shared Key: Network Watcher writes flow logs with the account key.
        flow_logs = purpose.startswith("flowlogs")
        assert inputs["allowSharedKeyAccess"] is flow_logs
        assert inputs["defaultToOAuthAuthentication"] is not flow_logs
        encryption = inputs["encryption"]
        assert encryption["keySource"] == "Microsoft.Keyvault"
        assert encryption["requireInfrastructureEncryption"] is True
        assert encryption["keyVaultProperties"]["keyName"] == "data"
        assert "keyVersion" not in encryption["keyVaultProperties"]  # versionless: follows key rotation
        assert {s: v["keyType"] for s, v in encryption["services"].items()} == dict.fromkeys(
            ("blob", "file", "queue", "table"), "Account"
        )
        keys = "dr-keys" if purpose.endswith("-dr") else "keys"
        vault_name = p.named("azure-native:keyvault:Vault", f"{keys}-vault").inputs["vaultName"]
        assert encryption["keyVaultProperties"]["keyVaultUri"] == f"https://{vault_name}.vault.azure.net/"
        assert identities[keys] in account.property_dependencies["encryption"]
        assert identities[keys] in account.property_dependencies["identity"]
        assert inputs["identity"]["type"] == "UserAssigned"
        assert p.named(KEY, f"{keys}-data").urn in account.dependencies
        assert inputs["tags"]["purpose"] == purpose and inputs["tags"]["service"] == "storage"


@pytest.mark.parametrize(
    ("stack", "sku"), [("dev", "Standard_ZRS"), ("staging", "Standard_ZRS"), ("prod", "Standard_RAGZRS")]
)
def test_redundancy_is_geo_zone_redundant_only_with_disaster_recovery(plan, stack, sku):
    found = accounts(azure_plan(plan, stack))
    primary = ("config", "queue", "flowlogs", *(("redis",) if stack != "dev" else ()))
    assert {
        purpose: a.inputs["sku"]["name"] for purpose, a in found.items() if not purpose.endswith("-dr")
    } == dict.fromkeys(primary, sku)


@pytest.mark.parametrize("stack", STACKS)
def test_accounts_are_protected_in_prod_only(plan, stack):
    assert {a.protect for a in accounts(azure_plan(plan, stack)).values()} == {stack == "prod"}


def test_prod_replica_lives_in_the_dr_location_with_the_dr_key(plan):
    p = azure_plan(plan, "prod")
    replica = accounts(p)["config-dr"]
    assert replica.inputs["location"] == "westus"
    assert replica.inputs["resourceGroupName"] == "platform-prod-dr"
    assert p.named(GROUP, "dr-resource-group").urn in replica.property_dependencies["resourceGroupName"]
    assert replica.inputs["sku"] == {"name": "Standard_ZRS"}
    assert p.outputs["azure_dr_config_bucket_name"].value == replica.inputs["accountName"]
    assert p.outputs["azure_config_bucket_name"].value == accounts(p)["config"].inputs["accountName"]


@pytest.mark.parametrize(("stack", "history", "feed"), [("dev", 7, False), ("staging", 7, False), ("prod", 90, True)])
def test_config_blobs_are_versioned_and_soft_deleted(plan, stack, history, feed):
    p = azure_plan(plan, stack)
    blobs = named(p, STORAGE, BLOBS)["storage-config-blobs"]
    inputs = blobs.inputs
    assert inputs["accountName"] == accounts(p)["config"].inputs["accountName"]
    assert accounts(p)["config"].urn in blobs.dependencies
    assert inputs["isVersioningEnabled"] is True
    assert inputs["deleteRetentionPolicy"] == {"enabled": True, "days": history}
    assert inputs["containerDeleteRetentionPolicy"] == {"enabled": True, "days": history}
    # The change feed drives object replication, so it runs only where there is a replica.
    assert inputs["changeFeed"] == ({"enabled": True, "retentionInDays": history} if feed else {"enabled": False})
    container = named(p, STORAGE, CONTAINER)["storage-config-container"]
    assert container.inputs["containerName"] == "config" and container.inputs["publicAccess"] == "None"
    assert blobs.urn in container.dependencies


def lifecycle_actions(p, label: str = "config") -> dict:
    (rule,) = named(p, STORAGE, LIFECYCLE)[f"storage-{label}-retention"].inputs["policy"]["rules"]
    assert rule["definition"]["filters"] == {"blobTypes": ["blockBlob"], "prefixMatch": ["config/"]}
    assert rule["enabled"] is True and rule["type"] == "Lifecycle"
    return rule["definition"]["actions"]


def test_prod_keeps_config_backups_and_their_versions_90_days(plan):
    p = azure_plan(plan, "prod")
    expected = {
        "baseBlob": {"delete": {"daysAfterModificationGreaterThan": 90}},
        "version": {"delete": {"daysAfterCreationGreaterThan": 90}},
    }
    assert lifecycle_actions(p) == expected
    assert lifecycle_actions(p, "config-dr") == expected  # deletes replicate as versions: the replica ages them too


def test_without_config_retention_only_old_versions_expire(plan):
    assert lifecycle_actions(azure_plan(plan, "staging")) == {
        "version": {"delete": {"daysAfterCreationGreaterThan": 7}}
    }


def test_config_retention_follows_config_and_soft_delete_stays_within_azure_limit(plan):
    p = azure_plan(plan, "staging", "backup.configRetentionDays=400")
    assert lifecycle_actions(p)["baseBlob"] == {"delete": {"daysAfterModificationGreaterThan": 400}}
    assert named(p, STORAGE, BLOBS)["storage-config-blobs"].inputs["deleteRetentionPolicy"]["days"] == 365


def test_prod_object_replicates_the_config_container_to_the_dr_account(plan):
    p = azure_plan(plan, "prod")
    found = accounts(p)
    policies = named(p, STORAGE, REPLICATION)
    destination = policies["storage-config-replication-destination"]
    source = policies["storage-config-replication"]
    for policy in (destination, source):
        assert policy.property_dependencies["sourceAccount"] == [found["config"].urn]
        assert policy.property_dependencies["destinationAccount"] == [found["config-dr"].urn]
        assert [(r["sourceContainer"], r["destinationContainer"]) for r in policy.inputs["rules"]] == [
            ("config", "config")
        ]
        containers = named(p, STORAGE, CONTAINER)
        assert {containers["storage-config-container"].urn, containers["storage-config-dr-container"].urn} <= set(
            policy.dependencies
        )
    # Azure's order: the policy on the destination first ("default"), then the source's with its policy and rule ids.
    assert destination.inputs["objectReplicationPolicyId"] == "default"
    assert destination.inputs["accountName"] == found["config-dr"].inputs["accountName"]
    assert destination.inputs["resourceGroupName"] == "platform-prod-dr"
    assert source.inputs["accountName"] == found["config"].inputs["accountName"]
    assert source.inputs["resourceGroupName"] == "platform-prod"
    assert destination.urn in source.property_dependencies["objectReplicationPolicyId"]
    assert destination.urn in source.property_dependencies["rules"]
    replica_blobs = named(p, STORAGE, BLOBS)["storage-config-dr-blobs"].inputs
    assert replica_blobs["isVersioningEnabled"] is True


@pytest.mark.parametrize("stack", ["dev", "staging"])
def test_no_replica_without_disaster_recovery(plan, stack):
    p = azure_plan(plan, stack)
    assert not named(p, STORAGE, REPLICATION)
    assert "config-dr" not in accounts(p)
    assert "azure_dr_config_bucket_name" not in p.outputs


@pytest.mark.parametrize("stack", STACKS)
def test_worker_queue_on_the_queue_account(plan, stack):
    p = azure_plan(plan, stack)
    queue = named(p, STORAGE, QUEUE)["storage-work-queue"]
    assert queue.inputs["queueName"] == "work"
    assert queue.inputs["accountName"] == accounts(p)["queue"].inputs["accountName"]
    assert accounts(p)["queue"].urn in queue.dependencies
    assert p.outputs["azure_worker_queue_id"].value.endswith(
        f"/storageAccounts/{queue.inputs['accountName']}/queueServices/default/queues/work"
    )


def test_prod_has_a_flow_log_account_in_the_dr_region(plan):
    p = azure_plan(plan, "prod")
    found = accounts(p)
    account = found["flowlogs-dr"]
    assert account.inputs["location"] == "westus"
    assert account.inputs["resourceGroupName"] == "platform-prod-dr"
    assert p.named(GROUP, "dr-resource-group").urn in account.property_dependencies["resourceGroupName"]
    assert account.inputs["sku"] == {"name": "Standard_ZRS"}
    assert account.inputs["accountName"] not in {
        a.inputs["accountName"] for k, a in found.items() if k != "flowlogs-dr"
    }
    assert p.named(KEY, "dr-keys-data").urn in account.dependencies  # encrypted with the DR region's key


@pytest.mark.parametrize("stack", ["dev", "staging"])
def test_no_dr_flow_log_account_without_disaster_recovery(plan, stack):
    assert "flowlogs-dr" not in accounts(azure_plan(plan, stack))


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_redis_snapshots_get_an_account_of_their_own_in_the_cache_region(plan, stack):
    p = azure_plan(plan, stack)
    found = accounts(p)
    account = found["redis"]
    assert account.inputs["location"] == "eastus" and account.inputs["resourceGroupName"] == f"platform-{stack}"
    assert account.inputs["accountName"] not in {a.inputs["accountName"] for k, a in found.items() if k != "redis"}
    cache = p.named("azure-native:redis:Redis", "cache-redis")
    assert cache.property_dependencies["redisConfiguration"] == [account.urn]


def test_no_redis_account_without_snapshots(plan):
    assert "redis" not in accounts(azure_plan(plan, "staging", "cache.snapshotRetentionDays=0"))
