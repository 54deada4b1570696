"""web, api and worker as one Deployment per colour, with HPAs, PDBs and the live Services.

Both colours run side by side (SPEC.md: two identical pools); each tier's Service selects the
colour ``blueGreen.activeColor`` names, so switching colour is a config change and a
``pulumi up``. Kubernetes Services cannot split traffic by weight, so ``canaryWeight`` applies to
the load-balanced clouds only. The worker tier serves no traffic and gets no Service.

Replicas are left to the HPA (a fixed count here would fight it on every ``pulumi up``).
Requests equal limits: Guaranteed QoS, and the quota holds exactly what the tiers can reach.
"""

from __future__ import annotations

import hashlib
import json

import pulumi
import pulumi_kubernetes as k8s

from ..config import COLORS, TIERS, Color, PlatformConfig, Tier
from .labels import metadata, name_of, pod_labels

SERVED_TIERS: tuple[Tier, ...] = ("web", "api")  # the worker takes work from the queue, not requests
RUN_AS_USER = 10001  # any non-root uid; the images must not need root
WRITABLE_DIR = "/tmp"  # the only writable path beside a read-only root file system


class Workloads(pulumi.ComponentResource):
    deployments: dict[Tier, dict[Color, k8s.apps.v1.Deployment]]
    services: dict[Tier, k8s.core.v1.Service]

    def __init__(
        self,
        name: str,
        cfg: PlatformConfig,
        namespace: pulumi.Input[str],
        config_map: pulumi.Input[str],
        secret: pulumi.Input[str] | None,
        opts: pulumi.ResourceOptions | None = None,
    ):
        """``config_map`` and ``secret`` name what every container reads its environment from."""
        super().__init__("platform:kubernetes:Workloads", name, None, opts)
        self._cfg, self._namespace = cfg, namespace
        env_from: list[k8s.core.v1.EnvFromSourceArgsDict] = [{"config_map_ref": {"name": config_map}}]
        if secret is not None:
            env_from.append({"secret_ref": {"name": secret}})
        # Settings reach pods only when they start: a changed hash in the template rolls them.
        settings_hash = hashlib.sha256(json.dumps(cfg.app.as_env(), sort_keys=True).encode()).hexdigest()[:16]
        self.deployments = {
            tier: {color: self._deployment(tier, color, env_from, settings_hash) for color in COLORS} for tier in TIERS
        }
        self.services = {tier: self._service(tier) for tier in SERVED_TIERS}
        self.register_outputs({f"{tier}_service": service.metadata.name for tier, service in self.services.items()})

    def _deployment(
        self, tier: Tier, color: Color, env_from: list[k8s.core.v1.EnvFromSourceArgsDict], settings_hash: str
    ) -> k8s.apps.v1.Deployment:
        cfg, compute = self._cfg, self._cfg.compute
        scaling = compute.tier(tier)
        labels = pod_labels(tier, color)
        resources = {"cpu": scaling.cpu, "memory": scaling.memory}
        child = pulumi.ResourceOptions(parent=self)
        deployment = k8s.apps.v1.Deployment(
            f"{tier}-{color}",
            metadata=metadata(cfg, tier, f"{tier}-{color}", self._namespace, labels),
            spec={
                "selector": {"match_labels": labels},
                "template": {
                    "metadata": {
                        "labels": {**cfg.tags_for(tier), **labels},
                        "annotations": {
                            "prometheus.io/scrape": "true",
                            "prometheus.io/port": str(compute.metrics_port),
                            "prometheus.io/path": compute.metrics_path,
                            "prometheus.io/interval": f"{compute.scrape_interval_seconds}s",
                            "platform/settings-hash": settings_hash,
                        },
                    },
                    "spec": {
                        "automount_service_account_token": False,
                        "security_context": {
                            "run_as_non_root": True,
                            "run_as_user": RUN_AS_USER,
                            "run_as_group": RUN_AS_USER,
                            "fs_group": RUN_AS_USER,
                            "seccomp_profile": {"type": "RuntimeDefault"},
                        },
                        "containers": [
                            {
                                "name": tier,
                                "image": cfg.kubernetes.images[tier],
                                "ports": [
                                    {"name": "http", "container_port": compute.app_port},
                                    {"name": "metrics", "container_port": compute.metrics_port},
                                ],
                                "env_from": env_from,
                                "env": [{"name": "DEPLOYMENT_COLOR", "value": color}],
                                "resources": {"requests": resources, "limits": resources},
                                "liveness_probe": {
                                    "http_get": {"path": compute.liveness_path, "port": compute.app_port}
                                },
                                "readiness_probe": {
                                    "http_get": {"path": compute.readiness_path, "port": compute.app_port}
                                },
                                "security_context": {
                                    "run_as_non_root": True,
                                    "read_only_root_filesystem": True,
                                    "allow_privilege_escalation": False,
                                    "capabilities": {"drop": ["ALL"]},
                                },
                                "volume_mounts": [{"name": "tmp", "mount_path": WRITABLE_DIR}],
                            }
                        ],
                        "volumes": [{"name": "tmp", "empty_dir": {}}],
                    },
                },
            },
            opts=child,
        )
        name = name_of(deployment.metadata)
        k8s.autoscaling.v2.HorizontalPodAutoscaler(
            f"{tier}-{color}",
            metadata=metadata(cfg, tier, f"{tier}-{color}", self._namespace, labels),
            spec={
                "scale_target_ref": {"api_version": "apps/v1", "kind": "Deployment", "name": name},
                "min_replicas": scaling.min_size,
                "max_replicas": scaling.max_size,
                "metrics": [self._metric(tier)],
            },
            opts=child,
        )
        k8s.policy.v1.PodDisruptionBudget(
            f"{tier}-{color}",
            metadata=metadata(cfg, tier, f"{tier}-{color}", self._namespace, labels),
            spec={
                "selector": {"match_labels": labels},
                "min_available": f"{cfg.kubernetes.pdb_min_available_percent}%",
            },
            opts=child,
        )
        return deployment

    def _metric(self, tier: Tier) -> k8s.autoscaling.v2.MetricSpecArgsDict:
        """The tier's SPEC.md scaling signal (config validation pins each tier to its metric)."""
        scaling, k = self._cfg.compute.tier(tier), self._cfg.kubernetes
        if scaling.metric == "cpu_utilization":
            target: k8s.autoscaling.v2.MetricTargetArgsDict = {
                "type": "Utilization",
                "average_utilization": round(scaling.target),
            }
            return {"type": "Resource", "resource": {"name": "cpu", "target": target}}
        per_pod: k8s.autoscaling.v2.MetricTargetArgsDict = {
            "type": "AverageValue",
            "average_value": f"{scaling.target:g}",
        }
        if scaling.metric == "request_count":  # custom metrics API: requests per pod, like per target on a LB
            return {"type": "Pods", "pods": {"metric": {"name": k.api_requests_metric}, "target": per_pod}}
        # external metrics API: queue backlog divided by the pods consuming it
        return {"type": "External", "external": {"metric": {"name": k.worker_queue_metric}, "target": per_pod}}

    def _service(self, tier: Tier) -> k8s.core.v1.Service:
        cfg, port = self._cfg, self._cfg.compute.app_port
        active = cfg.blue_green.active_color
        return k8s.core.v1.Service(
            tier,
            metadata=metadata(cfg, tier, tier, self._namespace, {"tier": tier}),
            spec={
                "type": "ClusterIP",
                "selector": pod_labels(tier, active),
                "ports": [{"name": "http", "port": port, "target_port": port, "protocol": "TCP"}],
            },
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.deployments[tier][active]]),
        )
