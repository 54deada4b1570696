"""PostgreSQL Flexible Server on Azure: private, CMK, TLS-only, backups and HA per environment, DR replica in prod."""

from __future__ import annotations

import itertools

import pytest

from components.config import ConfigError
from infractl.runtime import SECRET
from tests.azure.support import azure_plan, named, only
from tests.conftest import STACKS

DATABASE = "platform:azure:Database"
REPLICA = "platform:azure:DatabaseReplica"
SERVER = "azure-native:dbforpostgresql:Server"
CONFIGURATION = "azure-native:dbforpostgresql:Configuration"
IDENTITY = "azure-native:managedidentity:UserAssignedIdentity"
PARAMETERS = {
    "require_secure_transport": "on",
    "ssl_min_protocol_version": "TLSv1.2",
    "log_min_duration_statement": "1000",
    "log_connections": "on",
    "log_disconnections": "on",
    "log_checkpoints": "on",
    "log_lock_waits": "on",
    "azure.extensions": "pgaudit",
    "shared_preload_libraries": "pg_cron,pg_stat_statements,pgaudit",
    "pgaudit.log": "ddl,role",
}
RESTART = "platform:azure:RestartAfterStaticChange"
SCRIPT = "azure-native:resources:AzureCliScript"
ROLE = "azure-native:authorization:RoleDefinition"
ASSIGNMENT = "azure-native:authorization:RoleAssignment"


def _urn(p, type_: str, name: str) -> str:
    return p.named(type_, name).urn


def _parameters(p, component: str) -> dict[str, str]:
    return {c.inputs["configurationName"]: c.inputs["value"] for c in named(p, component, CONFIGURATION).values()}


@pytest.mark.parametrize("stack", STACKS)
def test_postgres_14_private_in_the_delegated_subnet_with_cmk(plan, stack):
    p = azure_plan(plan, stack)
    server = only(p, DATABASE, SERVER)
    assert server.inputs["version"] == "14"
    assert server.inputs["serverName"] == f"platform-{stack}-postgres"
    network = server.inputs["network"]
    assert network["publicNetworkAccess"] == "Disabled"
    assert network["delegatedSubnetResourceId"].endswith(f"/virtualNetworks/platform-{stack}-network/subnets/data")
    assert set(server.property_dependencies["network"]) == {
        _urn(p, "azure-native:network:Subnet", "network-data"),
        _urn(p, "azure-native:privatedns:PrivateZone", "network-postgres-zone"),
    }
    encryption = server.inputs["dataEncryption"]
    assert encryption["type"] == "AzureKeyVault"
    # Versionless: the server follows Key Vault's automatic rotation instead of pinning a version that expires.
    assert encryption["primaryKeyURI"].endswith(".vault.azure.net/keys/data")
    assert encryption["primaryUserAssignedIdentityId"] in server.inputs["identity"]["userAssignedIdentities"]
    assert _urn(p, IDENTITY, "keys-identity") in server.property_dependencies["identity"]
    assert server.inputs["storage"]["type"] == "Premium_LRS"
    assert server.inputs["tags"]["service"] == "database"


@pytest.mark.parametrize(
    ("stack", "sku", "tier", "storage_gb", "protected"),
    [
        ("dev", "Standard_B2s", "Burstable", 32, False),
        ("staging", "Standard_B2s", "Burstable", 32, False),
        ("prod", "Standard_D2ds_v5", "GeneralPurpose", 128, True),  # 100 GB asked: the next size Azure offers
    ],
)
def test_size_backups_ha_and_protection_per_environment(plan, stack, sku, tier, storage_gb, protected):
    p = azure_plan(plan, stack)
    server = only(p, DATABASE, SERVER)
    prod = stack == "prod"
    assert server.inputs["sku"] == {"name": sku, "tier": tier}
    assert server.inputs["storage"]["storageSizeGB"] == storage_gb
    assert server.inputs["storage"]["autoGrow"] == "Enabled"
    assert server.inputs["backup"] == {
        "backupRetentionDays": 7,  # dev asks for 1 day; Azure's minimum is 7
        "geoRedundantBackup": "Enabled" if prod else "Disabled",
    }
    if prod:
        assert server.inputs["highAvailability"] == {"mode": "ZoneRedundant", "standbyAvailabilityZone": "2"}
        assert server.inputs["availabilityZone"] == "1"
    else:
        assert server.inputs["highAvailability"] == {"mode": "Disabled"}
    assert server.protect is protected
    (database,) = named(p, DATABASE, "azure-native:dbforpostgresql:Database").values()
    assert database.inputs["databaseName"] == "platform"
    assert database.inputs["charset"] == "UTF8"
    assert database.property_dependencies["serverName"] == [server.urn]
    assert database.protect is protected


def test_geo_backup_is_encrypted_with_a_second_key_and_identity(plan):
    p = azure_plan(plan, "prod")
    server = only(p, DATABASE, SERVER)
    encryption, identities = server.inputs["dataEncryption"], server.inputs["identity"]["userAssignedIdentities"]
    assert encryption["geoBackupKeyURI"].endswith(".vault.azure.net/keys/data")
    assert encryption["geoBackupKeyURI"] != encryption["primaryKeyURI"]
    # A map keyed by identity id; Azure wants a different identity for each key.
    assert set(identities) == {
        encryption["primaryUserAssignedIdentityId"],
        encryption["geoBackupUserAssignedIdentityId"],
    }
    assert "/resourceGroups/platform-prod-dr/" in encryption["geoBackupUserAssignedIdentityId"]
    assert set(server.property_dependencies["identity"]) == {
        _urn(p, IDENTITY, "keys-identity"),
        _urn(p, IDENTITY, "dr-keys-identity"),
    }
    assert _urn(p, "azure-native:keyvault:Key", "dr-keys-data") in server.property_dependencies["dataEncryption"]


def test_without_disaster_recovery_no_geo_backup_and_no_replica(plan):
    p = azure_plan(plan, "prod", "disasterRecovery.enabled=false", "backup.copyToDr=false")
    server = only(p, DATABASE, SERVER)
    assert server.inputs["backup"]["geoRedundantBackup"] == "Disabled"
    assert "geoBackupKeyURI" not in server.inputs["dataEncryption"]
    assert len(server.inputs["identity"]["userAssignedIdentities"]) == 1
    assert not p.of_type(REPLICA)


@pytest.mark.parametrize("stack", STACKS)
def test_tls_required_and_slow_queries_logged_one_parameter_at_a_time(plan, stack):
    p = azure_plan(plan, stack)
    server = only(p, DATABASE, SERVER)
    assert _parameters(p, DATABASE) == PARAMETERS
    configurations = list(named(p, DATABASE, CONFIGURATION).values())
    for previous, configuration in itertools.pairwise(configurations):
        assert previous.urn in configuration.dependencies  # Azure rejects concurrent parameter updates
    assert all(c.property_dependencies["serverName"] == [server.urn] for c in configurations)
    assert all(c.inputs["source"] == "user-override" for c in configurations)


def test_parameters_follow_config(plan):
    p = azure_plan(plan, "dev", "database.slowQueryMs=250", "security.minTlsVersion=1.3")
    parameters = _parameters(p, DATABASE)
    assert parameters["log_min_duration_statement"] == "250"
    assert parameters["ssl_min_protocol_version"] == "TLSv1.3"


def test_administrator_password_is_the_secret_from_app_secrets(plan):
    p = azure_plan(plan, "staging")
    server = only(p, DATABASE, SERVER)
    assert server.inputs["administratorLogin"] == "platform_admin"
    assert server.inputs["administratorLoginPassword"] == SECRET
    password = p.named("random:index/randomPassword:RandomPassword", "secrets-database-password")
    assert server.property_dependencies["administratorLoginPassword"] == [password.urn]
    # Rotation owns the password after creation: a later deploy must not set the first one back.
    assert server.ignore_changes == ["administratorLoginPassword"]


@pytest.mark.parametrize(
    ("component", "restart", "server_name"),
    [
        (DATABASE, "database-restart", "platform-prod-postgres"),
        (REPLICA, "database-replica-restart", "platform-prod-postgres-dr"),
    ],
)
def test_a_deployment_script_restarts_each_server_after_the_static_parameters(plan, component, restart, server_name):
    """shared_preload_libraries only takes effect at a restart, which ARM does not do by itself."""
    p = azure_plan(plan, "prod")
    server = only(p, component, SERVER)
    script = p.named(SCRIPT, f"{restart}-script")
    assert script.parent == p.named(RESTART, restart).urn
    assert script.inputs["kind"] == "AzureCLI"
    assert 'az postgres flexible-server restart --ids "$SERVER_ID"' in script.inputs["scriptContent"]
    variables = {v["name"]: v["value"] for v in script.inputs["environmentVariables"]}
    assert variables["SERVER_ID"].endswith(f"/providers/Microsoft.DBforPostgreSQL/flexibleServers/{server_name}")
    assert 'az login --identity --username "$CLIENT_ID"' in script.inputs["scriptContent"]  # each attempt signs in
    identity = p.named(IDENTITY, f"{restart}-identity")
    assert set(script.property_dependencies["environmentVariables"]) == {server.urn, identity.urn}
    # After every parameter (the restart applies them); again only when a static value changes.
    assert {c.urn for c in named(p, component, CONFIGURATION).values()} <= set(script.dependencies)
    preload = _parameters(p, component)["shared_preload_libraries"]
    assert script.inputs["forceUpdateTag"] == f"shared_preload_libraries={preload}"
    # Its identity may restart this server and nothing else, and holds that before the script runs.
    assert script.inputs["identity"]["type"] == "UserAssigned"
    assert script.property_dependencies["identity"] == [identity.urn]
    role = p.named(ROLE, f"{restart}-role")
    assert role.inputs["permissions"] == [
        {
            "actions": [
                "Microsoft.DBforPostgreSQL/flexibleServers/read",
                "Microsoft.DBforPostgreSQL/flexibleServers/restart/action",
            ]
        }
    ]
    grant = p.named(ASSIGNMENT, f"{restart}-grant")
    assert grant.property_dependencies["scope"] == [server.urn]
    assert grant.property_dependencies["principalId"] == [identity.urn]
    assert grant.property_dependencies["roleDefinitionId"] == [role.urn]
    assert grant.urn in script.dependencies


@pytest.mark.parametrize("stack", ["dev", "staging"])
def test_replica_only_in_prod(plan, stack):
    assert not azure_plan(plan, stack).of_type(REPLICA)


def test_prod_replica_in_the_dr_region_with_its_own_network_and_key(plan):
    p = azure_plan(plan, "prod")
    primary, replica = only(p, DATABASE, SERVER), only(p, REPLICA, SERVER)
    assert replica.inputs["createMode"] == "Replica"
    assert replica.inputs["sourceServerResourceId"].endswith(
        "/resourceGroups/platform-prod/providers/Microsoft.DBforPostgreSQL/flexibleServers/platform-prod-postgres"
    )
    assert replica.property_dependencies["sourceServerResourceId"] == [primary.urn]
    assert replica.inputs["location"] == "westus"
    assert replica.inputs["resourceGroupName"] == "platform-prod-dr"
    assert replica.inputs["network"]["publicNetworkAccess"] == "Disabled"
    assert set(replica.property_dependencies["network"]) == {
        _urn(p, "azure-native:network:Subnet", "dr-network-data"),
        _urn(p, "azure-native:privatedns:PrivateZone", "dr-network-postgres-zone"),
    }
    encryption = replica.inputs["dataEncryption"]
    assert encryption["primaryKeyURI"] == primary.inputs["dataEncryption"]["geoBackupKeyURI"]  # the DR vault's key
    assert list(replica.inputs["identity"]["userAssignedIdentities"]) == [encryption["primaryUserAssignedIdentityId"]]
    assert replica.property_dependencies["identity"] == [_urn(p, IDENTITY, "dr-keys-identity")]
    # Promotable: same tier and storage as the primary; Azure gives replicas no backups, HA or admin login.
    assert (replica.inputs["sku"], replica.inputs["storage"]) == (primary.inputs["sku"], primary.inputs["storage"])
    assert not {"backup", "highAvailability", "administratorLogin", "administratorLoginPassword"} & set(replica.inputs)
    assert replica.protect is True
    # Azure refuses parameter changes on the primary while a replica is created: the replica comes after them.
    primary_settled = {c.urn for c in named(p, DATABASE, CONFIGURATION).values()}
    assert primary_settled | {p.named(SCRIPT, "database-restart-script").urn} <= set(replica.dependencies)
    assert _parameters(p, REPLICA) == PARAMETERS  # a promoted replica enforces TLS like the primary


@pytest.mark.parametrize(
    ("stack", "override", "expected"),
    [
        (
            "dev",
            "database.highAvailability=true",
            'azure.postgresTier = "Burstable": cannot run database.highAvailability',
        ),
        (
            "staging",
            "disasterRecovery.enabled=true",
            'azure.postgresTier = "Burstable": cannot host the disasterRecovery',
        ),
        (
            "prod",
            "azure.postgresSku=Standard_B2ms",
            'azure.postgresSku = "Standard_B2ms": is not a GeneralPurpose size',
        ),
        ("prod", 'azure.zones=["1"]', 'azure.zones = ["1"]: database.highAvailability needs at least 2'),
    ],
)
def test_bad_database_config_is_one_clear_error(plan, stack, override, expected):
    with pytest.raises(ConfigError) as error:
        azure_plan(plan, stack, override)
    assert expected in str(error.value)


def test_azure_tier_rules_do_not_apply_to_other_clouds(plan):
    p = plan("dev", "database.highAvailability=true")
    assert p.named("aws:rds/instance:Instance", "postgres").inputs["multiAz"] is True
