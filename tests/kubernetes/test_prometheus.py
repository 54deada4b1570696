"""SPEC.md's scrape and the per-colour rollback alerts, for the Prometheus Operator (a config toggle)."""

from __future__ import annotations

import pytest

from components.config import COLORS

from .objects import ON, POD_MONITOR, PROMETHEUS_RULE, spec

PROMETHEUS = "kubernetes.prometheus.enabled=true"
SIGNALS = ("P95LatencyHigh", "ErrorRateHigh", "CpuHigh", "MemoryHigh", "DatabasePoolExhausted")


def rules(plan, *overrides: str, color: str = "blue") -> dict[str, dict]:
    rule = plan("prod", ON, PROMETHEUS, *overrides).named(PROMETHEUS_RULE, f"rollback-{color}")
    (group,) = spec(rule)["groups"]
    return {r["alert"]: r for r in group["rules"]}


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_off_by_default_so_a_fresh_cluster_without_the_crds_deploys(plan, stack: str) -> None:
    p = plan(stack, ON)
    assert not [r for r in p.resources if "monitoring.coreos.com" in r.type]
    assert "kubernetes_rollback_alarm_ids" not in p.outputs


def test_pod_monitor_scrapes_specs_port_path_and_interval(plan) -> None:
    (monitor,) = plan("prod", ON, PROMETHEUS).of_type(POD_MONITOR)
    assert monitor.inputs["apiVersion"] == "monitoring.coreos.com/v1"
    assert monitor.inputs["metadata"]["namespace"] == "platform-prod"
    assert monitor.inputs["metadata"]["labels"]["release"] == "kube-prometheus-stack"  # what the Prometheus selects
    assert spec(monitor) == {
        "selector": {"matchLabels": {"role": "app"}},
        "podTargetLabels": ["tier", "color"],
        "podMetricsEndpoints": [{"port": "metrics", "path": "/metrics", "interval": "15s"}],
    }
    (custom,) = plan(
        "dev", ON, PROMETHEUS, "compute.scrapeIntervalSeconds=30", 'kubernetes.prometheus.labels={"prometheus":"main"}'
    ).of_type(POD_MONITOR)
    assert spec(custom)["podMetricsEndpoints"][0]["interval"] == "30s"
    assert custom.inputs["metadata"]["labels"]["prometheus"] == "main"


@pytest.mark.parametrize("color", COLORS)
def test_one_rule_per_colour_with_specs_five_triggers(plan, color: str) -> None:
    rule = plan("prod", ON, PROMETHEUS).named(PROMETHEUS_RULE, f"rollback-{color}")
    (group,) = spec(rule)["groups"]
    assert group["interval"] == "15s"  # evaluated every scrape
    assert [r["alert"] for r in group["rules"]] == [f"PlatformProd{color.capitalize()}{s}" for s in SIGNALS]
    for r in group["rules"]:
        assert r["for"] == "60s"  # windowSeconds x evaluationPeriods
        assert r["labels"] == {"severity": "high", "color": color, "environment": "prod"}
        assert f'color="{color}"' in r["expr"] or f"-{color}-" in r["expr"]


def test_expressions_hold_specs_thresholds_over_the_colours_web_and_api_pods(plan) -> None:
    found = {name.removeprefix("PlatformProdGreen"): r["expr"] for name, r in rules(plan, color="green").items()}
    app = 'namespace="platform-prod", tier=~"web|api", color="green"'
    pods = 'namespace="platform-prod", pod=~"(web|api)-green-[a-z0-9]+-[a-z0-9]+"'
    assert found["P95LatencyHigh"] == (
        f"1000 * histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket{{{app}}}[60s]))) > 500"
    )
    assert found["ErrorRateHigh"] == (
        f'100 * sum(rate(http_requests_total{{{app}, code=~"5.."}}[60s])) / '
        f"sum(rate(http_requests_total{{{app}}}[60s])) > 1"
    )
    assert found["CpuHigh"] == (
        f'100 * sum(rate(container_cpu_usage_seconds_total{{{pods}, container!="", container!="POD"}}[60s])) / '
        f'sum(kube_pod_container_resource_limits{{{pods}, resource="cpu"}}) > 90'
    )
    assert found["MemoryHigh"] == (
        f'100 * sum(container_memory_working_set_bytes{{{pods}, container!="", container!="POD"}}) / '
        f'sum(kube_pod_container_resource_limits{{{pods}, resource="memory"}}) > 90'
    )
    assert found["DatabasePoolExhausted"] == f"max(database_pool_connections_in_use{{{app}}}) >= 20"


def test_thresholds_windows_and_metric_names_follow_config(plan) -> None:
    found = rules(
        plan,
        "blueGreen.rollback.p95LatencyMs=300",
        "blueGreen.rollback.errorRatePercent=2.5",
        "blueGreen.rollback.cpuPercent=80",
        "blueGreen.rollback.memoryPercent=85",
        "blueGreen.rollback.evaluationPeriods=1",
        "blueGreen.rollback.windowSeconds=60",
        "blueGreen.rollback.maxRollbackSeconds=200",
        "blueGreen.rollback.poolInUseMetric=db_pool_busy",
        "app.databasePoolSize=40",
        "kubernetes.prometheus.latencyHistogram=request_seconds",
        "kubernetes.prometheus.requestsCounter=requests_total",
        "kubernetes.prometheus.statusCodeLabel=status",
    )
    expr = {name.removeprefix("PlatformProdBlue"): r["expr"] for name, r in found.items()}
    assert expr["P95LatencyHigh"].endswith("> 300") and "request_seconds_bucket{" in expr["P95LatencyHigh"]
    assert expr["ErrorRateHigh"].endswith("> 2.5") and 'status=~"5.."' in expr["ErrorRateHigh"]
    assert "requests_total{" in expr["ErrorRateHigh"]
    assert expr["CpuHigh"].endswith("> 80") and expr["MemoryHigh"].endswith("> 85")
    assert expr["DatabasePoolExhausted"].startswith("max(db_pool_busy{") and expr["DatabasePoolExhausted"].endswith(
        ">= 40"
    )
    # Rates over one window; firing after the window x the periods.
    longer = rules(
        plan,
        "blueGreen.rollback.windowSeconds=120",
        "blueGreen.rollback.evaluationPeriods=2",
        "blueGreen.rollback.maxRollbackSeconds=300",
    )
    assert {r["for"] for r in longer.values()} == {"240s"}
    assert all("[120s]" in r["expr"] for name, r in longer.items() if "Pool" not in name and "Memory" not in name)


def test_rollback_alert_names_are_outputs_per_colour(plan) -> None:
    outputs = plan("prod", ON, PROMETHEUS).outputs["kubernetes_rollback_alarm_ids"].value
    assert outputs == {color: [f"PlatformProd{color.capitalize()}{s}" for s in SIGNALS] for color in COLORS}
