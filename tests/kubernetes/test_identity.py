"""Workload identity: one ServiceAccount per environment, federated with the cloud identity config names."""

from __future__ import annotations

from .objects import DEPLOYMENT, ON, SECRET_STORE, SERVICE_ACCOUNT, spec

ROLE = "arn:aws:iam::123456789012:role/platform-app"
GSA = "platform-app@platform-example.iam.gserviceaccount.com"
CLIENT_ID = "00000000-0000-0000-0000-000000000001"


def test_service_account_without_identity_mounts_no_token(plan) -> None:
    (account,) = plan("prod", ON).of_type(SERVICE_ACCOUNT)
    assert account.inputs["metadata"]["name"] == "platform-app"
    assert "annotations" not in account.inputs["metadata"]
    assert account.inputs["automountServiceAccountToken"] is False


def test_each_clouds_annotation_from_config(plan) -> None:
    p = plan(
        "prod",
        ON,
        f"kubernetes.workloadIdentity.awsRoleArn={ROLE}",
        f"kubernetes.workloadIdentity.gcpServiceAccount={GSA}",
        "kubernetes.workloadIdentity.serviceAccount=platform-workload",
    )
    (account,) = p.of_type(SERVICE_ACCOUNT)
    assert account.inputs["metadata"]["name"] == "platform-workload"
    assert account.inputs["metadata"]["annotations"] == {
        "eks.amazonaws.com/role-arn": ROLE,
        "iam.gke.io/gcp-service-account": GSA,
    }
    # The webhooks project their own tokens; no pod needs the Kubernetes API token.
    assert account.inputs["automountServiceAccountToken"] is False
    for deployment in p.of_type(DEPLOYMENT):
        pod = spec(deployment)["template"]
        assert pod["spec"]["serviceAccountName"] == "platform-workload"
        assert pod["spec"]["automountServiceAccountToken"] is False
        assert "azure.workload.identity/use" not in pod["metadata"]["labels"]
        assert account.urn in deployment.property_dependencies["spec"]
    # The operator reads the cloud's secrets as the pods' identity, not its own.
    (store,) = p.of_type(SECRET_STORE)
    assert store.inputs["spec"]["provider"]["aws"]["auth"] == {
        "jwt": {"serviceAccountRef": {"name": "platform-workload"}}
    }
    assert account.urn in store.property_dependencies["spec"]


def test_azure_workload_identity_labels_the_pods(plan) -> None:
    p = plan("prod", ON, f"kubernetes.workloadIdentity.azureClientId={CLIENT_ID}")
    (account,) = p.of_type(SERVICE_ACCOUNT)
    assert account.inputs["metadata"]["annotations"] == {"azure.workload.identity/client-id": CLIENT_ID}
    for deployment in p.of_type(DEPLOYMENT):
        assert spec(deployment)["template"]["metadata"]["labels"]["azure.workload.identity/use"] == "true"
