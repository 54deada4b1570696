"""Issue 12 (first real deploy on Azure): ordering, scale-set drift and limits, the Network Watcher."""

from __future__ import annotations

import pytest

from tests.azure.support import azure_plan
from tests.azure.test_compute import app_env, scale_sets
from tests.conftest import STACKS

ROLE = "azure-native:authorization:RoleAssignment"
VMSS = "azure-native:compute:VirtualMachineScaleSet"


def crypto_grant(p, keys: str = "keys"):
    return p.named(ROLE, f"{keys}-identity-crypto")


@pytest.mark.parametrize("stack", STACKS)
def test_every_cmk_storage_account_waits_for_its_key_grant(plan, stack):
    p = azure_plan(plan, stack)
    for account in p.of_type("azure-native:storage:StorageAccount"):
        keys = "dr-keys" if account.name.endswith("-dr") else "keys"
        assert crypto_grant(p, keys).urn in account.dependencies, account.name


def test_postgres_waits_for_its_key_grant_and_the_geo_backup_grant(plan):
    p = azure_plan(plan, "prod")
    primary = p.named("azure-native:dbforpostgresql:Server", "database-server")
    assert {crypto_grant(p).urn, crypto_grant(p, "dr-keys").urn} <= set(primary.dependencies)
    replica = p.named("azure-native:dbforpostgresql:Server", "database-replica-server")
    assert crypto_grant(p, "dr-keys").urn in replica.dependencies
    dev = azure_plan(plan, "dev").named("azure-native:dbforpostgresql:Server", "database-server")
    assert crypto_grant(azure_plan(plan, "dev")).urn in dev.dependencies


@pytest.mark.parametrize("stack", STACKS)
def test_scale_sets_leave_capacity_to_autoscale(plan, stack):
    for vmss in azure_plan(plan, stack).of_type(VMSS):
        assert vmss.ignore_changes == ["sku.capacity"], vmss.name


@pytest.mark.parametrize("stack", STACKS)
def test_rolling_upgrades_tolerate_one_unhealthy_instance(plan, stack):
    for vmss in azure_plan(plan, stack).of_type(VMSS):
        rolling = vmss.inputs["upgradePolicy"]["rollingUpgradePolicy"]
        instances = vmss.inputs["sku"]["capacity"]  # the tier's minimum: 2 or 3
        for key in ("maxUnhealthyInstancePercent", "maxUnhealthyUpgradedInstancePercent"):
            assert rolling[key] * instances >= 100, (vmss.name, key)  # one instance out of the set is allowed


def test_rolling_limits_follow_a_larger_minimum(plan):
    p = azure_plan(plan, "dev", "compute.web.minSize=10", "compute.refreshMinHealthyPercent=80")
    vmss = p.named(VMSS, "web-blue-vmss")
    assert vmss.inputs["upgradePolicy"]["rollingUpgradePolicy"]["maxUnhealthyInstancePercent"] == 20


@pytest.mark.parametrize("stack", STACKS)
def test_flow_logs_live_in_the_looked_up_regional_watcher(plan, stack):
    p = azure_plan(plan, stack)
    assert not p.of_type("azure-native:network:NetworkWatcher")
    for flow_log in p.of_type("azure-native:network:FlowLog"):
        location = flow_log.inputs["location"]
        assert flow_log.inputs["resourceGroupName"] == "NetworkWatcherRG"
        assert flow_log.inputs["networkWatcherName"] == f"NetworkWatcher_{location}"


def test_a_subscription_without_automatic_watchers_gets_one_declared(plan):
    p = azure_plan(plan, "prod", "azure.declareNetworkWatcher=true")
    watchers = {w.inputs["location"]: w for w in p.of_type("azure-native:network:NetworkWatcher")}
    assert set(watchers) == {"eastus", "westus"}
    for flow_log in p.of_type("azure-native:network:FlowLog"):
        watcher = watchers[flow_log.inputs["location"]]
        assert flow_log.inputs["resourceGroupName"] == watcher.inputs["resourceGroupName"]
        assert flow_log.inputs["networkWatcherName"] == watcher.inputs["networkWatcherName"]
        assert watcher.urn in flow_log.property_dependencies["networkWatcherName"]
    assert {w.inputs["resourceGroupName"] for w in watchers.values()} == {"platform-prod", "platform-prod-dr"}


def test_the_watcher_group_follows_config(plan):
    p = azure_plan(plan, "dev", "azure.networkWatcherResourceGroup=network-ops")
    (flow_log,) = p.of_type("azure-native:network:FlowLog")
    assert flow_log.inputs["resourceGroupName"] == "network-ops"


def test_purge_protected_names_can_move_to_a_new_generation(plan):
    names = {
        "keys": ("azure-native:keyvault:Vault", "keys-vault", "vaultName"),
        "service-keys": ("azure-native:keyvault:Vault", "service-keys-vault", "vaultName"),
        "flags": ("azure-native:appconfiguration:ConfigurationStore", "feature-flags-store", "configStoreName"),
    }
    first, second = azure_plan(plan, "dev"), azure_plan(plan, "dev", "azure.nameGeneration=2")
    for what, (type_, name, key) in names.items():
        before, after = first.named(type_, name).inputs[key], second.named(type_, name).inputs[key]
        assert before != after and len(after) <= (24 if type_.endswith("Vault") else 50), what
    # Names without a purge-protected reservation stay as they are.
    account = ("azure-native:storage:StorageAccount", "storage-config")
    assert first.named(*account).inputs["accountName"] == second.named(*account).inputs["accountName"]
    vault = second.named(*names["keys"][:2]).inputs["vaultName"]
    assert app_env(scale_sets(second)["web-blue"])["KEY_VAULT_URL"] == f"https://{vault}.vault.azure.net"
