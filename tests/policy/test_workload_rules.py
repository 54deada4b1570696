"""Kubernetes workload rules on every kind with a pod template, and on init and ephemeral containers."""

from __future__ import annotations

from typing import Any

import pytest

from policies.rules import workloads

from .support import check

DIGEST = "sha256:" + "0123456789abcdef" * 4
IMAGE = f"ghcr.io/example/platform-web:1.0.0@{DIGEST}"
# Per kind (as Pulumi types it): how to wrap a pod spec into its inputs.
KINDS: dict[str, Any] = {
    "kubernetes:core/v1:Pod": lambda spec: {"spec": spec},
    "kubernetes:core/v1:PodTemplate": lambda spec: {"template": {"spec": spec}},
    "kubernetes:apps/v1:Deployment": lambda spec: {"spec": {"template": {"spec": spec}}},
    "kubernetes:apps/v1:StatefulSet": lambda spec: {"spec": {"template": {"spec": spec}}},
    "kubernetes:apps/v1:DaemonSet": lambda spec: {"spec": {"template": {"spec": spec}}},
    "kubernetes:apps/v1:ReplicaSet": lambda spec: {"spec": {"template": {"spec": spec}}},
    "kubernetes:core/v1:ReplicationController": lambda spec: {"spec": {"template": {"spec": spec}}},
    "kubernetes:batch/v1:Job": lambda spec: {"spec": {"template": {"spec": spec}}},
    "kubernetes:batch/v1:CronJob": lambda spec: {"spec": {"jobTemplate": {"spec": {"template": {"spec": spec}}}}},
    "kubernetes:apps/v1:DeploymentPatch": lambda spec: {"spec": {"template": {"spec": spec}}},
}
LISTS = ["containers", "initContainers", "ephemeralContainers"]
LABELS = {"containers": "container", "initContainers": "initContainer", "ephemeralContainers": "ephemeralContainer"}


def pod(container: dict[str, Any], where: str = "containers", **spec: Any) -> dict[str, Any]:
    """A pod spec whose ``where`` list holds ``container`` (named c) beside a compliant app container."""
    app = {"name": "app", "image": IMAGE, "securityContext": {"runAsNonRoot": True}}
    lists: dict[str, list[Any]] = {"containers": [app]}
    lists[where] = [*lists.get(where, []), {"name": "c", "image": IMAGE, **container}]
    return {**lists, **spec}


# (rule, compliant container, breaching container, message tail after "r: <container kind> c ")
CONTAINER_BREACHES = [
    (
        workloads.no_privileged_containers,
        {"securityContext": {"privileged": False}},
        {"securityContext": {"privileged": True}},
        "is privileged.",
    ),
    (
        workloads.no_privileged_containers,
        {"securityContext": {"capabilities": {"add": ["NET_BIND_SERVICE"], "drop": ["ALL"]}}},
        {"securityContext": {"capabilities": {"add": ["CAP_SYS_ADMIN"]}}},
        "adds capabilities SYS_ADMIN.",
    ),
    (
        workloads.no_privileged_containers,
        {},
        {"securityContext": {"capabilities": {"add": ["all"]}}},
        "adds capabilities ALL.",
    ),
    (
        workloads.no_privileged_containers,
        {"securityContext": {"windowsOptions": {"hostProcess": False}}},
        {"securityContext": {"windowsOptions": {"hostProcess": True}}},
        "is a Windows HostProcess container.",
    ),
    (
        workloads.no_secret_env_vars,
        {
            "env": [
                {"name": "MODE", "value": "prod"},
                {"name": "HOST", "valueFrom": {"configMapKeyRef": {"name": "s", "key": "h"}}},
            ]
        },
        {"env": [{"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "app-secrets", "key": "password"}}}]},
        "reads secret app-secrets into $DB_PASSWORD.",
    ),
    (
        workloads.no_secret_env_vars,
        {
            "envFrom": [{"configMapRef": {"name": "app-settings"}}],
            "volumeMounts": [{"name": "secrets", "mountPath": "/run/secrets"}],
        },
        {"envFrom": [{"configMapRef": {"name": "app-settings"}}, {"secretRef": {"name": "app-secrets"}}]},
        "loads secret app-secrets as environment variables.",
    ),
    (
        workloads.image_digest,
        {"image": f"ghcr.io/example/web@{DIGEST}"},
        {"image": "ghcr.io/example/web:1.0.0"},
        "image ghcr.io/example/web:1.0.0 is not pinned by digest (@sha256:...).",
    ),
    (
        workloads.image_digest,
        {"image": "registry.example.com:5000/web@sha512:" + "ab" * 64},
        {"image": f"ghcr.io/example/web@{DIGEST[:-1]}"},
        "is not pinned by digest",
    ),
    (workloads.image_digest, {}, {"image": f"ghcr.io/example/web@{DIGEST}:latest"}, "is not pinned by digest"),
    (workloads.image_digest, {}, {"image": None}, "image (none) is not pinned by digest"),
]


@pytest.mark.parametrize("type_", list(KINDS))
@pytest.mark.parametrize("where", LISTS)
@pytest.mark.parametrize(
    ("policy", "good", "bad", "tail"),
    CONTAINER_BREACHES,
    ids=[f"{c[0].name}:{i}" for i, c in enumerate(CONTAINER_BREACHES)],
)
def test_container_rules(
    type_: str, where: str, policy: Any, good: dict[str, Any], bad: dict[str, Any], tail: str
) -> None:
    wrap = KINDS[type_]
    assert check(policy, type_, wrap(pod(good, where))) == []
    messages = check(policy, type_, wrap(pod(bad, where)))
    assert len(messages) == 1 and messages[0].startswith(f"r: {LABELS[where]} c ") and tail in messages[0], messages


@pytest.mark.parametrize("type_", list(KINDS))
@pytest.mark.parametrize("key", ["hostNetwork", "hostPID", "hostIPC"])
def test_host_namespaces(type_: str, key: str) -> None:
    wrap = KINDS[type_]
    assert check(workloads.no_host_namespaces, type_, wrap(pod({}, **{key: False}))) == []
    assert check(workloads.no_host_namespaces, type_, wrap(pod({}, **{key: True}))) == [f"r: {key} is true."]


def test_pod_level_windows_host_process() -> None:
    spec = pod({}, securityContext={"windowsOptions": {"hostProcess": True}})
    assert check(workloads.no_privileged_containers, "kubernetes:core/v1:Pod", {"spec": spec}) == [
        "r: the pod runs as a Windows HostProcess (securityContext.windowsOptions.hostProcess)."
    ]


@pytest.mark.parametrize(
    "policy",
    [
        workloads.no_privileged_containers,
        workloads.no_host_namespaces,
        workloads.no_secret_env_vars,
        workloads.image_digest,
    ],
)
def test_other_resources_are_not_workloads(policy: Any) -> None:
    spec = pod({"image": "x:latest", "securityContext": {"privileged": True}}, hostNetwork=True)
    assert check(policy, "kubernetes:core/v1:Service", {"spec": spec}) == []
    assert check(policy, "gcp:cloudrunv2/service:Service", {"spec": {"template": {"spec": spec}}}) == []
    assert check(policy, "kubernetes:apps/v1:Deployment", {"spec": {"template": {"spec": "not a spec"}}}) == []
