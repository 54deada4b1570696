"""The pods' ServiceAccount: how they get cloud credentials, through workload identity.

The worker consumes the queue and every tier reads feature flags and enqueues work, so the pods
call the first cloud's APIs. Rather than keys in a Secret, the ServiceAccount is federated with a
cloud identity named in ``kubernetes.workloadIdentity``:

- AWS IRSA: ``eks.amazonaws.com/role-arn``; EKS's pod identity webhook projects a web-identity
  token into each pod (its own ``aws-iam-token`` volume) and sets ``AWS_ROLE_ARN``.
- GKE Workload Identity: ``iam.gke.io/gcp-service-account``; the GKE metadata server hands the
  pods that account's tokens (network_policies.py admits it).
- Azure Workload Identity: ``azure.workload.identity/client-id`` plus the pod label
  ``azure.workload.identity/use: "true"``; its webhook projects the federated token (its own
  ``azure-identity-token`` volume) and sets ``AZURE_CLIENT_ID``.

None of the three reads the ServiceAccount's API token, so it stays unmounted
(``automountServiceAccountToken: false``): the pods never call the Kubernetes API.
"""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s

from ..config import PlatformConfig
from .labels import metadata, name_of

AZURE_USE_LABEL = "azure.workload.identity/use"


class WorkloadIdentity(pulumi.ComponentResource):
    service_account: k8s.core.v1.ServiceAccount
    name: pulumi.Output[str]
    pod_labels: dict[str, str]  # what each pod carries for its cloud's identity webhook

    def __init__(
        self, name: str, cfg: PlatformConfig, namespace: pulumi.Input[str], opts: pulumi.ResourceOptions | None = None
    ):
        super().__init__("platform:kubernetes:WorkloadIdentity", name, None, opts)
        identity = cfg.kubernetes.workload_identity
        annotations = {
            key: value
            for key, value in (
                ("eks.amazonaws.com/role-arn", identity.aws_role_arn),
                ("iam.gke.io/gcp-service-account", identity.gcp_service_account),
                ("azure.workload.identity/client-id", identity.azure_client_id),
            )
            if value
        }
        self.service_account = k8s.core.v1.ServiceAccount(
            "app",
            metadata=metadata(cfg, "kubernetes", identity.service_account, namespace, annotations=annotations),
            automount_service_account_token=False,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.name = name_of(self.service_account.metadata)
        self.pod_labels = {AZURE_USE_LABEL: "true"} if identity.azure_client_id else {}
        self.register_outputs({"name": self.name})
