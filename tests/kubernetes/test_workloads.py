"""Deployments per tier and colour, their Services, HPAs and PDBs (SPEC.md: Compute tiers, Blue-green)."""

from __future__ import annotations

import pytest

from components.config import COLORS, TIERS
from policies.rules.limits import cpu_cores, memory_bytes

from .objects import DEPLOYMENT, HPA, ON, PDB, SERVICE, containers, spec

CAPS = {"web": ("1", "2Gi"), "api": ("2", "4Gi"), "worker": ("1", "2Gi")}
SCALING = {"web": (2, 10), "api": (3, 15), "worker": (2, 8)}


def test_one_deployment_per_tier_and_colour(plan) -> None:
    p = plan("prod", ON)
    assert sorted(r.name for r in p.of_type(DEPLOYMENT)) == sorted(f"{t}-{c}" for t in TIERS for c in COLORS)
    for tier in TIERS:
        for color in COLORS:
            deployment = p.named(DEPLOYMENT, f"{tier}-{color}")
            labels = {"role": "app", "tier": tier, "color": color}
            assert spec(deployment)["selector"] == {"matchLabels": labels}
            assert labels.items() <= spec(deployment)["template"]["metadata"]["labels"].items()
            assert "replicas" not in spec(deployment)  # the HPA owns the count
            assert containers(deployment)[0]["image"] == f"ghcr.io/example/platform-{tier}:1.0.0"


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_every_container_has_requests_and_limits_within_its_tier_caps(plan, stack: str) -> None:
    for deployment in plan(stack, ON).of_type(DEPLOYMENT):
        tier = deployment.name.split("-")[0]
        cpu_cap, memory_cap = CAPS[tier]
        for container in containers(deployment):
            for kind in ("requests", "limits"):
                resources = container["resources"][kind]
                assert 0 < cpu_cores(resources["cpu"]) <= cpu_cores(cpu_cap), deployment.name
                assert 0 < memory_bytes(resources["memory"]) <= memory_bytes(memory_cap), deployment.name
            assert container["resources"]["limits"] == {"cpu": cpu_cap, "memory": memory_cap}


def test_probes_scrape_annotations_and_security_contexts(plan) -> None:
    for deployment in plan("prod", ON).of_type(DEPLOYMENT):
        template = spec(deployment)["template"]
        assert {
            "prometheus.io/scrape": "true",
            "prometheus.io/port": "9090",
            "prometheus.io/path": "/metrics",
            "prometheus.io/interval": "15s",
        }.items() <= template["metadata"]["annotations"].items()
        pod = template["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
        assert pod["automountServiceAccountToken"] is False
        for container in pod["containers"]:
            assert container["livenessProbe"] == {"httpGet": {"path": "/live", "port": 8080}}
            assert container["readinessProbe"] == {"httpGet": {"path": "/ready", "port": 8080}}
            assert {"name": "metrics", "containerPort": 9090} in container["ports"]
            assert container["securityContext"] == {
                "runAsNonRoot": True,
                "readOnlyRootFilesystem": True,
                "allowPrivilegeEscalation": False,
                "capabilities": {"drop": ["ALL"]},
            }
            assert container["envFrom"] == [
                {"configMapRef": {"name": "app-settings"}},
                {"secretRef": {"name": "app-secrets"}},
            ]


def test_compute_overrides_flow_into_containers(plan) -> None:
    p = plan("dev", ON, "compute.livenessPath=/alive", "compute.metricsPort=9100", "compute.web.cpu=500m")
    web = p.named(DEPLOYMENT, "web-blue")
    assert containers(web)[0]["livenessProbe"]["httpGet"]["path"] == "/alive"
    assert containers(web)[0]["resources"]["limits"]["cpu"] == "500m"
    assert spec(web)["template"]["metadata"]["annotations"]["prometheus.io/port"] == "9100"


@pytest.mark.parametrize(("active", "override"), [("blue", ()), ("green", ("blueGreen.activeColor=green",))])
def test_services_select_the_active_colour(plan, active: str, override: tuple[str, ...]) -> None:
    p = plan("prod", ON, *override)
    assert sorted(s.name for s in p.of_type(SERVICE)) == ["api", "web"]  # the worker serves no traffic
    for service in p.of_type(SERVICE):
        assert spec(service)["selector"] == {"role": "app", "tier": service.name, "color": active}
        assert spec(service)["type"] == "ClusterIP"
        assert spec(service)["ports"] == [{"name": "http", "port": 8080, "targetPort": 8080, "protocol": "TCP"}]
    assert p.outputs["kubernetes_service_names"].value == {"web": "web", "api": "api"}
    assert p.outputs["kubernetes_namespace"].value == "platform-prod"


def test_hpas_scale_each_tier_on_its_spec_signal(plan) -> None:
    p = plan("prod", ON)
    metrics = {
        "web": {
            "type": "Resource",
            "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 70}},
        },
        "api": {
            "type": "Pods",
            "pods": {
                "metric": {"name": "http_requests_per_target"},
                "target": {"type": "AverageValue", "averageValue": "1000"},
            },
        },
        "worker": {
            "type": "External",
            "external": {
                "metric": {"name": "worker_queue_messages_visible"},
                "target": {"type": "AverageValue", "averageValue": "100"},
            },
        },
    }
    assert len(p.of_type(HPA)) == len(TIERS) * len(COLORS)
    for tier in TIERS:
        for color in COLORS:
            hpa = spec(p.named(HPA, f"{tier}-{color}"))
            assert hpa["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": f"{tier}-{color}"}
            assert (hpa["minReplicas"], hpa["maxReplicas"]) == SCALING[tier]
            assert hpa["metrics"] == [metrics[tier]]


def test_hpa_overrides_flow(plan) -> None:
    p = plan(
        "dev",
        ON,
        "compute.web.target=60",
        "compute.api.minSize=4",
        "compute.worker.maxSize=6",
        "kubernetes.apiRequestsMetric=rps",
        "kubernetes.workerQueueMetric=sqs_visible",
    )
    assert spec(p.named(HPA, "web-green"))["metrics"][0]["resource"]["target"]["averageUtilization"] == 60
    assert spec(p.named(HPA, "api-blue"))["minReplicas"] == 4
    assert spec(p.named(HPA, "api-blue"))["metrics"][0]["pods"]["metric"] == {"name": "rps"}
    assert spec(p.named(HPA, "worker-blue"))["maxReplicas"] == 6
    assert spec(p.named(HPA, "worker-blue"))["metrics"][0]["external"]["metric"] == {"name": "sqs_visible"}


def test_pod_disruption_budgets(plan) -> None:
    p = plan("prod", ON)
    assert len(p.of_type(PDB)) == len(TIERS) * len(COLORS)
    for tier in TIERS:
        for color in COLORS:
            pdb = spec(p.named(PDB, f"{tier}-{color}"))
            assert pdb == {
                "selector": {"matchLabels": {"role": "app", "tier": tier, "color": color}},
                "minAvailable": "50%",
            }
    (pdb, *_) = plan("dev", ON, "kubernetes.pdbMinAvailablePercent=75").of_type(PDB)
    assert spec(pdb)["minAvailable"] == "75%"
