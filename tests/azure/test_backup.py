"""Azure Backup for PostgreSQL: vault, daily policy, the server's backup instance and the vault's role assignments."""

from __future__ import annotations

import pytest

from tests.azure.support import azure_plan, named, only, refused

BACKUP = "platform:azure:Backup"
VAULT = "azure-native:dataprotection:BackupVault"
POLICY = "azure-native:dataprotection:BackupPolicy"
INSTANCE = "azure-native:dataprotection:BackupInstance"
ROLE_ASSIGNMENT = "azure-native:authorization:RoleAssignment"
SERVER = "azure-native:dbforpostgresql:Server"
POSTGRES = "Microsoft.DBforPostgreSQL/flexibleServers"
LTR_ROLE = "c088a766-074b-43ba-90d4-1fb21feae531"  # PostgreSQL Flexible Server Long Term Retention Backup Role
READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7"


def test_dev_has_no_backup_vault(plan):
    p = azure_plan(plan, "dev")
    assert not p.of_type(BACKUP)
    assert not p.of_type(VAULT) and not p.of_type(INSTANCE)
    assert "azure_backup_vault_name" not in p.outputs


@pytest.mark.parametrize(
    ("stack", "redundancy", "restore", "immutability"),
    [("staging", "LocallyRedundant", "Disabled", "Disabled"), ("prod", "GeoRedundant", "Enabled", "Unlocked")],
)
def test_vault_redundancy_immutability_and_cmk(plan, stack, redundancy, restore, immutability):
    p = azure_plan(plan, stack)
    vault = only(p, BACKUP, VAULT)
    props = vault.inputs["properties"]
    assert props["storageSettings"] == [{"datastoreType": "VaultStore", "type": redundancy}]
    assert props["featureSettings"] == {"crossRegionRestoreSettings": {"state": restore}}
    security = props["securitySettings"]
    assert security["immutabilitySettings"] == {"state": immutability}
    assert security["softDeleteSettings"] == {"state": "On", "retentionDurationInDays": 14}
    encryption = security["encryptionSettings"]
    # The reachable service-keys vault: a Backup vault's CMK identity cannot pass a vault firewall.
    key_vault = p.named("azure-native:keyvault:Vault", "service-keys-vault").inputs["vaultName"]
    assert encryption["state"] == "Enabled" and encryption["infrastructureEncryption"] == "Enabled"
    assert encryption["keyVaultProperties"] == {"keyUri": f"https://{key_vault}.vault.azure.net/keys/data"}
    assert encryption["kekIdentity"]["identityType"] == "UserAssigned"
    identity = p.named("azure-native:managedidentity:UserAssignedIdentity", "service-keys-identity")
    assert identity.urn in vault.property_dependencies["properties"]
    # Azure checks the identity's access to the key when the vault is created.
    assert (
        p.named("azure-native:authorization:RoleAssignment", "service-keys-identity-crypto").urn in vault.dependencies
    )
    assert identity.urn in vault.property_dependencies["identity"]
    assert vault.inputs["identity"]["type"] == "SystemAssigned,UserAssigned"
    assert props["monitoringSettings"] == {"azureMonitorAlertSettings": {"alertsForAllJobFailures": "Enabled"}}
    assert vault.inputs["location"] == "eastus"
    assert vault.protect is (stack == "prod")
    assert vault.inputs["tags"]["service"] == "backup"
    assert p.outputs["azure_backup_vault_name"].value == vault.inputs["vaultName"]


def test_only_prod_reports_its_geo_redundant_vault_as_the_dr_copy(plan):
    prod, staging = azure_plan(plan, "prod"), azure_plan(plan, "staging")
    assert prod.outputs["azure_dr_backup_vault_name"].value == only(prod, BACKUP, VAULT).inputs["vaultName"]
    assert "azure_dr_backup_vault_name" not in staging.outputs


def policy_rules(p) -> dict:
    policy = only(p, BACKUP, POLICY)
    assert policy.inputs["properties"]["datasourceTypes"] == [POSTGRES]
    assert only(p, BACKUP, VAULT).urn in policy.property_dependencies["vaultName"]
    return {rule["objectType"]: rule for rule in policy.inputs["properties"]["policyRules"]}


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_daily_full_backup_into_the_vault_kept_30_days(plan, stack):
    rules = policy_rules(azure_plan(plan, stack))
    backup, retention = rules["AzureBackupRule"], rules["AzureRetentionRule"]
    assert backup["backupParameters"] == {"objectType": "AzureBackupParams", "backupType": "Full"}
    assert backup["dataStore"] == {"dataStoreType": "VaultStore", "objectType": "DataStoreInfoBase"}
    trigger = backup["trigger"]
    assert trigger["schedule"] == {"repeatingTimeIntervals": ["R/2024-01-01T03:00:00+00:00/P1D"], "timeZone": "UTC"}
    (default_tag,) = trigger["taggingCriteria"]
    assert default_tag["isDefault"] is True and default_tag["tagInfo"] == {"tagName": "Default"}
    assert retention["isDefault"] is True and retention["name"] == "Default"
    (lifecycle,) = retention["lifecycles"]
    assert lifecycle["deleteAfter"] == {"objectType": "AbsoluteDeleteOption", "duration": "P30D"}
    assert lifecycle["sourceDataStore"]["dataStoreType"] == "VaultStore"


def test_schedule_and_retention_follow_config(plan):
    rules = policy_rules(
        azure_plan(plan, "staging", "backup.dailyRetentionDays=45", "backup.dailySchedule=cron(30 22 * * ? *)")
    )
    schedule = rules["AzureBackupRule"]["trigger"]["schedule"]["repeatingTimeIntervals"]
    assert schedule == ["R/2024-01-01T22:30:00+00:00/P1D"]
    assert rules["AzureRetentionRule"]["lifecycles"][0]["deleteAfter"]["duration"] == "P45D"


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_instance_protects_the_primary_server_with_the_policy(plan, stack):
    p = azure_plan(plan, stack)
    instance = only(p, BACKUP, INSTANCE)
    server = p.named(SERVER, "database-server")
    props = instance.inputs["properties"]
    deps = set(instance.property_dependencies["properties"])
    assert {server.urn, only(p, BACKUP, POLICY).urn} <= deps
    for info, object_type in (("dataSourceInfo", "Datasource"), ("dataSourceSetInfo", "DatasourceSet")):
        assert props[info]["objectType"] == object_type
        assert props[info]["datasourceType"] == props[info]["resourceType"] == POSTGRES
        assert props[info]["resourceID"].endswith(f"/flexibleServers/{server.inputs['serverName']}")
        assert props[info]["resourceLocation"] == "eastus"
    assert props["policyInfo"]["policyId"].endswith("/postgres-daily")
    assert only(p, BACKUP, VAULT).urn in instance.property_dependencies["vaultName"]
    grants = named(p, BACKUP, ROLE_ASSIGNMENT)
    assert {g.urn for g in grants.values()} <= set(instance.dependencies)  # permissions before protection
    if stack == "prod":  # the replica inherits: only the primary is protected
        assert p.named(SERVER, "database-replica-server").urn not in deps


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_vault_gets_the_backup_role_on_the_server_and_reader_on_its_group(plan, stack):
    # The principal is the vault's system-assigned identity, which the mocks do not model (no principalId).
    p = azure_plan(plan, stack)
    grants = named(p, BACKUP, ROLE_ASSIGNMENT)
    assert set(grants) == {"backup-server-ltr", "backup-group-reader"}
    expected = {
        "backup-server-ltr": (LTR_ROLE, p.named(SERVER, "database-server").urn),
        "backup-group-reader": (READER, p.named("azure-native:resources:ResourceGroup", "resource-group").urn),
    }
    for name, (role, scope_urn) in expected.items():
        grant = grants[name]
        assert grant.inputs["roleDefinitionId"].endswith(f"/providers/Microsoft.Authorization/roleDefinitions/{role}")
        assert grant.property_dependencies["scope"] == [scope_urn]
        assert grant.inputs["principalType"] == "ServicePrincipal"
    assert grants["backup-group-reader"].inputs["scope"].endswith(f"/resourceGroups/platform-{stack}")


def test_backup_config_azure_cannot_honour_is_refused_before_planning(capsys):
    """Config refuses it (test_config_validators.py has each case), not the Backup component half-way through."""
    assert refused(capsys, "prod", "backup.hourlyRetentionDays=10")[1:] == [
        "platform:backup.hourlyRetentionDays = 10: Azure Backup has no hourly or continuous schedule for PostgreSQL; "
        "those restore points come from the server's point-in-time recovery, so raise database.backupRetentionDays "
        "(now 7 days, at most 35) to 10"
    ]


def test_hourly_restore_points_fit_a_longer_pitr_window(plan):
    p = azure_plan(plan, "prod", "backup.hourlyRetentionDays=14", "database.backupRetentionDays=14")
    assert only(p, BACKUP, INSTANCE)
