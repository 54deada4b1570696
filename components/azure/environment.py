"""One environment on Azure: the table of contents of every Azure component and how they connect."""

from __future__ import annotations

import pulumi
from pulumi_azure_native import Provider, resources

from .. import application
from ..config import TIERS, PlatformConfig
from ..outputs import AzureKeyVault, EnvironmentOutputs, StoredSecret, WorkloadSettings
from .access import AccessRoles
from .alarms import Alarms
from .backup import Backup
from .cache import Cache
from .common import client_config
from .compute import Compute
from .database import Database, DatabaseReplica
from .feature_flags import FeatureFlags
from .frontdoor import FrontDoor
from .keys import Keys
from .monitoring import Monitoring
from .network import Network
from .rollback import pool_exhausted, rollback_rules
from .rotation import CredentialRotation
from .secrets import AppSecrets
from .storage import Storage
from .telemetry import Telemetry


class AzureEnvironment(pulumi.ComponentResource):
    outputs: EnvironmentOutputs

    def __init__(self, cfg: PlatformConfig, opts: pulumi.ResourceOptions | None = None):
        super().__init__("platform:azure:Environment", cfg.name(), None, opts)
        az = cfg.azure
        provider = Provider("azure", location=az.location, opts=pulumi.ResourceOptions(parent=self))
        child = pulumi.ResourceOptions(parent=self, providers={"azure-native": provider})
        dr = cfg.disaster_recovery.enabled
        rg = resources.ResourceGroup(
            "resource-group", resource_group_name=cfg.name(), location=az.location, tags=cfg.tags_for("platform"),
            opts=child,
        )  # fmt: skip
        client = client_config(self)
        keys = Keys("keys", cfg, rg.name, az.location, opts=child)
        # For App Configuration and the Backup vault, which cannot use the closed vault (keys.py).
        service_keys = Keys("service-keys", cfg, rg.name, az.location, reachable=True, opts=child)
        monitoring = Monitoring("monitoring", cfg, rg.name, az.location, opts=child)
        dr_rg = dr_keys = dr_network = None
        if dr:
            dr_rg = resources.ResourceGroup(
                "dr-resource-group", resource_group_name=cfg.name("dr"), location=az.dr_location,
                tags=cfg.tags_for("platform"), opts=child,
            )  # fmt: skip
            dr_keys = Keys("dr-keys", cfg, dr_rg.name, az.dr_location, opts=child)
        storage = Storage(
            "storage", cfg, rg.name, az.location, keys, dr_rg.name if dr_rg else None, dr_keys, opts=child
        )
        app_ws = monitoring.workspaces["app"]
        network = Network(
            "network", cfg, rg.name, az.location, az.address_space, storage.accounts["flowlogs"].id,
            app_ws, opts=child,
        )  # fmt: skip
        keys.serve_secrets(network)
        storage.serve_queue(network, keys.identity.principal_id, client.subscription_id)
        cache = Cache("cache", cfg, rg.name, az.location, network, storage.persistence_account, opts=child)
        secrets = AppSecrets("secrets", cfg, cache.access_key, opts=child)
        if dr_rg:
            dr_network = Network(
                "dr-network", cfg, dr_rg.name, az.dr_location, az.dr_address_space,
                storage.accounts["flowlogs-dr"].id, app_ws, public=False, opts=child,
            )  # fmt: skip
        database = Database(
            "database", cfg, rg.name, az.location, network, keys, secrets.database_password, dr_keys, opts=child
        )
        replica = (
            DatabaseReplica("database-replica", cfg, dr_rg.name, az.dr_location, database, dr_network, dr_keys,
                            opts=child)
            if dr_rg and dr_network and dr_keys
            else None
        )  # fmt: skip
        rotation = CredentialRotation(
            "rotation", cfg, rg.name, az.location, keys, database.server, cache.redis, opts=child
        )
        # Key Vault announces the expiry only of versions written once the rotation's subscription exists.
        secrets.store(rg.name, keys, after=[rotation.subscription])
        rotation.grant_on(secrets.secrets)
        backup = (
            Backup("backup", cfg, rg, az.location, service_keys, database.server, client.subscription_id, opts=child)
            if cfg.backup.enabled
            else None
        )
        front_door = FrontDoor("front-door", cfg, rg.name, az.location, client.subscription_id, network, opts=child)
        flags = FeatureFlags(
            "feature-flags", cfg, rg.name, az.location, network, service_keys, keys.identity, opts=child
        )
        connections: dict[str, pulumi.Input[str]] = {
            "DATABASE_HOST": database.server.fully_qualified_domain_name,
            "DATABASE_PORT": str(cfg.database.port),
            "DATABASE_NAME": cfg.database.name,
            "DATABASE_USER": cfg.database.username,
            "REDIS_HOST": cache.redis.host_name,
            "REDIS_PORT": cache.redis.ssl_port.apply(str),
            "WORKER_QUEUE_URL": f"https://{storage.names['queue']}.queue.core.windows.net/{storage.queue_name}",
        }
        telemetry = Telemetry("telemetry", cfg, rg.name, az.location, app_ws, keys.identity.principal_id, opts=child)
        compute = Compute(
            "compute", cfg, rg.name, az.location, network, keys, front_door, storage, telemetry, client.subscription_id,
            service_env={
                **connections,
                "AZURE_CLIENT_ID": keys.identity.client_id,  # the managed identity the Azure SDKs sign in with
                "KEY_VAULT_URL": f"https://{keys.vault_name}.vault.azure.net",
                "APP_CONFIGURATION_ENDPOINT": flags.store.endpoint,
                "FEATURE_FLAGS_LABEL": cfg.environment,
            },
            opts=child,
        )  # fmt: skip
        access = AccessRoles("access", cfg, rg.id, monitoring.workspaces, opts=child)
        for what, resource_id in (
            ("database", database.server.id),
            ("cache", cache.redis.id),
            ("front-door", front_door.profile.id),
            ("rotation", rotation.workflow.id),
            *([("database-replica", replica.server.id)] if replica else []),  # the DR replica's logs too
        ):
            monitoring.diagnostics(what, resource_id)
        for what, vault in (("keys", keys), ("dr-keys", dr_keys)):
            if vault:
                monitoring.diagnostics(what, vault.vault.id, workspace="audit")
        # Who read, wrote or deleted configuration objects (S3 server access logs' counterpart).
        config_blobs = pulumi.Output.concat(storage.accounts["config"].id, "/blobServices/default")
        monitoring.diagnostics("config-blobs", config_blobs, workspace="audit")
        alarms = Alarms(
            "alarms", cfg, rg.name, az.location, monitoring, compute.scale_sets, front_door, database.server,
            cache.redis, replica.server if replica else None, backup.vault if backup else None,
            rollback_rules(cfg, front_door, compute.scale_sets), [rotation.failure_rule], opts=child,
        )  # fmt: skip
        pools = pool_exhausted(
            alarms, cfg, rg.name, az.location, telemetry.prometheus_workspace, monitoring.action_groups["high"]
        )

        self.outputs = EnvironmentOutputs(
            region=az.location,
            network_id=network.vnet.id,
            public_subnet_ids=[],  # Front Door runs at Microsoft's edge, not in a subnet of ours
            private_subnet_ids=[network.subnets[s].id for s in ("app", "data", "endpoints")],
            database_endpoint=database.server.fully_qualified_domain_name,
            database_port=cfg.database.port,
            database_name=cfg.database.name,
            database_secret_id=secrets.secret_ids["database-password"],
            cache_endpoint=cache.redis.host_name,
            cache_port=cache.redis.ssl_port,
            cache_secret_id=secrets.secret_ids["redis-access-key"],
            load_balancer_dns_name=front_door.endpoint.host_name,
            https_listener_id=front_door.routes["web"].id,
            api_listener_rule_id=front_door.routes["api"].id,
            target_group_ids={
                tier: {color: origin.id for color, origin in by_color.items()}
                for tier, by_color in front_door.origins.items()
            },
            worker_queue_id=storage.queue.id,
            alarm_topic_ids={s: g.id for s, g in monitoring.action_groups.items()},
            kms_key_id=keys.key.id,
            app_log_group_names={tier: monitoring.workspaces["app"].name for tier in TIERS},
            audit_log_group_name=monitoring.workspaces["audit"].name,
            config_bucket_name=storage.names["config"],
            feature_flags_id=flags.store.id,
            access_role_ids={role: definition.id for role, definition in access.roles.items()},
            releases=application.releases_output(cfg),
            # Per colour: its metric and log alert ids, then its Prometheus rule group's.
            rollback_alarm_ids={color: [*ids, pools[color].id] for color, ids in alarms.rollback_ids.items()},
            dr_region=az.dr_location if dr else None,
            dr_database_endpoint=replica.server.fully_qualified_domain_name if replica else None,
            dr_database_id=replica.server.id if replica else None,
            backup_vault_name=backup.vault_name if backup else None,
            # Azure's DR-region copies are the geo-redundant vault's, restored from it with cross-region restore.
            dr_backup_vault_name=backup.vault_name if backup and cfg.backup.copy_to_dr else None,
            dr_config_bucket_name=storage.dr_config_name,
            workload=WorkloadSettings(
                env=connections,
                secrets={
                    "DATABASE_PASSWORD": secrets.database_password,
                    "REDIS_AUTH_TOKEN": secrets.redis_access_key,
                    "JWT_SIGNING_KEY": secrets.jwt_signing_key,
                },
                # The rotation writes each new value as the secret's latest version (plain text).
                secret_store=AzureKeyVault(
                    url=f"https://{keys.vault_name}.vault.azure.net", tenant_id=client.tenant_id
                ),
                stored_secrets={
                    "DATABASE_PASSWORD": StoredSecret(secrets.secrets["database-password"].name),
                    "REDIS_AUTH_TOKEN": StoredSecret(secrets.secrets["redis-access-key"].name),
                    "JWT_SIGNING_KEY": StoredSecret(secrets.secrets["jwt-signing-key"].name),
                },
                service_cidrs=[str(cfg.azure.address_space)],  # private endpoints and the delegated subnet
                # Azure Monitor has no per-queue backlog: the worker's own gauge, via the Prometheus Adapter.
                queue_metric_selector={"queue": storage.queue_name},
            ),
        )
        self.register_outputs({})
