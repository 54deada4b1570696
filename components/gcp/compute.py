"""The web, api and worker tiers as regional managed instance groups, each with its autoscaler.

Web and api run one group per colour (blue and green), each behind its own backend service, so
the URL map's weights decide which colour serves; both colours stay at their minimum size so a
rollback only moves weights. Each group has its own instance template (shielded VM, CMEK boot
disk, no external IP, OS Login) carrying its colour's release (``blueGreen.releases``; the worker
runs the active colour's): the image, the container's environment (``application.environment``
plus the service endpoints) and the names of the Secret Manager secrets it reads at start, which
``startup.py`` turns into a container under systemd. Changing one colour's release changes only
that colour's template; a new template (``name_prefix``) is created before the old one is deleted,
and the group rolls onto it surge-first. Each tier scales on SPEC.md's signal: web on CPU, api on
load-balancer requests per instance, worker on undelivered Pub/Sub messages per instance.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pulumi
import pulumi_gcp as gcp

from .. import application
from ..config import COLORS, TIERS, Color, PlatformConfig, Tier
from .keys import Keys
from .network import Network
from .project import gcp_labels
from .queue import WorkQueue
from .startup import startup_script

POOLED_TIERS: tuple[Tier, ...] = ("web", "api")  # behind the load balancer, one group per colour
HTTP_PORT_NAME = "http"
REGIONAL_ZONES = 3  # a regional group spreads over three zones; a surge needs one instance per zone
FULL_UTILIZATION = 1.0  # api: scale so each instance serves its backend's max rate (SPEC's target)
# Project roles of the instances' service account: write logs and metrics, read feature flags.
PROJECT_ROLES = ("roles/logging.logWriter", "roles/monitoring.metricWriter", "roles/parametermanager.parameterAccessor")
HEALTH_CHECK_INTERVAL_SECONDS = 10
UNHEALTHY_THRESHOLD = 3


def group_names() -> list[tuple[str, Tier, Color | None]]:
    """Every group: (key, tier, colour); the worker has no colour."""
    return [
        (f"{tier}-{color}" if tier in POOLED_TIERS else tier, tier, color if tier in POOLED_TIERS else None)
        for tier in TIERS
        for color in (COLORS if tier in POOLED_TIERS else (None,))
    ]


class Compute(pulumi.ComponentResource):
    health_check: gcp.compute.HealthCheck
    health_checked: frozenset[str]  # groups the load balancer health-checks and MIG autohealing watches
    tiers: dict[str, Tier]
    templates: dict[str, gcp.compute.InstanceTemplate]
    groups: dict[str, gcp.compute.RegionInstanceGroupManager]
    autoscalers: dict[str, gcp.compute.RegionAutoscaler]

    def __init__(
        self,
        name: str,
        cfg: PlatformConfig,
        network: Network,
        keys: Keys,
        queue: WorkQueue,
        credentials: Mapping[str, gcp.secretmanager.Secret],
        service_env: Mapping[str, pulumi.Input[str]],
        opts: pulumi.ResourceOptions | None = None,
    ):
        """``service_env`` (endpoints) joins each container's environment; ``credentials`` (environment
        variable -> secret) are read from Secret Manager at start, so only the secrets' names are in metadata."""
        super().__init__("platform:gcp:Compute", name, None, opts)
        self._cfg, self._queue = cfg, queue
        child = pulumi.ResourceOptions(parent=self)
        self._account = network.app_account
        member = self._account.email.apply(lambda email: f"serviceAccount:{email}")
        for role in PROJECT_ROLES:
            gcp.projects.IAMMember(role.split("/")[-1], project=cfg.gcp.project, role=role, member=member, opts=child)
        for variable, secret in credentials.items():
            gcp.secretmanager.SecretIamMember(
                variable.lower().replace("_", "-"),
                secret_id=secret.id,
                role="roles/secretmanager.secretAccessor",
                member=member,
                opts=child,
            )
        secret_names = pulumi.Output.json_dumps({variable: secret.id for variable, secret in credentials.items()})
        gcp.pubsub.SubscriptionIAMMember(
            "worker", subscription=queue.subscription.name, role="roles/pubsub.subscriber", member=member, opts=child
        )
        gcp.pubsub.TopicIAMMember(
            "worker", topic=queue.topic.name, role="roles/pubsub.publisher", member=member, opts=child
        )
        self.health_check = gcp.compute.HealthCheck(
            "app",
            name=cfg.name("app"),
            check_interval_sec=HEALTH_CHECK_INTERVAL_SECONDS,
            timeout_sec=HEALTH_CHECK_INTERVAL_SECONDS // 2,
            unhealthy_threshold=UNHEALTHY_THRESHOLD,
            http_health_check={"port": cfg.compute.app_port, "request_path": cfg.compute.health_path},
            log_config={"enable": True},
            opts=child,
        )
        self.templates, self.groups, self.autoscalers = {}, {}, {}
        self.tiers = {key: tier for key, tier, _ in group_names()}
        self.health_checked = frozenset(key for key, tier in self.tiers.items() if tier in POOLED_TIERS)
        for key, tier, color in group_names():
            labels = gcp_labels(cfg, tier, tier=tier, **({"color": color} if color else {}))
            metadata: dict[str, pulumi.Input[str]] = {
                "startup-script": startup_script(cfg, cfg.name(key), tier),
                "platform-image": application.release(cfg, color).image,
                "platform-env": pulumi.Output.json_dumps({**application.environment(cfg, tier, color), **service_env}),
                "platform-secrets": secret_names,
            }
            self.templates[key] = self._template(key, tier, network, keys, labels, metadata)
            self.groups[key] = self._group(key, self.templates[key], labels)
            self.autoscalers[key] = self._autoscaler(key, tier)
        self.register_outputs({key: group.id for key, group in self.groups.items()})

    def _template(
        self,
        key: str,
        tier: Tier,
        network: Network,
        keys: Keys,
        labels: dict[str, str],
        release: Mapping[str, pulumi.Input[str]],
    ) -> gcp.compute.InstanceTemplate:
        cfg = self._cfg
        return gcp.compute.InstanceTemplate(
            key,
            name_prefix=f"{cfg.name(key)}-",
            machine_type=cfg.gcp.machine_types[tier],
            disks=[
                {
                    "boot": True,
                    "auto_delete": True,
                    "source_image": cfg.gcp.boot_image,
                    "disk_size_gb": cfg.compute.root_volume_gb,
                    "disk_type": "pd-balanced",
                    "disk_encryption_key": {"kms_key_self_link": keys.data.id},
                    "labels": labels,
                }
            ],
            network_interfaces=[{"subnetwork": network.subnets["primary"].id}],  # no access config: no public IP
            shielded_instance_config={
                "enable_secure_boot": True,
                "enable_vtpm": True,
                "enable_integrity_monitoring": True,
            },
            service_account={"email": self._account.email, "scopes": ["cloud-platform"]},
            metadata={"enable-oslogin": "TRUE", "block-project-ssh-keys": "TRUE", **release},
            labels=labels,
            opts=pulumi.ResourceOptions(parent=self, depends_on=keys.grants),
        )

    def _group(
        self, key: str, template: gcp.compute.InstanceTemplate, labels: dict[str, str]
    ) -> gcp.compute.RegionInstanceGroupManager:
        cfg = self._cfg
        # The worker serves no traffic and has no health check: autohealing would recreate it forever; its
        # container restarts under systemd and the group recreates a VM that stops.
        healing: Any = (
            {
                "health_check": self.health_check.id,
                "initial_delay_sec": cfg.compute.instance_warmup_seconds,
            }
            if key in self.health_checked
            else None
        )
        return gcp.compute.RegionInstanceGroupManager(
            key,
            name=cfg.name(key),
            base_instance_name=cfg.name(key),
            region=cfg.gcp.region,
            versions=[{"name": "current", "instance_template": template.self_link_unique}],
            named_ports=[{"name": HTTP_PORT_NAME, "port": cfg.compute.app_port}],
            auto_healing_policies=healing,
            # Surge first and take nothing out of service: percentages apply to groups of 10 or more, and a
            # regional group's fixed values must be 0 or at least its zone count.
            update_policy={
                "type": "PROACTIVE",
                "minimal_action": "REPLACE",
                "max_surge_fixed": REGIONAL_ZONES,
                "max_unavailable_fixed": 0,
            },
            all_instances_config={"labels": labels},
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _autoscaler(self, key: str, tier: Tier) -> gcp.compute.RegionAutoscaler:
        cfg, scaling = self._cfg, self._cfg.compute.tier(tier)
        signals: dict[str, Any] = {
            "cpu_utilization": {"cpu_utilization": {"target": scaling.target / 100}},
            "request_count": {"load_balancing_utilization": {"target": FULL_UTILIZATION}},
            "queue_length": {
                "metrics": [
                    {
                        "name": "pubsub.googleapis.com/subscription/num_undelivered_messages",
                        "filter": pulumi.Output.concat(
                            'resource.type = pubsub_subscription AND resource.labels.subscription_id = "',
                            self._queue.subscription.name,
                            '"',
                        ),
                        "single_instance_assignment": scaling.target,
                    }
                ]
            },
        }
        return gcp.compute.RegionAutoscaler(
            key,
            name=cfg.name(key),
            region=cfg.gcp.region,
            target=self.groups[key].id,
            autoscaling_policy={
                "min_replicas": scaling.min_size,
                "max_replicas": scaling.max_size,
                "cooldown_period": cfg.compute.instance_warmup_seconds,
                **signals[scaling.metric],
            },
            opts=pulumi.ResourceOptions(parent=self),
        )
