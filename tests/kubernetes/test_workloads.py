"""Deployments per colour running each colour's release, with HPAs and PDBs (SPEC.md: Compute tiers, Blue-green)."""

from __future__ import annotations

import pytest

from components import application
from components.config import COLORS, parse
from policies.rules.limits import cpu_cores, memory_bytes

from .objects import (
    DEPLOYMENT,
    HPA,
    ON,
    OTHER_PORT_PDB_SELECTOR,
    PDB,
    SERVED_DEPLOYMENTS,
    SMALLER_API_MORE_SURGE,
    applied,
    containers,
    spec,
)

CAPS = {"web": ("1", "2Gi"), "api": ("2", "4Gi"), "worker": ("1", "2Gi")}
SCALING = {"web": (2, 10), "api": (3, 15), "worker": (2, 8)}
DEPLOYMENTS = (*SERVED_DEPLOYMENTS, "worker")
GREEN_3 = ("blueGreen.releases.green.image=registry.example.com/app:3.0", "blueGreen.releases.green.version=3.0.0")
HELLO = "us-docker.pkg.dev/google-samples/containers/gke/hello-app"


def test_web_and_api_per_colour_and_one_worker(plan) -> None:
    p = plan("prod", ON)
    assert sorted(r.name for r in p.of_type(DEPLOYMENT)) == sorted(DEPLOYMENTS)
    for name in SERVED_DEPLOYMENTS:
        tier, color = name.split("-")
        deployment = p.named(DEPLOYMENT, name)
        labels = {"role": "app", "tier": tier, "color": color}
        assert spec(deployment)["selector"] == {"matchLabels": labels}
        assert labels.items() <= spec(deployment)["template"]["metadata"]["labels"].items()
        assert "replicas" not in spec(deployment)  # the HPA owns the count
    worker = spec(p.named(DEPLOYMENT, "worker"))
    # The selector is immutable, so it names no colour; the pods show which colour's release they run.
    assert worker["selector"] == {"matchLabels": {"role": "app", "tier": "worker"}}
    assert worker["template"]["metadata"]["labels"]["color"] == "blue"


@pytest.mark.parametrize("active", COLORS)
def test_each_colour_runs_its_release_and_the_worker_the_active_one(plan, active: str) -> None:
    p = plan("dev", ON, *(() if active == "blue" else ("blueGreen.activeColor=green",)))
    images = {name: containers(p.named(DEPLOYMENT, name))[0]["image"] for name in DEPLOYMENTS}
    assert images == {
        "web-blue": f"{HELLO}:1.0",
        "api-blue": f"{HELLO}:1.0",
        "web-green": f"{HELLO}:2.0",
        "api-green": f"{HELLO}:2.0",
        "worker": f"{HELLO}:1.0" if active == "blue" else f"{HELLO}:2.0",
    }


def test_container_environment_is_the_applications(plan) -> None:
    p = plan("dev", ON, "blueGreen.activeColor=green", "app.logLevel=warn")
    cfg = parse({"environment": "dev", "blueGreen": {"activeColor": "green"}, "app": {"logLevel": "warn"}})
    for name in DEPLOYMENTS:
        tier, _, color = name.partition("-")
        env = {e["name"]: e["value"] for e in containers(p.named(DEPLOYMENT, name))[0]["env"]}
        own = {key: value for key, value in env.items() if not key.endswith("_FILE")}  # credentials: test_app_config
        assert own == application.environment(cfg, tier, color or None), name
        assert env["LOG_LEVEL"] == "warn"
    worker_env = {e["name"]: e["value"] for e in containers(p.named(DEPLOYMENT, "worker"))[0]["env"]}
    assert (worker_env["PORT"], worker_env["APP_COLOR"], worker_env["APP_TIER"]) == ("8080", "green", "worker")


def test_changing_green_release_changes_no_input_of_blue(plan) -> None:
    """Applied runs (not previews), so even the rollout hash is compared by value."""
    before, after = applied("dev", ON), applied("dev", ON, *GREEN_3)
    for typ in (DEPLOYMENT, HPA, PDB):
        for name in ("web-blue", "api-blue", "worker"):
            assert before.named(typ, name).inputs == after.named(typ, name).inputs, (typ, name)
    for name in ("web-green", "api-green"):
        green = containers(after.named(DEPLOYMENT, name))[0]
        assert green["image"] == "registry.example.com/app:3.0"
        assert {"name": "APP_VERSION", "value": "3.0.0"} in green["env"]


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


def test_served_tiers_are_probed_over_http_on_the_app_port(plan) -> None:
    p = plan("prod", ON)
    for name in SERVED_DEPLOYMENTS:
        (container,) = containers(p.named(DEPLOYMENT, name))
        assert container["ports"] == [
            {"name": "http", "containerPort": 8080},
            {"name": "metrics", "containerPort": 9090},
        ]
        assert container["livenessProbe"] == {"httpGet": {"path": "/live", "port": "http"}}
        assert container["readinessProbe"] == {"httpGet": {"path": "/ready", "port": "http"}}


def test_the_worker_serves_no_http_so_has_no_http_probes(plan) -> None:
    (container,) = containers(plan("prod", ON).named(DEPLOYMENT, "worker"))
    assert container["ports"] == [{"name": "metrics", "containerPort": 9090}]
    assert "livenessProbe" not in container and "readinessProbe" not in container


def test_pods_run_restricted_with_the_platform_service_account(plan) -> None:
    for deployment in plan("prod", ON).of_type(DEPLOYMENT):
        template = spec(deployment)["template"]
        assert {
            "prometheus.io/scrape": "true",
            "prometheus.io/port": "9090",
            "prometheus.io/path": "/metrics",
        }.items() <= template["metadata"]["annotations"].items()
        assert "prometheus.io/interval" not in template["metadata"]["annotations"]  # not a standard annotation
        pod = template["spec"]
        assert pod["serviceAccountName"] == "platform-app"
        assert pod["automountServiceAccountToken"] is False
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
        for container in pod["containers"]:
            assert container["securityContext"] == {
                "runAsNonRoot": True,
                "readOnlyRootFilesystem": True,
                "allowPrivilegeEscalation": False,
                "capabilities": {"drop": ["ALL"]},
            }


def test_rolling_updates_surge_and_never_drop_below_the_hpa_count(plan) -> None:
    for deployment in plan("dev", ON, *SMALLER_API_MORE_SURGE).of_type(DEPLOYMENT):
        assert spec(deployment)["strategy"] == {
            "type": "RollingUpdate",
            "rollingUpdate": {"maxSurge": "50%", "maxUnavailable": 0},
        }


def test_compute_overrides_flow_into_containers(plan) -> None:
    p = plan(
        "dev",
        ON,
        "compute.livenessPath=/alive",
        "compute.metricsPort=9100",
        "compute.appPort=8443",
        "compute.web.cpu=500m",
    )
    (web,) = containers(p.named(DEPLOYMENT, "web-blue"))
    assert web["livenessProbe"]["httpGet"]["path"] == "/alive"
    assert web["resources"]["limits"]["cpu"] == "500m"
    assert web["ports"][0] == {"name": "http", "containerPort": 8443}
    assert {"name": "PORT", "value": "8443"} in web["env"]
    assert spec(p.named(DEPLOYMENT, "web-blue"))["template"]["metadata"]["annotations"]["prometheus.io/port"] == "9100"


def hpa_metrics(plan, *overrides: str) -> dict[str, dict]:
    p = plan("prod", ON, *overrides)
    return {name: spec(p.named(HPA, name))["metrics"][0] for name in ("web-blue", "api-green", "worker")}


def test_hpas_scale_each_tier_on_its_spec_signal(plan) -> None:
    p = plan("prod", ON)
    assert sorted(r.name for r in p.of_type(HPA)) == sorted(DEPLOYMENTS)
    for name in DEPLOYMENTS:
        hpa = spec(p.named(HPA, name))
        assert hpa["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": name}
        assert (hpa["minReplicas"], hpa["maxReplicas"]) == SCALING[name.split("-")[0]]
    metrics = hpa_metrics(plan)
    assert metrics["web-blue"] == {
        "type": "Resource",
        "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 70}},
    }
    # SPEC.md's 1000 requests per target per minute, as the adapters' per-second rate.
    assert metrics["api-green"]["pods"]["target"] == {"type": "AverageValue", "averageValue": "16667m"}
    assert metrics["worker"]["external"]["target"] == {"type": "AverageValue", "averageValue": "100"}


@pytest.mark.parametrize(
    ("cloud", "requests", "queue", "selector"),
    [
        (
            "aws",
            "http_requests_per_second",
            "aws_sqs_approximate_number_of_messages_visible_average",
            {"queue_name": "platform-prod-work"},
        ),
        (
            "gcp",
            "prometheus.googleapis.com|http_requests_total|counter",
            "pubsub.googleapis.com|subscription|num_undelivered_messages",
            {"resource.labels.subscription_id": "platform-prod-worker"},
        ),
        ("azure", "http_requests_per_second", "worker_queue_messages_visible", {"queue": "work"}),
    ],
)
def test_hpa_metric_names_follow_the_first_clouds_adapter(
    plan, cloud: str, requests: str, queue: str, selector: dict
) -> None:
    metrics = hpa_metrics(plan, f'clouds=["{cloud}"]')
    assert metrics["api-green"]["pods"]["metric"] == {"name": requests}
    assert metrics["worker"]["external"]["metric"] == {"name": queue, "selector": {"matchLabels": selector}}


def test_hpa_overrides_flow(plan) -> None:
    p = plan(
        "dev",
        ON,
        "compute.web.target=60",
        "compute.api.minSize=4",
        "compute.api.target=600",
        "compute.worker.maxSize=6",
        "kubernetes.apiRequestsMetric=rps",
        "kubernetes.workerQueueMetric=sqs_visible",
        'kubernetes.workerQueueSelector={"queue":"jobs"}',
    )
    assert spec(p.named(HPA, "web-green"))["metrics"][0]["resource"]["target"]["averageUtilization"] == 60
    assert spec(p.named(HPA, "api-blue"))["minReplicas"] == 4
    assert spec(p.named(HPA, "api-blue"))["metrics"][0]["pods"] == {
        "metric": {"name": "rps"},
        "target": {"type": "AverageValue", "averageValue": "10000m"},
    }
    assert spec(p.named(HPA, "worker"))["maxReplicas"] == 6
    assert spec(p.named(HPA, "worker"))["metrics"][0]["external"]["metric"] == {
        "name": "sqs_visible",
        "selector": {"matchLabels": {"queue": "jobs"}},
    }
    unselected = plan("dev", ON, *OTHER_PORT_PDB_SELECTOR).named(HPA, "worker")
    assert "selector" not in spec(unselected)["metrics"][0]["external"]["metric"]


def test_pod_disruption_budgets(plan) -> None:
    p = plan("prod", ON)
    assert sorted(r.name for r in p.of_type(PDB)) == sorted(DEPLOYMENTS)
    for name in DEPLOYMENTS:
        assert spec(p.named(PDB, name)) == {
            "selector": spec(p.named(DEPLOYMENT, name))["selector"],
            "minAvailable": "50%",
        }
    (pdb, *_) = plan("dev", ON, *OTHER_PORT_PDB_SELECTOR).of_type(PDB)
    assert spec(pdb)["minAvailable"] == "75%"
