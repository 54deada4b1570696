"""Cloud Monitoring alert policies for SPEC.md's alarm table, each routed to its severity's channels.

Per instance group: CPU, memory and disk (warning and critical) and instance down. On the load
balancer: p95 latency, 5xx error rate (and its paging level) and API usage. On the database:
down, connections, CPU, disk and, in prod, the DR replica's lag. On Redis: memory. From logs
(log-based metrics): slow queries, failed logins per hour and failed backup jobs. Thresholds,
windows and severities all come from ``alarms``; percentages become the fractions GCP reports
where its metric is a fraction.

Instance down must not page for a VM removed on purpose (scale-in, a template roll, autohealing's
recreation), which a missing-uptime condition would. Behind the load balancer it is a health-check
transition from healthy to unhealthy (health checks log transitions only, and a VM being removed is
drained, not failed); the worker, which has no health check, is down when fewer of its VMs run than
its minimum, which scale-in and surge-first rolling updates never go below.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_gcp as gcp

from ..config import PlatformConfig, Severity, Threshold
from .alerting import ROUTING, Alerting
from .cache import Cache
from .compute import Compute
from .database import Database
from .load_balancer import BlueGreenLoadBalancer
from .logs import app_log_name
from .project import gcp_labels

LEVEL_SEVERITY: dict[str, Severity] = {"warning": "medium", "critical": "critical"}
POLICY_SEVERITY: dict[Severity, str] = {"critical": "CRITICAL", "high": "ERROR", "medium": "WARNING", "low": "WARNING"}
MINUTE, HOUR = 60, 3600
AUTO_CLOSE = "1800s"
HEALTH_CHECK_LOG = "compute.googleapis.com/healthchecks"
# Log-based metrics: what each counts.
LOG_METRICS = {
    "slow-queries": 'resource.type="cloudsql_database" AND textPayload=~"duration: [0-9.]+ ms"',
    "backup-failed": (
        '(resource.type="cloudsql_database" AND protoPayload.methodName:"backup" AND severity>=ERROR)'
        ' OR (resource.type="storage_transfer_job" AND severity>=ERROR)'
    ),
    # A backend that was healthy and now fails its health checks (not one drained for removal).
    "backend-unhealthy": (
        f'log_id("{HEALTH_CHECK_LOG}") AND resource.type="gce_instance_group"'
        ' AND jsonPayload.healthCheckProbeResult.previousHealthState="HEALTHY"'
        ' AND jsonPayload.healthCheckProbeResult.detailedHealthState=("UNHEALTHY" OR "TIMEOUT")'
    ),
}
# Labels the log-based metrics extract, so one metric serves every group.
LOG_METRIC_LABELS = {"backend-unhealthy": {"instance_group": "resource.labels.instance_group_name"}}


def fraction(percent: float) -> float:
    return percent / 100


@dataclass(frozen=True)
class Signal:
    """One condition: ``metric``, aligned over ``period_seconds``, past ``threshold`` for ``minutes``.

    ``minutes=0`` fires on the first breaching window (events counted from logs); ``no_data_breaches``
    treats a metric that stops arriving as breaching (what is down may stop reporting at all).
    """

    name: str
    description: str
    severity: Severity
    threshold: float
    metric: pulumi.Input[str]  # a Monitoring filter
    minutes: int = 1
    aligner: str = "ALIGN_MEAN"
    reducer: str | None = None
    period_seconds: int = MINUTE
    below: bool = False
    denominator: pulumi.Input[str] | None = None
    no_data_breaches: bool = False


def levels(
    name: str,
    description: str,
    threshold: Threshold,
    metric: pulumi.Input[str],
    minutes: int,
    convert: Callable[[float], float] = float,
    **extra: Any,
) -> list[Signal]:
    """A warning (medium) and a critical (critical) signal, skipping a level set to null."""
    return [
        Signal(
            f"{name}-{level}",
            f"{description}: {level}",
            LEVEL_SEVERITY[level],
            convert(value),
            metric,
            minutes,
            **extra,
        )
        for level, value in (("warning", threshold.warning), ("critical", threshold.critical))
        if value is not None
    ]


def _filter(*parts: pulumi.Input[str]) -> pulumi.Output[str]:
    return pulumi.Output.concat(*parts)


def group_instances(group: gcp.compute.RegionInstanceGroupManager) -> pulumi.Output[str]:
    """The start of a filter on the VMs of one managed instance group (``... AND`` follows)."""
    return _filter('resource.type="gce_instance" AND metadata.system_labels.instance_group="', group.name, '" AND ')


def lb_rule(url_map: gcp.compute.URLMap) -> pulumi.Output[str]:
    """A filter on the HTTPS load balancer's requests through ``url_map``."""
    return _filter('resource.type="https_lb_rule" AND resource.labels.url_map_name="', url_map.name, '"')


def condition(signal: Signal) -> Any:
    """``signal`` as an alert policy's threshold condition."""
    aggregation = {
        "alignment_period": f"{signal.period_seconds}s",
        "per_series_aligner": signal.aligner,
        **({"cross_series_reducer": signal.reducer} if signal.reducer else {}),
    }
    threshold: dict[str, Any] = {
        "filter": signal.metric,
        "comparison": "COMPARISON_LT" if signal.below else "COMPARISON_GT",
        "threshold_value": signal.threshold,
        "duration": f"{signal.minutes * MINUTE}s",
        "aggregations": [aggregation],
        "trigger": {"count": 1},
    }
    if signal.denominator is not None:
        threshold |= {"denominator_filter": signal.denominator, "denominator_aggregations": [aggregation]}
    if signal.no_data_breaches:
        threshold["evaluation_missing_data"] = "EVALUATION_MISSING_DATA_ACTIVE"
    return {"display_name": signal.description, "condition_threshold": threshold}


def alert_policy(
    parent: pulumi.Resource,
    cfg: PlatformConfig,
    alerting: Alerting,
    name: str,
    description: str,
    severity: Severity,
    signals: list[Signal],
) -> gcp.monitoring.AlertPolicy:
    """One policy, firing when any of ``signals`` breaches, routed to ``severity``'s channels."""
    return gcp.monitoring.AlertPolicy(
        name,
        display_name=f"{cfg.name()} {description}",
        combiner="OR",
        severity=POLICY_SEVERITY[severity],
        conditions=[condition(signal) for signal in signals],
        notification_channels=alerting.recipients[severity],
        alert_strategy={"auto_close": AUTO_CLOSE},
        documentation={"content": f"Severity {severity}: routed to {ROUTING[severity]}.", "mime_type": "text/markdown"},
        user_labels=gcp_labels(cfg, "monitoring", severity=severity),
        opts=pulumi.ResourceOptions(parent=parent),
    )


class Alarms(pulumi.ComponentResource):
    policies: dict[str, gcp.monitoring.AlertPolicy]
    log_metrics: dict[str, gcp.logging.Metric]

    def __init__(
        self,
        name: str,
        cfg: PlatformConfig,
        alerting: Alerting,
        compute: Compute,
        load_balancer: BlueGreenLoadBalancer,
        database: Database,
        cache: Cache,
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__("platform:gcp:Alarms", name, None, opts)
        self._cfg, self._alerting = cfg, alerting
        filters = {
            **LOG_METRICS,
            "failed-logins": f'logName="{app_log_name(cfg, "api")}" AND jsonPayload.event="login_failed"',
        }
        self.log_metrics = {
            metric: gcp.logging.Metric(
                metric,
                name=cfg.name(metric),
                filter=log_filter,
                metric_descriptor={
                    "metric_kind": "DELTA",
                    "value_type": "INT64",
                    "unit": "1",
                    "labels": [{"key": key, "value_type": "STRING"} for key in LOG_METRIC_LABELS.get(metric, {})],
                },
                label_extractors={key: f"EXTRACT({field})" for key, field in LOG_METRIC_LABELS.get(metric, {}).items()},
                opts=pulumi.ResourceOptions(parent=self),
            )
            for metric, log_filter in filters.items()
        }
        signals = [
            *self._compute_signals(compute),
            *self._load_balancer_signals(load_balancer),
            *self._database_signals(database),
            *self._cache_signals(cache),
            *self._log_signals(),
        ]
        self.policies = {
            signal.name: alert_policy(self, cfg, alerting, signal.name, signal.description, signal.severity, [signal])
            for signal in signals
        }
        self.register_outputs({})

    def _compute_signals(self, compute: Compute) -> list[Signal]:
        a, signals = self._cfg.alarms, []
        for key, group in compute.groups.items():
            instances = group_instances(group)
            for signal, threshold, metric, convert in (
                ("cpu", a.cpu_percent, 'metric.type="compute.googleapis.com/instance/cpu/utilization"', fraction),
                (
                    "memory",
                    a.memory_percent,
                    'metric.type="agent.googleapis.com/memory/percent_used" AND metric.labels.state="used"',
                    float,
                ),
                (
                    "disk",
                    a.disk_percent,
                    'metric.type="agent.googleapis.com/disk/percent_used" AND metric.labels.state="used"',
                    float,
                ),
            ):
                signals += levels(
                    f"{key}-{signal}",
                    f"{key} {signal} %",
                    threshold,
                    _filter(instances, metric),
                    a.sustained_minutes,
                    convert,
                )
            signals.append(self._instance_down(key, group, instances, compute))
        return signals

    def _instance_down(
        self, key: str, group: gcp.compute.RegionInstanceGroupManager, instances: pulumi.Output[str], compute: Compute
    ) -> Signal:
        """Behind the load balancer: a healthy backend failed; the worker: fewer VMs run than its minimum."""
        a = self._cfg.alarms
        if key in compute.health_checked:
            return Signal(
                f"{key}-instance-down",
                f"{key}: an instance failed its health checks",
                "critical",
                0,
                _filter(
                    'metric.type="logging.googleapis.com/user/',
                    self.log_metrics["backend-unhealthy"].name,
                    '" AND metric.labels.instance_group="',
                    group.name,
                    '"',
                ),
                0,
                aligner="ALIGN_DELTA",
                reducer="REDUCE_SUM",
                period_seconds=a.down_minutes * MINUTE,
            )
        minimum = self._cfg.compute.tier(compute.tiers[key]).min_size
        return Signal(
            f"{key}-instance-down",
            f"{key}: fewer instances running than its minimum ({minimum})",
            "critical",
            minimum,
            _filter(instances, 'metric.type="compute.googleapis.com/instance/uptime"'),
            a.down_minutes,
            reducer="REDUCE_COUNT",
            below=True,
            no_data_breaches=True,
        )

    def _load_balancer_signals(self, load_balancer: BlueGreenLoadBalancer) -> list[Signal]:
        a = self._cfg.alarms
        rule = lb_rule(load_balancer.url_map)
        requests = _filter(rule, ' AND metric.type="loadbalancing.googleapis.com/https/request_count"')
        errors = _filter(requests, ' AND metric.labels.response_code_class="500"')
        rate: dict[str, Any] = {"aligner": "ALIGN_RATE", "reducer": "REDUCE_SUM", "denominator": requests}
        return [
            *levels(
                "latency-p95",
                "p95 response time (ms)",
                a.latency_ms,
                _filter(rule, ' AND metric.type="loadbalancing.googleapis.com/https/total_latencies"'),
                a.sustained_minutes,
                aligner="ALIGN_DELTA",
                reducer="REDUCE_PERCENTILE_95",
            ),
            *levels(
                "error-rate",
                "5xx error rate",
                a.error_rate_percent,
                errors,
                a.error_rate_window_minutes,
                fraction,
                **rate,
            ),
            Signal(
                "error-rate-paging",
                "5xx error rate: paging",
                "critical",
                fraction(a.paging_error_rate_percent),
                errors,
                a.paging_error_rate_window_minutes,
                **rate,
            ),
            Signal(
                "api-usage",
                "API requests per minute",
                "low",
                a.api_requests_per_minute,
                _filter(
                    requests, ' AND resource.labels.backend_target_name=starts_with("', self._cfg.name("api"), '-")'
                ),
                aligner="ALIGN_DELTA",
                reducer="REDUCE_SUM",
            ),
        ]

    def _database_signals(self, database: Database) -> list[Signal]:
        a, project = self._cfg.alarms, self._cfg.gcp.project

        def metric(instance: gcp.sql.DatabaseInstance, name: str) -> pulumi.Output[str]:
            return _filter(
                'resource.type="cloudsql_database" AND resource.labels.database_id="',
                f"{project}:",
                instance.name,
                f'" AND metric.type="cloudsql.googleapis.com/database/{name}"',
            )

        db = database.instance
        signals = [
            Signal(
                "database-down",
                "PostgreSQL down",
                "critical",
                1,
                metric(db, "up"),
                a.down_minutes,
                below=True,
                no_data_breaches=True,  # an unreachable instance may stop reporting rather than report 0
            ),
            Signal(
                "database-connections",
                "PostgreSQL connections",
                "medium",
                a.database_connections,
                metric(db, "postgresql/num_backends"),
                a.database_connections_window_minutes,
                reducer="REDUCE_SUM",
            ),
            *levels(
                "database-cpu",
                "PostgreSQL CPU %",
                a.cpu_percent,
                metric(db, "cpu/utilization"),
                a.sustained_minutes,
                fraction,
            ),
            *levels(
                "database-disk",
                "PostgreSQL disk %",
                a.disk_percent,
                metric(db, "disk/utilization"),
                a.sustained_minutes,
                fraction,
            ),
        ]
        if database.replica is not None:
            signals.append(
                Signal(
                    "database-replica-lag",
                    "DR replica lag (s)",
                    "high",
                    a.replica_lag_seconds,
                    metric(database.replica, "replication/replica_lag"),
                    aligner="ALIGN_MAX",
                )
            )
        return signals

    def _cache_signals(self, cache: Cache) -> list[Signal]:
        a = self._cfg.alarms
        memory = _filter(
            'resource.type="redis_instance" AND resource.labels.instance_id="',
            cache.instance.id,
            '" AND metric.type="redis.googleapis.com/stats/memory/usage_ratio"',
        )
        return levels("cache-memory", "Redis memory %", a.memory_percent, memory, a.sustained_minutes, fraction)

    def _log_signals(self) -> list[Signal]:
        cfg, a = self._cfg, self._cfg.alarms

        def counted(metric: str) -> pulumi.Output[str]:
            return _filter('metric.type="logging.googleapis.com/user/', self.log_metrics[metric].name, '"')

        return [
            Signal(
                "slow-queries",
                f"PostgreSQL statements slower than {cfg.database.slow_query_ms} ms",
                "low",
                0,
                counted("slow-queries"),
                0,
                aligner="ALIGN_DELTA",
                reducer="REDUCE_SUM",
            ),
            Signal(
                "failed-logins",
                "failed logins per hour",
                "high",
                a.failed_logins_per_hour,
                counted("failed-logins"),
                aligner="ALIGN_DELTA",
                reducer="REDUCE_SUM",
                period_seconds=HOUR,
            ),
            Signal(
                "backup-failed",
                "a backup job failed",
                "critical",
                0,
                counted("backup-failed"),
                0,
                aligner="ALIGN_DELTA",
                reducer="REDUCE_SUM",
            ),
        ]
