"""app-secrets kept current from the first cloud's secret store by the External Secrets Operator, so a credential
the cloud rotates reaches the pods without a redeploy; off, Pulumi writes the values the cloud was created with."""

from __future__ import annotations

import json

import pytest

from components.outputs import AwsSecretsManager, StoredSecret, WorkloadSettings
from infractl import runtime

from .objects import CLOUDS, DEPLOYMENT, EXTERNAL_SECRET, ON, SECRET, SECRET_STORE, SYNC_OFF, on

CRD_READ = "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition::external-secrets"
LABELS = {
    "managed-by": "pulumi",
    "cost-center": "platform",
    "owner": "platform-team",
    "app.kubernetes.io/part-of": "platform",
    "environment": "prod",
    "service": "kubernetes",
}
SERVICE_ACCOUNT = {"serviceAccountRef": {"name": "platform-app"}}
# Per cloud: the store's secret resource each credential reads (type, logical name, the input naming it), and the
# property of a JSON secret. AWS's database and Redis secrets are the JSON documents their rotations read and write.
AWS_SECRET, GCP_SECRET, AZURE_SECRET = (
    "aws:secretsmanager/secret:Secret",
    "gcp:secretmanager/secret:Secret",
    "azure-native:keyvault:Secret",
)
SOURCES = {
    "aws": {
        "DATABASE_PASSWORD": ("database-master", "password"),
        "REDIS_AUTH_TOKEN": ("cache-auth-token", "password"),
        "JWT_SIGNING_KEY": ("jwt-signing-key", None),
    },
    "gcp": {
        "DATABASE_PASSWORD": ("database-password", None),
        "REDIS_AUTH_TOKEN": ("cache-auth-string", None),
        "JWT_SIGNING_KEY": ("jwt-signing-key", None),
    },
    "azure": {
        "DATABASE_PASSWORD": ("secrets-database-password", None),
        "REDIS_AUTH_TOKEN": ("secrets-redis-access-key", None),
        "JWT_SIGNING_KEY": ("secrets-jwt-signing-key", None),
    },
}


def synced(p: runtime.Plan) -> tuple[runtime.Resource, runtime.Resource]:
    (store,) = p.of_type(SECRET_STORE)
    (external,) = p.of_type(EXTERNAL_SECRET)
    return store, external


def remote_refs(external: runtime.Resource) -> dict[str, dict]:
    return {entry["secretKey"]: entry["remoteRef"] for entry in external.inputs["spec"]["data"]}


def expected_ref(p: runtime.Plan, cloud: str, source: str, prop: str | None) -> tuple[dict, str]:
    """The remoteRef naming the cloud's secret resource ``source``, and that resource's URN."""
    if cloud == "aws":
        # The ARN: what the rotation of that secret names.
        resource = p.named(AWS_SECRET, source)
        key = p.named("aws:secretsmanager/secretRotation:SecretRotation", source).inputs["secretId"]
        assert key.startswith("arn:aws:secretsmanager:us-east-1:") and f":secret:{resource.inputs['name']}-" in key
    elif cloud == "gcp":
        resource = p.named(GCP_SECRET, source)
        key = resource.inputs["secretId"]
        assert resource.inputs["rotation"]["rotationPeriod"]  # a secret Secret Manager rotates
    else:
        resource = p.named(AZURE_SECRET, source)
        key = resource.inputs["secretName"]
    return {"key": key, **({"property": prop} if prop else {})}, resource.urn


@pytest.mark.parametrize("cloud", CLOUDS)
def test_external_secret_reads_each_credential_from_the_secret_the_cloud_rotates(plan, cloud: str) -> None:
    p = plan("prod", *on(cloud))
    store, external = synced(p)
    refs = remote_refs(external)
    assert refs.keys() == SOURCES[cloud].keys()  # the keys the pods mount, nothing else
    for credential, (source, prop) in SOURCES[cloud].items():
        ref, urn = expected_ref(p, cloud, source, prop)
        assert refs[credential] == ref, credential
        assert urn in external.property_dependencies["spec"]  # created after the secret it reads
    spec = external.inputs["spec"]
    assert spec["secretStoreRef"] == {"kind": "SecretStore", "name": store.inputs["metadata"]["name"]}
    assert store.urn in external.property_dependencies["spec"]
    assert (spec["refreshPolicy"], spec["refreshInterval"]) == ("Periodic", "5m")
    # The operator writes and owns app-secrets, labelled like every platform object; a credential gone from the
    # store keeps its last value.
    assert spec["target"] == {
        "name": "app-secrets",
        "creationPolicy": "Owner",
        "deletionPolicy": "Retain",
        "template": {"type": "Opaque", "metadata": {"labels": LABELS}},
    }
    assert external.inputs["metadata"]["name"] == "app-secrets"
    assert external.inputs["metadata"]["namespace"] == store.inputs["metadata"]["namespace"] == "platform-prod"
    # pulumi up waits until the operator reports the Secret synced: a missing grant fails the deploy here.
    assert external.inputs["metadata"]["annotations"] == {"pulumi.com/waitFor": "condition=Ready"}


def test_aws_store_is_secrets_manager_in_the_region_signed_in_to_with_the_pods_irsa_role(plan) -> None:
    store, _ = synced(plan("prod", ON))
    assert store.inputs["metadata"]["name"] == "aws-secrets-manager"
    assert store.inputs["spec"] == {
        "provider": {"aws": {"service": "SecretsManager", "region": "us-east-1", "auth": {"jwt": SERVICE_ACCOUNT}}}
    }


def test_gcp_store_is_the_projects_secret_manager_signed_in_to_with_gke_workload_identity(plan) -> None:
    store, _ = synced(plan("prod", *on("gcp")))
    assert store.inputs["metadata"]["name"] == "gcp-secret-manager"
    assert store.inputs["spec"] == {
        "provider": {"gcpsm": {"projectID": "platform-example", "auth": {"workloadIdentity": SERVICE_ACCOUNT}}}
    }


def test_azure_store_is_the_environments_key_vault_signed_in_to_with_azure_workload_identity(plan) -> None:
    p = plan("prod", *on("azure"))
    store, _ = synced(p)
    vault = p.named("azure-native:keyvault:Vault", "keys-vault").inputs  # the vault holding the secrets
    assert {s.inputs["vaultName"] for s in p.of_type(AZURE_SECRET)} == {vault["vaultName"]}
    assert store.inputs["metadata"]["name"] == "azure-key-vault"
    assert store.inputs["spec"] == {
        "provider": {
            "azurekv": {
                "vaultUrl": f"https://{vault['vaultName']}.vault.azure.net",
                "tenantId": vault["properties"]["tenantId"],
                "authType": "WorkloadIdentity",
                **SERVICE_ACCOUNT,
            }
        }
    }


@pytest.mark.parametrize("cloud", CLOUDS)
def test_pulumi_writes_no_credential_value_when_the_operator_syncs(plan, cloud: str) -> None:
    p = plan("prod", *on(cloud))
    kubernetes = [r for r in p.resources if r.type.startswith("kubernetes:")]
    assert not p.of_type(SECRET)
    for resource in kubernetes:
        assert runtime.SECRET not in json.dumps(resource.inputs), resource.name  # no value, not even encrypted
        assert not [urn for urn in resource.dependencies if "random:" in urn], resource.name  # nor generated ones
    # The pods wait for the synced Secret before they start.
    (_, external) = synced(p)
    for deployment in p.of_type(DEPLOYMENT):
        assert external.urn in deployment.property_dependencies["spec"], deployment.name


@pytest.mark.parametrize("cloud", CLOUDS)
def test_sync_off_keeps_the_secret_pulumi_writes(plan, cloud: str) -> None:
    p = plan("prod", *on(cloud), SYNC_OFF)
    assert not p.of_type(SECRET_STORE) and not p.of_type(EXTERNAL_SECRET)
    (secret,) = p.of_type(SECRET)
    assert secret.inputs["metadata"]["name"] == "app-secrets"


def test_operator_crds_are_read_before_anything_uses_them(plan) -> None:
    """A cluster without the operator fails the preview at the read, naming the CRD."""
    store, external = synced(plan("prod", ON))
    for resource in (store, external):
        assert any(urn.endswith(CRD_READ) for urn in resource.dependencies), resource.name


def test_refresh_interval_is_config(plan) -> None:
    _, external = synced(plan("dev", ON, "kubernetes.secretSync.refreshMinutes=15"))
    assert external.inputs["spec"]["refreshInterval"] == "15m"


def test_stored_secrets_name_exactly_the_credentials_of_one_store() -> None:
    values = {"DATABASE_PASSWORD": "x", "JWT_SIGNING_KEY": "y"}
    store = AwsSecretsManager(region="us-east-1")
    WorkloadSettings(secrets=values, secret_store=store, stored_secrets={key: StoredSecret("arn") for key in values})
    with pytest.raises(ValueError, match="exactly the keys"):
        WorkloadSettings(secrets=values, secret_store=store, stored_secrets={"DATABASE_PASSWORD": StoredSecret("a")})
    with pytest.raises(ValueError, match="needs a secret_store"):
        WorkloadSettings(secrets=values, stored_secrets={key: StoredSecret("arn") for key in values})
