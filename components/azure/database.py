"""PostgreSQL Flexible Server: private, CMK, TLS-only, slow queries logged; zone-redundant HA and a DR replica in prod.

- Private access: the server is injected into the data subnet (delegated to flexible servers) and resolves
  through the private DNS zone; public access is off (Azure cannot combine the two).
- CMK: the key is referenced without a version, so the server follows Key Vault's automatic rotation (a pinned
  version expires after ``azure.keyExpiryDays`` and leaves the server Inaccessible). Geo-redundant backups
  (on with disaster recovery) are encrypted with a second key and a second identity, both in the region the
  backups are stored in. Azure stores them in the *paired* region of ``azure.location``, so the geo-backup
  keys must live there: config requires ``azure.drLocation`` to be that pair (eastus/westus), so the DR keys are.
- Storage is Premium SSD (Premium SSD v2 has no CMK, HA, replicas or geo-backup) in the fixed sizes Azure
  offers: the smallest one >= ``allocatedStorageGb``, with auto-grow.
- Backup retention is at least Azure's minimum of 7 days (dev's 1 day is raised); it is also the PITR window.
- HA: a standby in a second zone with automatic failover. Burstable has neither HA nor read replicas, which the
  config rejects (``azure.postgresTier``).
- The DR read replica must match the primary's tier and storage to be promotable; Azure gives replicas no
  backups and no HA, and wants their key and identity in the replica's own region.
- pgAudit (SPEC.md: databases audit DDL and role changes) on both servers: allowed as an extension, loaded
  through ``shared_preload_libraries`` and logging DDL and role statements, with the CIS logging flags
  (checkpoints, lock waits). ``shared_preload_libraries`` is static: Azure applies it only at a restart and
  ARM has no "save and restart", so a deployment script restarts the server once after the value changes
  (on the first deploy too), as an identity allowed nothing but that restart. ``CREATE EXTENSION pgaudit``
  (one statement, in the application's first migration) adds the event triggers that name the objects a
  DDL statement touched; session logging works from the preload.
- The administrator password is Pulumi's only at creation: credential rotation (rotation.py) owns it after
  that, so a later ``pulumi up`` never sets the old one back.
"""

from __future__ import annotations

from typing import Any

import pulumi
from pulumi_azure_native import dbforpostgresql as postgresql
from pulumi_azure_native import resources

from ..config import PlatformConfig
from ..config.azure import MIN_BACKUP_RETENTION_DAYS
from .common import Actor
from .keys import Keys
from .network import Network

STORAGE_SIZES_GB = (32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32767)  # Premium SSD sizes Azure offers
STORAGE_TYPE = "Premium_LRS"
# Azure's default preload (pg_cron, pg_stat_statements) stays; pgAudit joins it.
PRELOAD_LIBRARIES = ("pg_cron", "pg_stat_statements", "pgaudit")
PGAUDIT_CLASSES = ("ddl", "role")  # SPEC.md: DDL and role changes; Azure takes no "-class" exclusions
# Parameters PostgreSQL reads only at server start: changing one needs a restart (RestartAfterStaticChange).
STATIC_PARAMETERS = ("shared_preload_libraries",)
RESTART_ACTIONS = (
    "Microsoft.DBforPostgreSQL/flexibleServers/read",
    "Microsoft.DBforPostgreSQL/flexibleServers/restart/action",
)
AZ_CLI_VERSION = "2.67.0"  # a version deployment scripts offer (mcr.microsoft.com/azure-cli)
# The grant may take minutes to reach ARM (the sign-in too, so each attempt signs in again), and Azure refuses a
# restart while a parameter update runs.
RESTART_SCRIPT = """set -eu
for attempt in 1 2 3 4 5 6 7 8 9 10; do
  az login --identity --username "$CLIENT_ID" > /dev/null || true
  az postgres flexible-server restart --ids "$SERVER_ID" && exit 0
  echo "restart attempt $attempt failed; retrying in 30 s" >&2
  sleep 30
done
exit 1
"""


def storage_size_gb(requested: int) -> int:
    return next((size for size in STORAGE_SIZES_GB if size >= requested), STORAGE_SIZES_GB[-1])


def user_identities(ids: list[pulumi.Output[str]]) -> postgresql.UserAssignedIdentityArgsDict:
    """PostgreSQL takes its identities as a map keyed by identity id (other services take a list)."""
    return {
        "type": "UserAssigned",
        "user_assigned_identities": pulumi.Output.all(*ids).apply(lambda known: {i: {} for i in known}),
    }


def server_parameters(cfg: PlatformConfig) -> dict[str, str]:
    """TLS required at the configured minimum; slow statements and every connection logged; pgAudit allowed,
    loaded and logging DDL and role changes; checkpoints and lock waits logged (CIS PostgreSQL)."""
    return {
        "require_secure_transport": "on",
        "ssl_min_protocol_version": f"TLSv{cfg.security.min_tls_version}",
        "log_min_duration_statement": str(cfg.database.slow_query_ms),
        "log_connections": "on",
        "log_disconnections": "on",
        "log_checkpoints": "on",
        "log_lock_waits": "on",
        "azure.extensions": "pgaudit",
        "shared_preload_libraries": ",".join(PRELOAD_LIBRARIES),
        "pgaudit.log": ",".join(PGAUDIT_CLASSES),
    }


def _server_args(cfg: PlatformConfig, network: Network, keys: Keys, geo_keys: Keys | None = None) -> dict[str, Any]:
    """What the primary and its replica share, so a promoted replica runs like the primary."""
    geo_encryption = (
        {
            "geo_backup_key_uri": geo_keys.key.key_uri,
            "geo_backup_user_assigned_identity_id": geo_keys.identity.id,
        }
        if geo_keys
        else {}
    )
    return {
        "sku": {"name": cfg.azure.postgres_sku, "tier": cfg.azure.postgres_tier},
        "storage": {
            "storage_size_gb": storage_size_gb(cfg.database.allocated_storage_gb),
            "auto_grow": "Enabled",
            "type": STORAGE_TYPE,
        },
        "network": {
            "delegated_subnet_resource_id": network.subnets["data"].id,
            "private_dns_zone_arm_resource_id": network.zones["postgres"].id,
            "public_network_access": "Disabled",
        },
        "identity": user_identities([keys.identity.id, *([geo_keys.identity.id] if geo_keys else [])]),
        "data_encryption": {
            "type": "AzureKeyVault",
            "primary_key_uri": keys.key.key_uri,
            "primary_user_assigned_identity_id": keys.identity.id,
            **geo_encryption,
        },
        "tags": cfg.tags_for("database"),
    }


def _configure(
    parent: pulumi.Resource,
    name: str,
    cfg: PlatformConfig,
    resource_group: pulumi.Input[str],
    location: str,
    server: postgresql.Server,
) -> list[pulumi.Resource]:
    """One server parameter after the other (Azure rejects concurrent configuration updates on a server),
    then the restart that applies the static ones; returns them all."""
    configured: list[postgresql.Configuration] = []
    parameters = server_parameters(cfg)
    for parameter, value in parameters.items():
        configured.append(
            postgresql.Configuration(
                f"{name}-{parameter.replace('_', '-').replace('.', '-')}",
                resource_group_name=resource_group,
                server_name=server.name,
                configuration_name=parameter,
                value=value,
                source="user-override",
                opts=pulumi.ResourceOptions(parent=parent, depends_on=configured[-1:]),
            )
        )
    static = ";".join(f"{p}={parameters[p]}" for p in STATIC_PARAMETERS)
    restart = RestartAfterStaticChange(
        f"{name}-restart", cfg, resource_group, location, server, static, configured,
        opts=pulumi.ResourceOptions(parent=parent),
    )  # fmt: skip
    return [*configured, restart.script]


class RestartAfterStaticChange(pulumi.ComponentResource):
    """A deployment script that restarts the server when ``static`` (its static parameters) changes.

    The script runs as its own identity, holding a custom role with the restart action alone on this server;
    Azure runs it in a container it creates and removes (the deploying principal needs the rights to create
    a storage account and a container instance in the resource group, which Owner or Contributor has).
    """

    script: resources.AzureCliScript

    def __init__(
        self,
        name: str,
        cfg: PlatformConfig,
        resource_group: pulumi.Input[str],
        location: str,
        server: postgresql.Server,
        static: str,
        configured: list[postgresql.Configuration],
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__("platform:azure:RestartAfterStaticChange", name, None, opts)
        actor = Actor(
            self, name, cfg, resource_group, location, name,
            "restart a PostgreSQL server to apply static parameters", RESTART_ACTIONS, cfg.tags_for("database"),
        )  # fmt: skip
        identity, allowed = actor.identity, actor.allow("grant", server.id)
        self.script = resources.AzureCliScript(
            f"{name}-script",
            resource_group_name=resource_group,
            location=location,
            kind="AzureCLI",
            az_cli_version=AZ_CLI_VERSION,
            script_content=RESTART_SCRIPT,
            environment_variables=[
                resources.EnvironmentVariableArgs(name="SERVER_ID", value=server.id),
                resources.EnvironmentVariableArgs(name="CLIENT_ID", value=identity.client_id),
            ],
            identity=resources.ManagedServiceIdentityArgs(type="UserAssigned", user_assigned_identities=[identity.id]),
            # A new tag runs the script again: exactly when a static parameter's value changes.
            force_update_tag=static,
            timeout="PT30M",
            retention_interval="PT1H",
            cleanup_preference="Always",
            tags=cfg.tags_for("database"),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[allowed, *configured]),
        )
        self.register_outputs({"script_id": self.script.id})


class Database(pulumi.ComponentResource):
    server: postgresql.Server
    server_name: str
    settled: list[pulumi.Resource]  # its parameters and their restart: a replica is created after them

    def __init__(
        self,
        name: str,
        cfg: PlatformConfig,
        resource_group: pulumi.Input[str],
        location: str,
        network: Network,
        keys: Keys,
        password: pulumi.Input[str],
        geo_backup_keys: Keys | None,
        opts: pulumi.ResourceOptions | None = None,
    ):
        """``password`` comes from AppSecrets; ``geo_backup_keys`` (disaster recovery) turns geo-redundant backup on."""
        super().__init__("platform:azure:Database", name, None, opts)
        db = cfg.database
        self.server_name = cfg.name("postgres")
        zones = cfg.azure.zones  # HA needs two; the config makes sure there are
        self.server = postgresql.Server(
            f"{name}-server",
            resource_group_name=resource_group,
            server_name=self.server_name,
            location=location,
            version=db.engine_version.split(".")[0],
            administrator_login=db.username,
            administrator_login_password=pulumi.Output.secret(password),
            auth_config={"password_auth": "Enabled", "active_directory_auth": "Enabled"},
            backup={
                "backup_retention_days": max(db.backup_retention_days, MIN_BACKUP_RETENTION_DAYS),
                "geo_redundant_backup": "Enabled" if geo_backup_keys else "Disabled",
            },
            availability_zone=zones[0] if db.high_availability else None,
            high_availability=(
                {"mode": "ZoneRedundant", "standby_availability_zone": zones[1]}
                if db.high_availability
                else {"mode": "Disabled"}
            ),
            **_server_args(cfg, network, keys, geo_backup_keys),
            # Azure checks both identities' access to their keys (AzureKeyVaultMissingPermissions otherwise).
            opts=pulumi.ResourceOptions(
                parent=self,
                protect=db.deletion_protection,
                additional_secret_outputs=["administratorLoginPassword"],
                ignore_changes=["administratorLoginPassword"],
                depends_on=[k.crypto_grant for k in (keys, geo_backup_keys) if k],
            ),
        )
        self.settled = _configure(self, name, cfg, resource_group, location, self.server)
        postgresql.Database(
            f"{name}-database",
            resource_group_name=resource_group,
            server_name=self.server.name,
            database_name=db.name,
            charset="UTF8",
            collation="en_US.utf8",
            opts=pulumi.ResourceOptions(parent=self, protect=db.deletion_protection),
        )
        self.register_outputs({"endpoint": self.server.fully_qualified_domain_name})


class DatabaseReplica(pulumi.ComponentResource):
    """Cross-region read replica in the DR location: promote it on failover (RTO 4 h, RPO 1 h)."""

    server: postgresql.Server
    server_name: str

    def __init__(
        self,
        name: str,
        cfg: PlatformConfig,
        resource_group: pulumi.Input[str],
        location: str,
        source: Database,
        network: Network,
        keys: Keys,
        opts: pulumi.ResourceOptions | None = None,
    ):
        """``network`` and ``keys`` are the DR region's: Azure wants the replica's key vault in its own region."""
        super().__init__("platform:azure:DatabaseReplica", name, None, opts)
        self.server_name = cfg.name("postgres", "dr")
        self.server = postgresql.Server(
            f"{name}-server",
            resource_group_name=resource_group,
            server_name=self.server_name,
            location=location,
            create_mode="Replica",
            source_server_resource_id=source.server.id,
            **_server_args(cfg, network, keys),
            # While a replica is created Azure refuses parameter changes on the primary: create it after them,
            # and it starts with the primary's parameters.
            opts=pulumi.ResourceOptions(
                parent=self,
                protect=cfg.database.deletion_protection,
                depends_on=[keys.crypto_grant, *source.settled],
            ),
        )
        _configure(self, name, cfg, resource_group, location, self.server)
        self.register_outputs({"endpoint": self.server.fully_qualified_domain_name})
