"""The platform on Kubernetes: the table of contents of every Kubernetes component and how they connect."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from ..config import PlatformConfig, Tier
from ..outputs import WorkloadSettings
from .app_config import AppConfig
from .labels import name_of
from .namespace import Namespace
from .network_policies import NetworkPolicies
from .workloads import Workloads


@dataclass(frozen=True)
class KubernetesOutputs:
    """What consumers of the cluster deployment read: where it runs and the live Services' names."""

    namespace: pulumi.Output[str]
    service_names: Mapping[Tier, pulumi.Output[str]]


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
        provider = k8s.Provider(
            "kubernetes",
            kubeconfig=cfg.kubernetes.kubeconfig,
            context=cfg.kubernetes.context,
            opts=pulumi.ResourceOptions(parent=self),
        )
        child = pulumi.ResourceOptions(parent=self, providers={"kubernetes": provider})

        namespace = Namespace("namespace", cfg, opts=child)
        app_config = AppConfig(
            "app-config", cfg, namespace=namespace.name, env=workload.env, secrets=workload.secrets, opts=child
        )
        NetworkPolicies("network-policies", cfg, namespace=namespace.name, opts=child)
        workloads = Workloads(
            "workloads",
            cfg,
            namespace=namespace.name,
            config_map=app_config.config_map_name,
            secret=app_config.secret_name,
            opts=child,
        )

        self.outputs = KubernetesOutputs(
            namespace=namespace.name,
            service_names={tier: name_of(s.metadata) for tier, s in workloads.services.items()},
        )
        self.register_outputs({})
