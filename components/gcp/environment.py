"""One environment on GCP: the table of contents of every GCP component and how they connect."""

from __future__ import annotations

import pulumi
import pulumi_gcp as gcp

from .. import application
from ..config import PlatformConfig
from ..outputs import EnvironmentOutputs, GcpSecretManager, StoredSecret, WorkloadSettings
from .access import AccessRoles
from .alarms import Alarms
from .alerting import Alerting
from .armor import EdgeSecurity
from .backup import ConfigArchive
from .cache import Cache
from .compute import Compute
from .database import Database
from .feature_flags import FeatureFlags
from .keys import Keys
from .load_balancer import BlueGreenLoadBalancer
from .logs import AppLogs
from .network import POSTGRES_PORT, Network
from .project import ProjectServices
from .queue import WorkQueue
from .rollback import RollbackAlarms
from .rotation import CredentialRotation
from .secrets import AppSecrets
from .storage import ConfigBucket


class GcpEnvironment(pulumi.ComponentResource):
    """Every GCP resource of one environment, parented here so the tree reads by concern."""

    outputs: EnvironmentOutputs

    def __init__(self, cfg: PlatformConfig, opts: pulumi.ResourceOptions | None = None):
        super().__init__("platform:gcp:Environment", cfg.name(), None, opts)
        agents = ProjectServices("project", cfg, opts=pulumi.ResourceOptions(parent=self))
        # Every other resource uses this provider, so none is created before the APIs and agents exist.
        provider = gcp.Provider(
            "gcp",
            project=cfg.gcp.project,
            region=cfg.gcp.region,
            opts=pulumi.ResourceOptions(parent=self, depends_on=agents.ready),
        )
        child = pulumi.ResourceOptions(parent=self, providers={"gcp": provider})

        keys = Keys("keys", cfg, agents, opts=child)
        network = Network("network", cfg, opts=child)
        secrets = AppSecrets("secrets", cfg, keys, agents, opts=child)
        alerting = Alerting("alerting", cfg, keys, agents, opts=child)
        app_logs = AppLogs("logs", cfg, keys, opts=child)
        database = Database("database", cfg, network, keys, password=secrets.database_password, opts=child)
        cache = Cache("cache", cfg, network, keys, secrets, opts=child)
        queue = WorkQueue("queue", cfg, keys, agents, opts=child)
        flags = FeatureFlags("feature-flags", cfg, keys, opts=child)
        CredentialRotation("rotation", cfg, keys, secrets, database, cache, alerting, opts=child)
        # Where the services are, the same for VMs and pods (pods also get the project from their cluster).
        endpoints: dict[str, pulumi.Input[str]] = {
            "DATABASE_HOST": database.instance.private_ip_address,
            "DATABASE_PORT": str(POSTGRES_PORT),
            "DATABASE_NAME": cfg.database.name,
            "DATABASE_USER": cfg.database.username,
            "REDIS_HOST": cache.instance.host,
            "REDIS_PORT": cache.instance.port.apply(str),
            "REDIS_CA_CERT": cache.server_ca,  # Memorystore's server CA (PEM): clients verify TLS against it
            "WORKER_SUBSCRIPTION_ID": queue.subscription.id,
        }
        compute = Compute(
            "compute",
            cfg,
            network,
            keys,
            queue,
            credentials={
                "DATABASE_PASSWORD": secrets.secrets["database-password"],
                "REDIS_AUTH_TOKEN": secrets.secrets["cache-auth-string"],
                "JWT_SIGNING_KEY": secrets.secrets["jwt-signing-key"],
            },
            service_env={
                **endpoints,
                "GOOGLE_CLOUD_PROJECT": cfg.gcp.project,
                "WORKER_TOPIC_ID": queue.topic.id,
                "FEATURE_FLAGS_PARAMETER_ID": flags.parameter.id,
            },
            opts=child,
        )
        edge = EdgeSecurity("edge", cfg, opts=child)
        load_balancer = BlueGreenLoadBalancer("load-balancer", cfg, compute, edge, opts=child)
        config_bucket = ConfigBucket("config", cfg, keys, opts=child)
        archive = (
            ConfigArchive("config-archive", cfg, keys, config_bucket.bucket, opts=child).archive
            if cfg.backup.config_retention_days
            else None
        )
        Alarms("alarms", cfg, alerting, compute, load_balancer, database, cache, opts=child)
        rollback = RollbackAlarms("rollback", cfg, alerting, compute, load_balancer, opts=child)
        roles = AccessRoles("access", cfg, network.app_account, app_logs, opts=child)

        replica = database.replica
        self.outputs = EnvironmentOutputs(
            region=cfg.gcp.region,
            network_id=network.network.id,
            public_subnet_ids=[],  # the global load balancer runs at Google's edge, in no subnet
            private_subnet_ids=[subnet.id for subnet in network.subnets.values()],
            database_endpoint=database.instance.private_ip_address,
            database_port=POSTGRES_PORT,
            database_name=cfg.database.name,
            database_secret_id=secrets.secrets["database-password"].id,
            cache_endpoint=cache.instance.host,
            cache_port=cache.instance.port,
            cache_secret_id=secrets.secrets["cache-auth-string"].id,
            load_balancer_dns_name=load_balancer.address.address,
            https_listener_id=load_balancer.https_rule.id,
            api_listener_rule_id=load_balancer.api_route_id,
            target_group_ids={
                tier: {color: service.id for color, service in services.items()}
                for tier, services in load_balancer.backend_services.items()
            },
            worker_queue_id=queue.subscription.id,
            alarm_topic_ids={severity: channel.id for severity, channel in alerting.channels.items()},
            kms_key_id=keys.data.id,
            app_log_group_names={tier: bucket.id for tier, bucket in app_logs.buckets.items()},
            audit_log_group_name=app_logs.audit.id,
            config_bucket_name=config_bucket.bucket.name,
            feature_flags_id=flags.parameter.id,
            access_role_ids={role: r.name for role, r in roles.roles.items()},
            releases=application.releases_output(cfg),
            rollback_alarm_ids=rollback.ids,
            # Cloud SQL keeps the database's backups with the instance: `gcloud sql backups list --instance <this>`.
            backup_vault_name=database.instance.name if cfg.backup.enabled else None,
            dr_region=cfg.gcp.dr_region if cfg.disaster_recovery.enabled else None,
            dr_database_endpoint=replica.private_ip_address if replica else None,
            dr_database_id=replica.name if replica else None,
            dr_backup_vault_name=archive.name if archive and cfg.backup.copy_to_dr else None,
            dr_config_bucket_name=config_bucket.replica.name if config_bucket.replica else None,
            workload=WorkloadSettings(
                env=endpoints,
                secrets={
                    "DATABASE_PASSWORD": secrets.database_password,
                    "REDIS_AUTH_TOKEN": cache.instance.auth_string,
                    "JWT_SIGNING_KEY": secrets.jwt_signing_key,
                },
                # The rotation workflow adds each new value as the secret's latest version.
                secret_store=GcpSecretManager(project=cfg.gcp.project),
                stored_secrets={
                    "DATABASE_PASSWORD": StoredSecret(secrets.secrets["database-password"].secret_id),
                    "REDIS_AUTH_TOKEN": StoredSecret(secrets.secrets["cache-auth-string"].secret_id),
                    "JWT_SIGNING_KEY": StoredSecret(secrets.secrets["jwt-signing-key"].secret_id),
                },
                service_cidrs=[str(cfg.gcp.private_services_cidr)],  # Cloud SQL and Memorystore's PSA range
                # The Custom Metrics Stackdriver Adapter: Managed Prometheus's counter (served as a rate), Pub/Sub.
                requests_metric="prometheus.googleapis.com|http_requests_total|counter",
                queue_metric="pubsub.googleapis.com|subscription|num_undelivered_messages",
                queue_metric_selector={"resource.labels.subscription_id": queue.subscription.name},
            ),
        )
        self.register_outputs({})
