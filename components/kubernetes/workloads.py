"""The Deployments that run each colour's release, with their HPAs and PDBs.

web and api run one Deployment per colour, each on that colour's release
(``blueGreen.releases.<colour>``), so a new version goes to the idle colour without touching
the live one; traffic reaches them through traffic.py. The worker serves no traffic and runs one
Deployment on the active colour's release.

Every container gets its environment from components/application.py (SPEC.md's settings, ``PORT``
= ``compute.appPort``, above 1024 so the non-root process binds it without ``NET_BIND_SERVICE``)
plus the cloud's endpoints, and its credentials as read-only files (app_config.py). Every container
runs its colour's release image, which config pins by digest in prod; none is privileged, adds a
capability or shares the node's namespaces. web and api are probed over HTTP as
SPEC.md says (liveness ``/live``, readiness ``/ready``). The worker serves no HTTP, so it has no
HTTP probes (they would restart it forever): Kubernetes restarts it when its process exits, and
its backlog metric shows a stalled worker.

Replicas are left to the HPA (a fixed count here would fight it on every ``pulumi up``). Requests
equal limits: Guaranteed QoS, and the quota holds exactly what the tiers can reach. A rolling
update adds ``maxSurgePercent`` pods and removes none until they are ready.
"""

from __future__ import annotations

from collections.abc import Mapping

import pulumi
import pulumi_kubernetes as k8s

from .. import application
from ..config import Color, PlatformConfig, Tier
from ..outputs import WorkloadSettings
from .app_config import ContainerConfig
from .labels import DEPLOYMENTS, SERVED_TIERS, deployment_name, metadata, name_of, pod_labels

RUN_AS_USER = 10001  # any non-root uid; the images must not need root
WRITABLE_DIR = "/tmp"  # the only writable path beside a read-only root file system
ROLLOUT_HASH = "platform/rollout-hash"


class Workloads(pulumi.ComponentResource):
    deployments: dict[str, k8s.apps.v1.Deployment]  # by Deployment name: web-blue, ..., worker

    def __init__(
        self,
        name: str,
        cfg: PlatformConfig,
        workload: WorkloadSettings,
        namespace: pulumi.Input[str],
        app_config: ContainerConfig,
        service_account: pulumi.Input[str],
        identity_labels: Mapping[str, str],
        opts: pulumi.ResourceOptions | None = None,
    ):
        """``app_config``: how every container reads the cloud's endpoints and credentials, and what rolls
        the pods; ``identity_labels``: what the pods carry for the cloud's identity webhook."""
        super().__init__("platform:kubernetes:Workloads", name, None, opts)
        self._cfg, self._workload, self._namespace = cfg, workload, namespace
        self._service_account, self._identity_labels = service_account, identity_labels
        self._app_config = app_config
        self.deployments = {deployment_name(tier, color): self._deployment(tier, color) for tier, color in DEPLOYMENTS}
        self.register_outputs({})

    def _container(self, tier: Tier, color: Color | None) -> k8s.core.v1.ContainerArgsDict:
        """The colour's release with its environment; web and api serve HTTP and are probed, the worker not."""
        cfg, compute, app_config = self._cfg, self._cfg.compute, self._app_config
        resources = {"cpu": compute.tier(tier).cpu, "memory": compute.tier(tier).memory}
        env: list[k8s.core.v1.EnvVarArgsDict] = [
            {"name": key, "value": value} for key, value in application.environment(cfg, tier, color).items()
        ]
        ports: list[k8s.core.v1.ContainerPortArgsDict] = [{"name": "metrics", "container_port": compute.metrics_port}]
        container: k8s.core.v1.ContainerArgsDict = {
            "name": tier,
            "image": application.release(cfg, color).image,
            "ports": ports,
            "env": [*env, *app_config.env],
            "env_from": app_config.env_from,
            "resources": {"requests": resources, "limits": resources},
            "security_context": {
                "run_as_non_root": True,
                "read_only_root_filesystem": True,
                "allow_privilege_escalation": False,
                "capabilities": {"drop": ["ALL"]},
            },
            "volume_mounts": [{"name": "tmp", "mount_path": WRITABLE_DIR}, *app_config.volume_mounts],
        }
        if tier in SERVED_TIERS:
            ports.insert(0, {"name": "http", "container_port": compute.app_port})
            container["liveness_probe"] = {"http_get": {"path": compute.liveness_path, "port": "http"}}
            container["readiness_probe"] = {"http_get": {"path": compute.readiness_path, "port": "http"}}
        return container

    def _deployment(self, tier: Tier, color: Color | None) -> k8s.apps.v1.Deployment:
        cfg, compute = self._cfg, self._cfg.compute
        scaling, name, selector = compute.tier(tier), deployment_name(tier, color), pod_labels(tier, color)
        running = color or cfg.blue_green.active_color  # the worker runs the active colour's release
        child = pulumi.ResourceOptions(parent=self)
        deployment = k8s.apps.v1.Deployment(
            name,
            metadata=metadata(cfg, tier, name, self._namespace, selector),
            spec={
                "selector": {"match_labels": selector},
                "strategy": {
                    "type": "RollingUpdate",
                    "rolling_update": {"max_surge": f"{cfg.kubernetes.max_surge_percent}%", "max_unavailable": 0},
                },
                "template": {
                    "metadata": {
                        "labels": {**cfg.tags_for(tier), **selector, "color": running, **self._identity_labels},
                        "annotations": {
                            # For annotation-based scrapes; the Prometheus Operator uses prometheus.py's PodMonitor.
                            "prometheus.io/scrape": "true",
                            "prometheus.io/port": str(compute.metrics_port),
                            "prometheus.io/path": compute.metrics_path,
                            ROLLOUT_HASH: self._app_config.rollout_hash,
                        },
                    },
                    "spec": {
                        "service_account_name": self._service_account,
                        "automount_service_account_token": False,
                        "security_context": {
                            "run_as_non_root": True,
                            "run_as_user": RUN_AS_USER,
                            "run_as_group": RUN_AS_USER,
                            "fs_group": RUN_AS_USER,  # the group that may read the credential files (app_config.py)
                            "seccomp_profile": {"type": "RuntimeDefault"},
                        },
                        "containers": [self._container(tier, color)],
                        "volumes": [{"name": "tmp", "empty_dir": {}}, *self._app_config.volumes],
                    },
                },
            },
            opts=child,
        )
        k8s.autoscaling.v2.HorizontalPodAutoscaler(
            name,
            metadata=metadata(cfg, tier, name, self._namespace, selector),
            spec={
                "scale_target_ref": {
                    "api_version": "apps/v1",
                    "kind": "Deployment",
                    "name": name_of(deployment.metadata),
                },
                "min_replicas": scaling.min_size,
                "max_replicas": scaling.max_size,
                "metrics": [self._metric(tier)],
            },
            opts=child,
        )
        k8s.policy.v1.PodDisruptionBudget(
            name,
            metadata=metadata(cfg, tier, name, self._namespace, selector),
            spec={
                "selector": {"match_labels": selector},
                "min_available": f"{cfg.kubernetes.pdb_min_available_percent}%",
            },
            opts=child,
        )
        return deployment

    def _metric(self, tier: Tier) -> k8s.autoscaling.v2.MetricSpecArgsDict:
        """The tier's SPEC.md scaling signal (config validation pins each tier to its metric), by the names
        the cluster's metrics adapter serves: config's, else the first cloud's usual adapter's."""
        scaling, k, workload = self._cfg.compute.tier(tier), self._cfg.kubernetes, self._workload
        if scaling.metric == "cpu_utilization":
            return {
                "type": "Resource",
                "resource": {
                    "name": "cpu",
                    "target": {"type": "Utilization", "average_utilization": round(scaling.target)},
                },
            }
        if scaling.metric == "request_count":
            # SPEC.md's requests per target are per minute (as ALB's RequestCountPerTarget); adapters serve per second.
            per_second = f"{round(scaling.target * 1000 / 60)}m"
            return {
                "type": "Pods",
                "pods": {
                    "metric": {"name": k.api_requests_metric or workload.requests_metric},
                    "target": {"type": "AverageValue", "average_value": per_second},
                },
            }
        # The queue's backlog divided by the worker pods consuming it.
        metric: k8s.autoscaling.v2.MetricIdentifierArgsDict = {"name": k.worker_queue_metric or workload.queue_metric}
        selector = workload.queue_metric_selector if k.worker_queue_selector is None else k.worker_queue_selector
        if selector:
            metric["selector"] = {"match_labels": selector}
        return {
            "type": "External",
            "external": {"metric": metric, "target": {"type": "AverageValue", "average_value": f"{scaling.target:g}"}},
        }
