"""The platform on Kubernetes: the table of contents of every Kubernetes component and how they connect."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from ..config import Color, PlatformConfig, Tier
from ..outputs import WorkloadSettings
from .app_config import AppConfig
from .identity import WorkloadIdentity
from .labels import name_of
from .namespace import Namespace
from .network_policies import NetworkPolicies
from .prometheus import PrometheusMonitoring
from .secret_sync import SecretSync
from .traffic import Traffic
from .workloads import Workloads


@dataclass(frozen=True)
class KubernetesOutputs:
    """What consumers of the cluster deployment read: where it runs, the live Services' names, the
    HTTPRoute that weighs the colours and, with the Prometheus Operator, each colour's rollback alerts."""

    namespace: pulumi.Output[str]
    service_names: Mapping[Tier, pulumi.Output[str]]
    route_name: pulumi.Output[str]
    rollback_alarm_ids: Mapping[Color, list[str]] | None


class KubernetesEnvironment(pulumi.ComponentResource):
    """Every Kubernetes object of one environment, through one explicit provider."""

    outputs: KubernetesOutputs

    def __init__(
        self,
        cfg: PlatformConfig,
        workload: WorkloadSettings,
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__("platform:kubernetes:Environment", cfg.name("kubernetes"), None, opts)
        # An explicit provider: the cluster is whatever config names, never the ambient default
        # context picked up by accident. With neither set it reads $KUBECONFIG / ~/.kube/config.
        # The provider replaces a changed ConfigMap or Secret by default, and for a fixed name deletes
        # it first (pods starting in between fail); changed in place instead (pulumi-kubernetes 4.18+,
        # #2291), the kubelet refreshes the mounted credentials and the rollout hash rolls the pods on a
        # changed ConfigMap.
        provider = k8s.Provider(
            "kubernetes",
            kubeconfig=cfg.kubernetes.kubeconfig,
            context=cfg.kubernetes.context,
            enable_config_map_mutable=True,
            enable_secret_mutable=True,
            opts=pulumi.ResourceOptions(parent=self),
        )
        child = pulumi.ResourceOptions(parent=self, providers={"kubernetes": provider})

        namespace = Namespace("namespace", cfg, opts=child)
        identity = WorkloadIdentity("identity", cfg, namespace=namespace.name, opts=child)
        # The credentials: kept current from the cloud's store by the External Secrets Operator, or else the
        # values the cloud was created with.
        credentials = (
            SecretSync(
                "secret-sync", cfg, workload, namespace=namespace.name, service_account=identity.name, opts=child
            ).mounted
            if cfg.kubernetes.secret_sync.enabled
            else workload.secrets
        )
        app_config = AppConfig(
            "app-config", cfg, namespace=namespace.name, env=workload.env, credentials=credentials, opts=child
        )
        # Egress to the database and cache on the ports the pods are told to use.
        ports = {
            key: pulumi.Output.from_input(workload.env.get(key, str(default))).apply(int)
            for key, default in (("DATABASE_PORT", cfg.database.port), ("REDIS_PORT", cfg.cache.port))
        }
        NetworkPolicies(
            "network-policies",
            cfg,
            namespace=namespace.name,
            service_cidrs=[ipaddress.IPv4Network(cidr) for cidr in workload.service_cidrs],
            database_port=ports["DATABASE_PORT"],
            cache_port=ports["REDIS_PORT"],
            opts=child,
        )
        workloads = Workloads(
            "workloads",
            cfg,
            workload,
            namespace=namespace.name,
            app_config=app_config.containers,
            service_account=identity.name,
            identity_labels=identity.pod_labels,
            opts=child,
        )
        traffic = Traffic("traffic", cfg, namespace=namespace.name, deployments=workloads.deployments, opts=child)
        monitoring = (
            PrometheusMonitoring("prometheus", cfg, namespace=namespace.name, opts=child)
            if cfg.kubernetes.prometheus.enabled
            else None
        )

        self.outputs = KubernetesOutputs(
            namespace=namespace.name,
            service_names={tier: name_of(s.metadata) for tier, s in traffic.services.items()},
            route_name=traffic.route_name,
            rollback_alarm_ids=monitoring.rollback_alarm_ids if monitoring else None,
        )
        self.register_outputs({})
