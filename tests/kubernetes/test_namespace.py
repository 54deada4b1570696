"""Namespace, quota and limit range; the provider; nothing at all when Kubernetes is off."""

from __future__ import annotations

import pytest

from .objects import LIMIT_RANGE, NAMESPACE, ON, QUOTA, spec

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
    # namespace, quota, limits, config map, secret, 5 policies, 6 x (deployment, HPA, PDB), 2 services
    assert len(objects) == 30
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


def test_quota_is_tier_caps_times_max_replicas_times_colours(plan) -> None:
    (quota,) = plan("prod", ON).of_type(QUOTA)
    # (web 1 x 10 + api 2 x 15 + worker 1 x 8) x 2 colours = 96 CPUs; memory 2Gi/4Gi/2Gi likewise.
    assert spec(quota)["hard"] == {
        "requests.cpu": "96",
        "limits.cpu": "96",
        "requests.memory": "192Gi",
        "limits.memory": "192Gi",
        "pods": "66",
    }
    (smaller,) = plan("dev", ON, "compute.api.maxSize=4", "compute.api.memory=3584Mi").of_type(QUOTA)
    assert spec(smaller)["hard"]["limits.cpu"] == "52"  # (10 + 8 + 8) x 2
    assert spec(smaller)["hard"]["limits.memory"] == "100Gi"  # (20 + 14 + 16) Gi x 2
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
