"""SPEC.md's scrape and the per-colour rollback signals, for clusters that run the Prometheus Operator.

- PodMonitor ``platform-app``: every app pod's ``metrics`` port at ``compute.metricsPath`` every
  ``compute.scrapeIntervalSeconds`` (SPEC.md: 9090, ``/metrics``, 15 s), each series labelled
  with the pod's ``tier`` and ``color``.
- PrometheusRule ``rollback-<colour>``: one alert per SPEC.md rollback trigger over that colour's web
  and api pods (the worker takes no part in a traffic shift): p95 latency, error rate, CPU and memory
  against the pods' limits, and the database pool in use reaching ``app.databasePoolSize``. Each
  fires after ``blueGreen.rollback.windowSeconds`` x ``evaluationPeriods`` and is evaluated every scrape
  interval, so detection fits ``maxRollbackSeconds`` as on the clouds. Labelled ``severity: high``
  (SPEC.md routes high to on-call) and ``color``, for Alertmanager's routes and a shift to watch.

Latency and errors come from the application's request histogram and counter
(``kubernetes.prometheus``); CPU and memory from cAdvisor and kube-state-metrics, which
kube-prometheus-stack scrapes. Turned on by ``kubernetes.prometheus.enabled``: the
``monitoring.coreos.com/v1`` CRDs must exist first.
"""

from __future__ import annotations

from collections.abc import Mapping

import pulumi
import pulumi_kubernetes as k8s

from ..config import COLORS, Color, PlatformConfig
from . import labels
from .labels import SERVED_TIERS, metadata, namespace_name

MONITORING_API = "monitoring.coreos.com/v1"


def alert_name(cfg: PlatformConfig, color: Color, signal: str) -> str:
    """``PlatformProdBlueP95LatencyHigh``: unique per environment and colour, as Alertmanager lists it."""
    return f"Platform{cfg.environment.capitalize()}{color.capitalize()}{signal}"


def rollback_rules(cfg: PlatformConfig, color: Color) -> dict[str, str]:
    """Alert name -> PromQL, each true while that rollback trigger holds for the colour's web and api pods."""
    rollback, prometheus, window = (
        cfg.blue_green.rollback,
        cfg.kubernetes.prometheus,
        f"{cfg.blue_green.rollback.window_seconds}s",
    )
    namespace, tiers = namespace_name(cfg), "|".join(SERVED_TIERS)
    app = f'namespace="{namespace}", tier=~"{tiers}", color="{color}"'  # the PodMonitor's target labels
    # cAdvisor and kube-state-metrics know pods by name: <tier>-<colour>-<replica set hash>-<pod hash>.
    pods = f'namespace="{namespace}", pod=~"({tiers})-{color}-[a-z0-9]+-[a-z0-9]+"'
    containers = f'{pods}, container!="", container!="POD"'
    requests = f"sum(rate({prometheus.requests_counter}{{{app}}}[{window}]))"
    errors = f'sum(rate({prometheus.requests_counter}{{{app}, {prometheus.status_code_label}=~"5.."}}[{window}]))'

    def of_limits(usage: str, resource: str) -> str:
        return f'100 * {usage} / sum(kube_pod_container_resource_limits{{{pods}, resource="{resource}"}})'

    return {
        alert_name(cfg, color, "P95LatencyHigh"): (
            f"1000 * histogram_quantile(0.95, sum by (le) (rate({prometheus.latency_histogram}_bucket{{{app}}}"
            f"[{window}]))) > {rollback.p95_latency_ms}"
        ),
        alert_name(cfg, color, "ErrorRateHigh"): f"100 * {errors} / {requests} > {rollback.error_rate_percent:g}",
        alert_name(cfg, color, "CpuHigh"): (
            of_limits(f"sum(rate(container_cpu_usage_seconds_total{{{containers}}}[{window}]))", "cpu")
            + f" > {rollback.cpu_percent:g}"
        ),
        alert_name(cfg, color, "MemoryHigh"): (
            of_limits(f"sum(container_memory_working_set_bytes{{{containers}}})", "memory")
            + f" > {rollback.memory_percent:g}"
        ),
        alert_name(cfg, color, "DatabasePoolExhausted"): (
            f"max({rollback.pool_in_use_metric}{{{app}}}) >= {cfg.app.database_pool_size}"
        ),
    }


class PrometheusMonitoring(pulumi.ComponentResource):
    rollback_alarm_ids: Mapping[Color, list[str]]  # alert names per colour, as Alertmanager reports them

    def __init__(
        self, name: str, cfg: PlatformConfig, namespace: pulumi.Input[str], opts: pulumi.ResourceOptions | None = None
    ):
        super().__init__("platform:kubernetes:PrometheusMonitoring", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        compute, rollback, selected = cfg.compute, cfg.blue_green.rollback, cfg.kubernetes.prometheus.labels
        interval = f"{compute.scrape_interval_seconds}s"
        k8s.apiextensions.CustomResource(
            "scrape",
            api_version=MONITORING_API,
            kind="PodMonitor",
            metadata=metadata(cfg, "kubernetes", "platform-app", namespace, selected),
            spec={
                "selector": {"matchLabels": labels.APP},
                "podTargetLabels": ["tier", "color"],
                "podMetricsEndpoints": [{"port": "metrics", "path": compute.metrics_path, "interval": interval}],
            },
            opts=child,
        )
        rules = {color: rollback_rules(cfg, color) for color in COLORS}
        for color, alerts in rules.items():
            k8s.apiextensions.CustomResource(
                f"rollback-{color}",
                api_version=MONITORING_API,
                kind="PrometheusRule",
                metadata=metadata(cfg, "kubernetes", f"rollback-{color}", namespace, {**selected, "color": color}),
                spec={
                    "groups": [
                        {
                            "name": f"{cfg.name()}-rollback-{color}",
                            "interval": interval,
                            "rules": [
                                {
                                    "alert": alert,
                                    "expr": expr,
                                    "for": f"{rollback.window_seconds * rollback.evaluation_periods}s",
                                    "labels": {"severity": "high", "color": color, "environment": cfg.environment},
                                    "annotations": {
                                        "summary": f"{color} breaches a blue-green rollback threshold ({alert})",
                                        "runbook": "Shift traffic back to the other colour: README, Kubernetes.",
                                    },
                                }
                                for alert, expr in alerts.items()
                            ],
                        }
                    ]
                },
                opts=child,
            )
        self.rollback_alarm_ids = {color: list(alerts) for color, alerts in rules.items()}
        self.register_outputs({})
