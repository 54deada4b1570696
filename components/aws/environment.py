"""One environment on AWS: the table of contents of every AWS component and how they connect."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from .. import application
from ..config import PlatformConfig
from ..outputs import AwsSecretsManager, EnvironmentOutputs, StoredSecret, WorkloadSettings
from .access import AccessRoles
from .access_logs import AccessLogs
from .alarms import Alarms
from .alerting import Alerting
from .audit import AuditTrail
from .backup import Backups
from .boot import Credential
from .cache import Cache
from .compute import Compute
from .database import Database
from .database_replica import DatabaseReplica
from .feature_flags import FeatureFlags
from .keys import Keys
from .load_balancer import BlueGreenLoadBalancer
from .logs import AppLogs
from .network import Network
from .queue import WorkQueue
from .rollback import RollbackAlarms
from .rotation import SecretRotations
from .secrets import AppSecrets, GeneratedCredentials
from .storage import ConfigBucket
from .waf import WebFirewall


class AwsEnvironment(pulumi.ComponentResource):
    """Every AWS resource of one environment, parented here so the tree reads by concern."""

    outputs: EnvironmentOutputs

    def __init__(self, cfg: PlatformConfig, opts: pulumi.ResourceOptions | None = None):
        super().__init__("platform:aws:Environment", cfg.name(), None, opts)
        primary = aws.Provider("aws", region=cfg.aws.region, opts=pulumi.ResourceOptions(parent=self))
        dr = (
            aws.Provider("aws-dr", region=cfg.aws.dr_region, opts=pulumi.ResourceOptions(parent=self))
            if cfg.disaster_recovery.enabled
            else None
        )
        child = pulumi.ResourceOptions(parent=self, providers={"aws": primary})

        keys = Keys("keys", cfg, dr_provider=dr, opts=child)
        network = Network("network", cfg, cidr=str(cfg.aws.vpc_cidr), logs_key=keys.logs, public=True, opts=child)
        credentials = GeneratedCredentials("credentials", opts=child)
        alerting = Alerting("alerting", cfg, key=keys.alerts, opts=child)
        app_logs = AppLogs("logs", cfg, key=keys.logs, opts=child)
        config_bucket = ConfigBucket("config", cfg, key=keys.data, dr_key=keys.dr_data, dr_provider=dr, opts=child)
        audit = AuditTrail(
            "audit",
            cfg,
            logs_key=keys.logs,
            config_bucket=config_bucket.bucket,
            dr_logs_key=keys.dr_logs,
            dr_provider=dr,
            opts=child,
        )
        access_logs = AccessLogs(
            "access-logs", cfg, sources={"config": config_bucket.bucket, "audit": audit.bucket}, opts=child
        )

        database = Database(
            "database",
            cfg,
            network=network,
            key=keys.data,
            logs_key=keys.logs,
            password=credentials.database_password,
            opts=child,
        )
        cache = Cache(
            "cache",
            cfg,
            network=network,
            key=keys.data,
            logs_key=keys.logs,
            password=credentials.cache_auth_token,
            opts=child,
        )
        secrets = AppSecrets(
            "secrets", cfg, key=keys.data, credentials=credentials, database=database, cache=cache, opts=child
        )
        SecretRotations(
            "rotation",
            cfg,
            secrets=secrets,
            network=network,
            cache=cache,
            key=keys.data,
            logs_key=keys.logs,
            opts=child,
        )
        queue = WorkQueue("queue", cfg, key=keys.data, opts=child)
        flags = FeatureFlags("feature-flags", cfg, key=keys.data, opts=child)
        load_balancer = BlueGreenLoadBalancer(
            "load-balancer", cfg, network=network, access_logs=access_logs, opts=child
        )
        WebFirewall("waf", cfg, load_balancer=load_balancer, logs_key=keys.logs, opts=child)
        # Where the application finds its data stores and queue, on the instances and on Kubernetes alike.
        services: dict[str, pulumi.Input[str]] = {
            "DATABASE_HOST": database.instance.address,
            "DATABASE_PORT": str(cfg.database.port),
            "DATABASE_NAME": cfg.database.name,
            "DATABASE_USER": cfg.database.username,
            "REDIS_HOST": cache.replication_group.primary_endpoint_address,
            "REDIS_PORT": str(cfg.cache.port),
            "WORKER_QUEUE_URL": queue.queue.url,
        }
        compute = Compute(
            "compute",
            cfg,
            network=network,
            key=keys.data,
            load_balancer=load_balancer,
            queue=queue,
            app_logs=app_logs,
            credentials={
                "DATABASE_PASSWORD": Credential(secrets.database_secret_arn, "password"),
                "REDIS_AUTH_TOKEN": Credential(secrets.cache_secret_arn, "password"),
                "JWT_SIGNING_KEY": Credential(secrets.jwt_secret_arn),
            },
            flags=flags,
            endpoints={
                "AWS_REGION": cfg.aws.region,
                **services,
                "APPCONFIG_APPLICATION_ID": flags.application.id,
                "APPCONFIG_ENVIRONMENT_ID": flags.environment.environment_id,
                "APPCONFIG_PROFILE_ID": flags.profile.configuration_profile_id,
                # Where an application that re-reads rotated credentials itself finds them (the role may read them).
                "DATABASE_SECRET_ARN": secrets.database_secret_arn,
                "REDIS_SECRET_ARN": secrets.cache_secret_arn,
                "JWT_SECRET_ARN": secrets.jwt_secret_arn,
            },
            opts=child,
        )
        backups = (
            Backups(
                "backup",
                cfg,
                key=keys.data,
                dr_key=keys.dr_data,
                dr_provider=dr if cfg.backup.copy_to_dr else None,  # config: copyToDr needs DR on
                database_arn=database.instance.arn,
                config_bucket_arn=config_bucket.bucket.arn,
                alerting=alerting,
                opts=child,
            )
            if cfg.backup.enabled
            else None
        )
        replica = None
        if dr is not None:
            assert keys.dr_data is not None and keys.dr_logs is not None  # Keys makes them when given the DR provider
            dr_child = pulumi.ResourceOptions(parent=self, providers={"aws": dr})
            dr_network = Network(
                "dr-network", cfg, cidr=str(cfg.aws.dr_vpc_cidr), logs_key=keys.dr_logs, public=False, opts=dr_child
            )
            replica = DatabaseReplica(
                "database-replica",
                cfg,
                source=database,
                network=dr_network,
                key=keys.dr_data,
                logs_key=keys.dr_logs,
                opts=dr_child,
            )
        Alarms(
            "alarms",
            cfg,
            alerting=alerting,
            load_balancer=load_balancer,
            compute=compute,
            database=database,
            cache=cache,
            queue=queue,
            app_logs=app_logs,
            replica=replica,
            opts=child,
        )
        rollback = RollbackAlarms(
            "rollback",
            cfg,
            alerting=alerting,
            load_balancer=load_balancer,
            compute=compute,
            app_logs=app_logs,
            opts=child,
        )
        roles = AccessRoles(
            "access",
            cfg,
            audit_log_group=audit.log_group,
            audit_buckets=[audit.bucket, *([audit.replica] if audit.replica else [])],
            opts=child,
        )

        self.outputs = EnvironmentOutputs(
            region=cfg.aws.region,
            network_id=network.vpc.id,
            public_subnet_ids=[s.id for s in network.public_subnets],
            private_subnet_ids=[s.id for s in network.private_subnets],
            database_endpoint=database.instance.address,
            database_port=database.instance.port,
            database_name=cfg.database.name,
            database_secret_id=secrets.database_secret_arn,
            cache_endpoint=cache.replication_group.primary_endpoint_address,
            cache_port=cfg.cache.port,
            cache_secret_id=secrets.cache_secret_arn,
            load_balancer_dns_name=load_balancer.lb.dns_name,
            https_listener_id=load_balancer.https_listener.arn,
            api_listener_rule_id=load_balancer.api_rule.arn,
            target_group_ids={
                tier: {color: tg.arn for color, tg in pools.items()}
                for tier, pools in load_balancer.target_groups.items()
            },
            worker_queue_id=queue.queue.url,
            alarm_topic_ids={severity: topic.arn for severity, topic in alerting.topics.items()},
            kms_key_id=keys.data.arn,
            app_log_group_names={tier: group.name for tier, group in app_logs.groups.items()},
            audit_log_group_name=audit.log_group.name,
            config_bucket_name=config_bucket.bucket.bucket,
            feature_flags_id=flags.application.id,
            access_role_ids={role: r.arn for role, r in roles.roles.items()},
            releases=application.releases_output(cfg),
            rollback_alarm_ids={color: [alarm.name for alarm in alarms] for color, alarms in rollback.alarms.items()},
            backup_vault_name=backups.vault.name if backups else None,
            dr_region=cfg.aws.dr_region if dr is not None else None,
            dr_database_endpoint=replica.instance.address if replica else None,
            dr_database_id=replica.instance.identifier if replica else None,
            dr_backup_vault_name=backups.dr_vault.name if backups and backups.dr_vault else None,
            dr_config_bucket_name=config_bucket.replica.bucket if config_bucket.replica else None,
            workload=WorkloadSettings(
                env=services,
                secrets={
                    "DATABASE_PASSWORD": credentials.database_password,
                    "REDIS_AUTH_TOKEN": credentials.cache_auth_token,
                    "JWT_SIGNING_KEY": credentials.jwt_signing_key,
                },
                # What rotation keeps current: the connection and RBAC-user JSON documents' passwords, the plain key.
                secret_store=AwsSecretsManager(region=cfg.aws.region),
                stored_secrets={
                    "DATABASE_PASSWORD": StoredSecret(secrets.database_secret_arn, "password"),
                    "REDIS_AUTH_TOKEN": StoredSecret(secrets.cache_secret_arn, "password"),
                    "JWT_SIGNING_KEY": StoredSecret(secrets.jwt_secret_arn),
                },
                service_cidrs=[str(cfg.aws.vpc_cidr)],
                # The CloudWatch exporter's SQS backlog, served by the Prometheus Adapter's external rules.
                queue_metric="aws_sqs_approximate_number_of_messages_visible_average",
                queue_metric_selector={"queue_name": queue.queue.name},
            ),
        )
        self.register_outputs({})
