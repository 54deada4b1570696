"""Namespace, quota and limit range; the provider; nothing at all when Kubernetes is off."""

from __future__ import annotations

import pytest

from .objects import LIMIT_RANGE, NAMESPACE, ON, QUOTA, SMALLER_API_MORE_SURGE, spec

TAG_KEYS = {"environment", "service", "owner", "cost-center", "managed-by"}


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_nothing_without_kubernetes(plan, stack: str) -> None:
    p = plan(stack)
    assert [r for r in p.resources if "kubernetes" in r.type] == []
    assert not any(name.startswith("kubernetes_") for name in p.outputs)


def test_every_object_is_parented_to_its_component_and_uses_the_provider(plan) -> None:
    p = plan("prod", ON)
    (provider,) = p.of_type("pulumi:providers:kubernetes")
    (environment,) = p.of_type("platform:kubernetes:Environment")
    components = {r.urn: r for r in p.resources if r.type.startswith("platform:kubernetes:")}
    assert provider.parent == environment.urn
    objects = [r for r in p.resources if r.type.startswith("kubernetes:")]
    # namespace, quota, limits, service account, config map, the operator's secret store and external secret
    # (it writes the Secret), 5 policies, 5 x (deployment, HPA, PDB), 6 services, the HTTPRoute
    assert len(objects) == 34
    for obj in objects:
        assert components[obj.parent].parent == environment.urn, obj.name
        assert obj.provider.startswith(provider.urn), obj.name
        assert set(obj.inputs["metadata"]["labels"]) >= TAG_KEYS, obj.name


def test_provider_defaults_to_the_local_kubeconfig_and_takes_config(plan) -> None:
    (default,) = plan("dev", ON).of_type("pulumi:providers:kubernetes")
    assert "kubeconfig" not in default.inputs and "context" not in default.inputs
    (named,) = plan("dev", ON, "kubernetes.kubeconfig=/etc/kube/dev.yaml", "kubernetes.context=dev").of_type(
        "pulumi:providers:kubernetes"
    )
    assert named.inputs["kubeconfig"] == "/etc/kube/dev.yaml" and named.inputs["context"] == "dev"


def test_namespace_per_environment_with_restricted_pod_security(plan) -> None:
    for stack in ("dev", "prod"):
        (namespace,) = plan(stack, ON).of_type(NAMESPACE)
        metadata = namespace.inputs["metadata"]
        assert metadata["name"] == f"platform-{stack}"
        assert metadata["labels"]["environment"] == stack
        assert metadata["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    (named,) = plan("dev", ON, "kubernetes.namespace=team-a").of_type(NAMESPACE)
    assert named.inputs["metadata"]["name"] == "team-a"
    assert all(
        r.inputs["metadata"]["namespace"] == "team-a"
        for r in plan("dev", ON, "kubernetes.namespace=team-a").resources
        if r.type.startswith("kubernetes:") and r.type != NAMESPACE
    )


def test_quota_holds_every_deployment_at_max_replicas_plus_surge(plan) -> None:
    (quota,) = plan("prod", ON).of_type(QUOTA)
    # Per Deployment: maxSize + 25 % surge rounded up, x its caps. web 2 x (10 + 3) x 1 CPU, api 2 x (15 + 4)
    # x 2 CPUs, the one worker (8 + 2) x 1 CPU = 26 + 76 + 10 = 112 CPUs; memory 2Gi/4Gi/2Gi likewise.
    assert spec(quota)["hard"] == {
        "requests.cpu": "112",
        "limits.cpu": "112",
        "requests.memory": "224Gi",
        "limits.memory": "224Gi",
        "pods": "74",
    }
    (smaller,) = plan("dev", ON, *SMALLER_API_MORE_SURGE).of_type(QUOTA)
    # web 2 x (10 + 5), api 2 x (4 + 2), worker 8 + 4
    assert spec(smaller)["hard"]["pods"] == "54"
    assert spec(smaller)["hard"]["limits.cpu"] == "66"  # 30 + 24 + 12
    assert spec(smaller)["hard"]["limits.memory"] == "126Gi"  # 60 + 42 + 24
    (fixed,) = plan(
        "dev", ON, "kubernetes.quotaCpu=20", "kubernetes.quotaMemory=40Gi", "kubernetes.quotaPods=30"
    ).of_type(QUOTA)
    assert spec(fixed)["hard"] == {
        "requests.cpu": "20",
        "limits.cpu": "20",
        "requests.memory": "40Gi",
        "limits.memory": "40Gi",
        "pods": "30",
    }


def test_limit_range_gives_every_container_limits(plan) -> None:
    (limits,) = plan("prod", ON).of_type(LIMIT_RANGE)
    assert spec(limits)["limits"] == [
        {
            "type": "Container",
            "default": {"cpu": "1", "memory": "2Gi"},
            "defaultRequest": {"cpu": "1", "memory": "2Gi"},
            "max": {"cpu": "2", "memory": "4Gi"},
        }
    ]
