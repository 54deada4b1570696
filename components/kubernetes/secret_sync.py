"""``app-secrets`` kept current from the first cloud's secret store by the External Secrets Operator (ESO).

Every cloud rotates the credentials in its own store: AWS Secrets Manager from the first deploy on, GCP Secret
Manager by adding versions, Key Vault when a version nears expiry. From then on the values Pulumi generated open
nothing. So the operator reads each credential's current value every ``secretSync.refreshMinutes`` and writes
it into ``app-secrets`` under the keys the pods already mount (app_config.py). The kubelet rewrites the files in
running pods, and the application reads them again when it next connects. Nothing is redeployed.

- ``SecretStore`` for the cloud's store. It is namespaced, so only this namespace's ExternalSecrets can use it
  and its ServiceAccount must live here too. It signs in as the pods' ServiceAccount through its workload
  identity: IRSA (the role in ``eks.amazonaws.com/role-arn``), GKE Workload Identity (the service account in
  ``iam.gke.io/gcp-service-account``, or else the Kubernetes account itself as the IAM principal), or Azure
  Workload Identity (the client id in ``azure.workload.identity/client-id``). The operator requests those
  tokens; the pods still mount none.
- ``ExternalSecret`` ``app-secrets``: one entry per credential (the cloud's id and, for a JSON secret, the
  property). It owns the Secret it writes, which carries the platform's labels. ``pulumi.com/waitFor`` holds
  ``pulumi up`` until the operator reports the Secret synced. A missing grant or identity therefore fails the
  deploy and names this object, instead of pods waiting for a Secret that never comes.

The operator's CRDs are a prerequisite, like the Gateway API's. The ExternalSecret CRD is read first, so a
preview on a cluster without the operator fails and names the CRD.

Why the operator and not the Secrets Store CSI driver: the driver mounts a ``csi`` volume that each pod fetches
from the store when it starts. That changes the pod spec, and while the store is unreachable no new pod can
start (scale-out included). With N pods, N readers poll the store. Its rotation (``enableSecretRotation``) is
an alpha feature, off by default, and it keeps a Kubernetes Secret only while some pod mounts the volume. With
the operator, ``app-secrets`` stays an ordinary Secret: the pod spec is unchanged, pods start from the last
synced values when the store is briefly unreachable, and one reader makes three reads per interval, however
many pods run.
"""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s

from ..config import PlatformConfig
from ..outputs import AwsSecretsManager, AzureKeyVault, GcpSecretManager, SecretStore, StoredSecret, WorkloadSettings
from .app_config import SECRET_NAME, MountedSecret
from .labels import metadata

ESO_API = "external-secrets.io/v1"  # served from ESO 0.16 on
EXTERNAL_SECRET_CRD = "externalsecrets.external-secrets.io"
SYNCED = "condition=Ready"  # what ESO reports once the target Secret holds the store's values


def store_name(store: SecretStore) -> str:
    """The SecretStore's name, after the cloud service it reads."""
    match store:
        case AwsSecretsManager():
            return "aws-secrets-manager"
        case GcpSecretManager():
            return "gcp-secret-manager"
        case AzureKeyVault():
            return "azure-key-vault"


def store_provider(store: SecretStore, service_account: pulumi.Input[str]) -> dict[str, object]:
    """The SecretStore's ``spec.provider``: the cloud's store, signed in to as ``service_account``."""
    account = {"serviceAccountRef": {"name": service_account}}
    match store:
        case AwsSecretsManager(region=region):
            return {"aws": {"service": "SecretsManager", "region": region, "auth": {"jwt": account}}}
        case GcpSecretManager(project=project):
            # GKE: the cluster's name, location and project come from the metadata server.
            return {"gcpsm": {"projectID": project, "auth": {"workloadIdentity": account}}}
        case AzureKeyVault(url=url, tenant_id=tenant_id):
            return {"azurekv": {"vaultUrl": url, "tenantId": tenant_id, "authType": "WorkloadIdentity", **account}}


def remote_ref(stored: StoredSecret) -> dict[str, pulumi.Input[str]]:
    """An ExternalSecret entry's ``remoteRef``: the secret's current (latest) version, one property of a JSON one."""
    return {"key": stored.id, **({"property": stored.property} if stored.property else {})}


class SecretSync(pulumi.ComponentResource):
    """The SecretStore and the ExternalSecret that keep ``app-secrets`` current."""

    store: k8s.apiextensions.CustomResource
    external_secret: k8s.apiextensions.CustomResource
    mounted: MountedSecret  # its name resolves once the operator has written the Secret

    def __init__(
        self,
        name: str,
        cfg: PlatformConfig,
        workload: WorkloadSettings,
        namespace: pulumi.Input[str],
        service_account: pulumi.Input[str],
        opts: pulumi.ResourceOptions | None = None,
    ):
        """``workload``: the first cloud's ``secret_store`` and, per credential, where in it (``stored_secrets``)."""
        super().__init__("platform:kubernetes:SecretSync", name, None, opts)
        store, stored_secrets = workload.secret_store, workload.stored_secrets
        if store is None:
            raise ValueError("kubernetes.secretSync needs the first cloud to name its secret store (WorkloadSettings)")
        child = pulumi.ResourceOptions(parent=self)
        # Read, not managed: the operator's installation owns it. Missing, the preview fails here, naming it.
        crd = k8s.apiextensions.v1.CustomResourceDefinition.get("external-secrets", EXTERNAL_SECRET_CRD, opts=child)
        after_crd = pulumi.ResourceOptions(parent=self, depends_on=[crd])
        self.store = k8s.apiextensions.CustomResource(
            "store",
            api_version=ESO_API,
            kind="SecretStore",
            metadata=metadata(cfg, "kubernetes", store_name(store), namespace),
            spec={"provider": store_provider(store, service_account)},
            opts=after_crd,
        )
        labels = metadata(cfg, "kubernetes", SECRET_NAME).labels
        self.external_secret = k8s.apiextensions.CustomResource(
            "secret",
            api_version=ESO_API,
            kind="ExternalSecret",
            metadata=metadata(cfg, "kubernetes", SECRET_NAME, namespace, annotations={"pulumi.com/waitFor": SYNCED}),
            # A custom resource's spec goes to the API server as written: camelCase keys.
            spec={
                "secretStoreRef": {"kind": "SecretStore", "name": self.store.id.apply(lambda _: store_name(store))},
                "refreshPolicy": "Periodic",
                "refreshInterval": f"{cfg.kubernetes.secret_sync.refresh_minutes}m",
                "target": {
                    "name": SECRET_NAME,
                    # The operator creates the Secret and owns it (it is deleted with the ExternalSecret); a
                    # credential missing from the store keeps its last value rather than emptying the Secret.
                    "creationPolicy": "Owner",
                    "deletionPolicy": "Retain",
                    "template": {"type": "Opaque", "metadata": {"labels": labels}},
                },
                "data": [
                    {"secretKey": key, "remoteRef": remote_ref(stored_secrets[key])} for key in sorted(stored_secrets)
                ],
            },
            opts=after_crd,
        )
        synced_name = self.external_secret.id.apply(lambda _: SECRET_NAME)
        self.mounted = MountedSecret(synced_name, sorted(stored_secrets))
        self.register_outputs({"secret_name": synced_name})
