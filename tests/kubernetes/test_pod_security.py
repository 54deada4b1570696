"""Every pod the program creates, of any kind: nothing privileged, nothing shared with the node, and every
container on its colour's release (digest-pinned in prod). The policy pack checks the same breaches; these
tests pin down that the program never makes them."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from infractl.runtime import Plan, Resource
from tests.conftest import STACKS

from .objects import CLOUDS, DEPLOYMENT, ON, on

CONTAINER_LISTS = ("containers", "initContainers", "ephemeralContainers")
DIGEST = re.compile(r"@sha256:[0-9a-f]{64}$")


def pod_specs(plan: Plan) -> list[tuple[Resource, dict[str, Any]]]:
    """(object, pod spec) of every Kubernetes object that carries one: Pods, any template, CronJobs."""
    found = []
    for resource in plan.resources:
        body = resource.inputs.get("spec") if resource.type.startswith("kubernetes:") else None
        if not isinstance(body, dict):
            continue
        job = body.get("jobTemplate", {}).get("spec", {})
        for candidate in (body, body.get("template", {}).get("spec"), job.get("template", {}).get("spec")):
            if isinstance(candidate, dict) and "containers" in candidate:
                found.append((resource, candidate))
    return found


def all_containers(pod: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for kind in CONTAINER_LISTS:
        yield from pod.get(kind, [])


def deployments(plan: Plan) -> list[tuple[Resource, dict[str, Any]]]:
    """Every pod spec, after checking they are exactly the Deployments' (so no kind escapes the tests)."""
    found = pod_specs(plan)
    assert sorted(r.name for r, _ in found) == sorted(r.name for r in plan.of_type(DEPLOYMENT))
    assert {r.type for r, _ in found} == {DEPLOYMENT} and len(found) == 5
    return found


@pytest.mark.parametrize("cloud", CLOUDS)
def test_no_pod_is_privileged_or_shares_the_nodes_namespaces(plan, cloud: str) -> None:
    for resource, pod in deployments(plan("prod", *on(cloud))):
        for key in ("hostNetwork", "hostPID", "hostIPC"):
            assert not pod.get(key), (resource.name, key)
        assert "windowsOptions" not in pod["securityContext"], resource.name
        assert pod["securityContext"]["runAsNonRoot"] is True and pod["securityContext"]["runAsUser"] > 0
        assert all("hostPath" not in volume for volume in pod["volumes"]), resource.name
        for container in all_containers(pod):
            context = container["securityContext"]
            assert not context.get("privileged") and "windowsOptions" not in context, resource.name
            assert context["allowPrivilegeEscalation"] is False, resource.name
            assert context["capabilities"] == {"drop": ["ALL"]}, resource.name  # and none added
            assert all("hostPort" not in port for port in container.get("ports", [])), resource.name


@pytest.mark.parametrize("stack", STACKS)
def test_every_container_runs_its_colours_release_and_nothing_else(plan, stack: str) -> None:
    p = plan(stack, ON, "blueGreen.activeColor=green")
    releases = {color: release["image"] for color, release in p.outputs["aws_releases"].value.items()}
    for resource, pod in deployments(p):
        color = resource.name.partition("-")[2] or "green"  # the worker runs the active colour's release
        assert {c["image"] for c in all_containers(pod)} == {releases[color]}, resource.name


@pytest.mark.parametrize("cloud", CLOUDS)
def test_prod_runs_only_digest_pinned_images(plan, cloud: str) -> None:
    for resource, pod in deployments(plan("prod", *on(cloud))):
        for container in all_containers(pod):
            assert DIGEST.search(container["image"]), (resource.name, container["image"])
