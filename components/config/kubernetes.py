"""The workloads on a Kubernetes cluster."""

from __future__ import annotations

import ipaddress
import re
from typing import Literal

from pydantic import Field, field_validator, model_validator

from .base import UUID, CpuQuantity, MemoryQuantity, Model, PrivateNetwork, SettingError

DNS_LABEL = r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$"
# A label key: an optional DNS-subdomain prefix and "/", then a name of 63 characters at most.
_LABEL_KEY = re.compile(r"^([a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$")
_LABEL_VALUE = re.compile(r"^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$")
METRIC_NAME = r"^[a-zA-Z_:][a-zA-Z0-9_:]*$"
GATEWAY_NAME_LABEL = "gateway.networking.k8s.io/gateway-name"  # GEP-1762: set on in-cluster data planes


def _check_labels(labels: dict[str, str]) -> dict[str, str]:
    for key, value in labels.items():
        if not _LABEL_KEY.match(key) or not _LABEL_VALUE.match(value):
            raise ValueError(f"{key}={value!r} is not a Kubernetes label (key [prefix/]name, value <= 63 characters)")
    return labels


def _check_optional_labels(labels: dict[str, str] | None) -> dict[str, str] | None:
    return None if labels is None else _check_labels(labels)


class GatewayConfig(Model):
    """The Gateway API ``Gateway`` the platform's HTTPRoute attaches to, and where its data plane runs.

    The Gateway (and the Gateway API CRDs) are prerequisites: the cluster's Gateway controller owns
    them, this program only reads the Gateway and attaches a route. Its listener must admit routes
    from the platform's namespace (``allowedRoutes.namespaces``). The data plane is what connects to
    the pods, so ``app-policy`` admits it: in-cluster proxies by namespace and labels (by default
    the Gateway's namespace and GEP-1762's ``gateway.networking.k8s.io/gateway-name`` label, as
    Istio and NGINX Gateway Fabric set), cloud load balancers by ``dataPlaneCidrs``.
    """

    name: str = Field("platform", pattern=DNS_LABEL)
    namespace: str = Field("gateway-system", pattern=DNS_LABEL)
    section_name: str | None = Field(None, pattern=DNS_LABEL)  # one listener; none = every listener
    hostnames: list[str] = Field([], max_length=16)
    data_plane_namespace: str | None = Field(None, pattern=DNS_LABEL)  # default: the Gateway's namespace
    data_plane_labels: dict[str, str] | None = None  # default: {gateway-name label: name}
    # Proxies outside the pod network: e.g. GKE's global external ALB (35.191.0.0/16, 130.211.0.0/22)
    # or a regional proxy-only subnet, an AWS/Azure load balancer subnet.
    data_plane_cidrs: list[ipaddress.IPv4Network] = []

    _labels = field_validator("data_plane_labels")(_check_optional_labels)

    @field_validator("hostnames")
    @classmethod
    def _hostnames(cls, hostnames: list[str]) -> list[str]:
        for host in hostnames:
            if not re.fullmatch(r"(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*", host):
                raise ValueError(f"{host!r} is not a DNS name (a leading *. wildcard is allowed)")
        return hostnames

    @property
    def data_plane_selector(self) -> tuple[str, dict[str, str]]:
        """(namespace, pod labels) of the Gateway's in-cluster proxies."""
        labels = {GATEWAY_NAME_LABEL: self.name} if self.data_plane_labels is None else self.data_plane_labels
        return self.data_plane_namespace or self.namespace, labels


class PrometheusConfig(Model):
    """SPEC.md's scrape (a PodMonitor) and the per-colour rollback alerts (PrometheusRules).

    Off by default: both are Prometheus Operator resources (``monitoring.coreos.com/v1``), whose
    CRDs a fresh cluster does not have. ``labels`` go on both, so the operator's Prometheus selects
    them (kube-prometheus-stack selects ``release: <its release name>``). Latency and errors come from
    the application's request histogram and counter; CPU and memory from cAdvisor and kube-state-metrics.
    """

    enabled: bool = False
    labels: dict[str, str] = {"release": "kube-prometheus-stack"}
    latency_histogram: str = Field("http_request_duration_seconds", pattern=METRIC_NAME)  # in seconds
    requests_counter: str = Field("http_requests_total", pattern=METRIC_NAME)
    status_code_label: str = Field("code", pattern=r"^[a-zA-Z_][a-zA-Z0-9_]*$")

    _labels = field_validator("labels")(_check_labels)


class WorkloadIdentityConfig(Model):
    """The pods' ServiceAccount and the cloud identity it is federated with.

    Each set value becomes that cloud's annotation (IRSA ``eks.amazonaws.com/role-arn``, GKE
    ``iam.gke.io/gcp-service-account``, Azure ``azure.workload.identity/client-id``). The identity's
    trust of this ServiceAccount is created on the cloud side (README: Kubernetes, prerequisites).
    """

    service_account: str = Field("platform-app", pattern=DNS_LABEL)
    aws_role_arn: str | None = Field(None, pattern=r"^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]+$")
    gcp_service_account: str | None = Field(
        None, pattern=r"^[a-z][a-z0-9-]{4,28}[a-z0-9]@[a-z][a-z0-9-]{4,28}[a-z0-9]\.iam\.gserviceaccount\.com$"
    )
    azure_client_id: str | None = Field(None, pattern=UUID)


class SecretSyncConfig(Model):
    """How ``app-secrets`` follows the first cloud's credential rotations (components/kubernetes/secret_sync.py).

    On: the External Secrets Operator copies each credential's current value from the cloud's secret store
    into ``app-secrets`` every ``refreshMinutes``, authenticating as the pods' ServiceAccount
    (``workloadIdentity``). The operator and its CRDs (``external-secrets.io/v1``, ESO 0.16 or later) are a
    prerequisite, like the Gateway API, and a preview without them fails naming the CRD. On by default:
    off, the Secret holds the values the cloud was created with, and AWS rotates them at the first deploy.
    ``refreshMinutes`` bounds how long pods hold a rotated (dead) database password: 5 like the VMs'
    credential checks (``aws.credentialCheckMinutes``, ``gcp.secretRefreshMinutes``), at most an hour.
    """

    enabled: bool = True
    refresh_minutes: int = Field(5, ge=1, le=60)


class KubernetesConfig(Model):
    """The platform's workloads on a Kubernetes cluster (components/kubernetes).

    No kubeconfig and no context means the provider's default: ``$KUBECONFIG`` or ``~/.kube/config``.
    The pods run ``blueGreen.releases`` and connect to the first cloud's services; egress to them
    follows that cloud's address ranges and ports unless ``databaseCidrs``/``cacheCidrs`` name
    others. Quotas left unset are derived from the tiers: limit x maxSize (plus rolling-update surge)
    for every Deployment. HPA metric names left unset are the first cloud's metrics adapter's.
    """

    enabled: bool = False
    kubeconfig: str | None = Field(None, min_length=1)  # a kubeconfig file path, or its contents
    context: str | None = Field(None, min_length=1)
    namespace: str | None = Field(None, pattern=DNS_LABEL)  # default platform-<env>
    monitoring_namespace: str = Field("monitoring", pattern=DNS_LABEL)
    quota_cpu: CpuQuantity | None = None
    quota_memory: MemoryQuantity | None = None
    quota_pods: int | None = Field(None, ge=1)
    api_requests_metric: str | None = Field(None, pattern=r"^[a-zA-Z_:][a-zA-Z0-9_:.|/-]*$")
    worker_queue_metric: str | None = Field(None, pattern=r"^[a-zA-Z_:][a-zA-Z0-9_:.|/-]*$")
    worker_queue_selector: dict[str, str] | None = None
    database_cidrs: list[PrivateNetwork] = []  # data stores are never reached over the internet
    cache_cidrs: list[PrivateNetwork] = []
    pdb_min_available_percent: int = Field(50, ge=0, le=100)
    # Pods a rolling update may add above the HPA's count (Kubernetes rounds up); none are taken away.
    max_surge_percent: int = Field(25, ge=1, le=100)
    service_port: int = Field(80, ge=1, le=65535)  # SPEC.md: app traffic on 80 (Services -> the pods' appPort)
    gateway: GatewayConfig = GatewayConfig()
    prometheus: PrometheusConfig = PrometheusConfig()
    workload_identity: WorkloadIdentityConfig = WorkloadIdentityConfig()
    secret_sync: SecretSyncConfig = SecretSyncConfig()
    # Where pods resolve names: kube-dns pods always; NodeLocal DNSCache answers on 169.254.20.10 and,
    # with kube-proxy in iptables mode, on kube-dns's ClusterIP (dnsServiceIp); Cloud DNS for GKE on
    # the metadata server.
    dns: Literal["kube-dns", "node-local-dns", "metadata-server"] = "kube-dns"
    dns_service_ip: ipaddress.IPv4Address | None = None
    # HTTPS to the cloud APIs the pods call (queue, flags, token exchange). NetworkPolicies cannot name
    # hosts, so the default is public HTTPS only; name private endpoints' ranges to narrow it.
    cloud_api_cidrs: list[ipaddress.IPv4Network] = Field([ipaddress.IPv4Network("0.0.0.0/0")], min_length=1)

    _selector = field_validator("worker_queue_selector")(_check_optional_labels)

    @model_validator(mode="before")
    @classmethod
    def _images_moved_to_releases(cls, data: object) -> object:
        if isinstance(data, dict) and "images" in data:
            raise SettingError(
                "images", data["images"], "moved to blueGreen.releases.<colour>.image: each colour runs its own release"
            )
        return data

    @model_validator(mode="after")
    def _dns_service_ip_needs_node_local_dns(self) -> KubernetesConfig:
        if self.dns_service_ip is not None and self.dns != "node-local-dns":
            raise SettingError(
                "dnsServiceIp", str(self.dns_service_ip), f"is only used with dns: node-local-dns (dns is {self.dns})"
            )
        return self
