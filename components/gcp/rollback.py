"""Rollback signals per colour (SPEC.md: Blue-green): one high-severity alert policy per pooled tier and colour.

A policy fires when any of SPEC's five triggers breaches in that colour: p95 latency above
``blueGreen.rollback.p95LatencyMs`` or a 5xx rate above ``errorRatePercent`` on the colour's backend
service; CPU above ``cpuPercent`` or memory above ``memoryPercent`` on average across its group's
VMs; the application's pool gauge (``poolInUseMetric``, which the Ops Agent scrapes under the
group's name as job) reaching ``app.databasePoolSize`` on any of them. Each condition aligns the
metric over ``windowSeconds`` and must breach for ``evaluationPeriods`` windows in a row. The policy
ids are the environment's ``rollback_alarm_ids``: what a shift toward that colour watches, and
what pages (high) when it turns bad.
"""

from __future__ import annotations

import pulumi
import pulumi_gcp as gcp

from ..config import COLORS, Color, PlatformConfig
from .alarms import MINUTE, Signal, alert_policy, fraction, group_instances, lb_rule
from .alerting import Alerting
from .compute import POOLED_TIERS, Compute
from .load_balancer import BlueGreenLoadBalancer

# Monitoring compares only above or below; the pool gauge counts connections, so above size - 0.5 is "reached".
WHOLE_CONNECTION = 0.5


class RollbackAlarms(pulumi.ComponentResource):
    policies: dict[Color, list[gcp.monitoring.AlertPolicy]]

    def __init__(
        self,
        name: str,
        cfg: PlatformConfig,
        alerting: Alerting,
        compute: Compute,
        load_balancer: BlueGreenLoadBalancer,
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__("platform:gcp:RollbackAlarms", name, None, opts)
        self._cfg = cfg
        self.policies = {color: [] for color in COLORS}
        for color in COLORS:
            for tier in POOLED_TIERS:
                key = f"{tier}-{color}"
                signals = self._signals(
                    key, compute.groups[key], load_balancer.backend_services[tier][color], load_balancer.url_map
                )
                self.policies[color].append(
                    alert_policy(self, cfg, alerting, f"{key}-rollback", f"{key}: roll back", "high", signals)
                )
        self.register_outputs({})

    @property
    def ids(self) -> dict[str, list[pulumi.Output[str]]]:
        """``{"blue": [policy names], "green": [...]}``: the outputs' ``rollback_alarm_ids``."""
        return {color: [policy.name for policy in policies] for color, policies in self.policies.items()}

    def _signals(
        self,
        key: str,
        group: gcp.compute.RegionInstanceGroupManager,
        backend: gcp.compute.BackendService,
        url_map: gcp.compute.URLMap,
    ) -> list[Signal]:
        cfg = self._cfg
        rollback = cfg.blue_green.rollback
        window = rollback.window_seconds
        minutes = rollback.window_seconds * (rollback.evaluation_periods - 1) // MINUTE
        requests = pulumi.Output.concat(
            lb_rule(url_map),
            ' AND resource.labels.backend_target_name="',
            backend.name,
            '" AND metric.type="loadbalancing.googleapis.com/https/request_count"',
        )
        instances = group_instances(group)
        return [
            Signal(
                f"{key}-p95-latency",
                f"{key}: p95 latency above {rollback.p95_latency_ms} ms",
                "high",
                rollback.p95_latency_ms,
                pulumi.Output.concat(
                    lb_rule(url_map),
                    ' AND resource.labels.backend_target_name="',
                    backend.name,
                    '" AND metric.type="loadbalancing.googleapis.com/https/total_latencies"',
                ),
                minutes,
                aligner="ALIGN_DELTA",
                reducer="REDUCE_PERCENTILE_95",
                period_seconds=window,
            ),
            Signal(
                f"{key}-error-rate",
                f"{key}: 5xx rate above {rollback.error_rate_percent} %",
                "high",
                fraction(rollback.error_rate_percent),
                pulumi.Output.concat(requests, ' AND metric.labels.response_code_class="500"'),
                minutes,
                aligner="ALIGN_RATE",
                reducer="REDUCE_SUM",
                denominator=requests,
                period_seconds=window,
            ),
            Signal(
                f"{key}-cpu",
                f"{key}: CPU above {rollback.cpu_percent} %",
                "high",
                fraction(rollback.cpu_percent),
                pulumi.Output.concat(instances, 'metric.type="compute.googleapis.com/instance/cpu/utilization"'),
                minutes,
                reducer="REDUCE_MEAN",
                period_seconds=window,
            ),
            Signal(
                f"{key}-memory",
                f"{key}: memory above {rollback.memory_percent} %",
                "high",
                rollback.memory_percent,
                pulumi.Output.concat(
                    instances, 'metric.type="agent.googleapis.com/memory/percent_used" AND metric.labels.state="used"'
                ),
                minutes,
                reducer="REDUCE_MEAN",
                period_seconds=window,
            ),
            Signal(
                f"{key}-pool-exhausted",
                f"{key}: database connection pool exhausted ({cfg.app.database_pool_size})",
                "high",
                cfg.app.database_pool_size - WHOLE_CONNECTION,
                pulumi.Output.concat(
                    'resource.type="prometheus_target" AND resource.labels.job="',
                    group.name,
                    f'" AND metric.type="prometheus.googleapis.com/{rollback.pool_in_use_metric}/gauge"',
                ),
                minutes,
                aligner="ALIGN_MAX",
                reducer="REDUCE_MAX",
                period_seconds=window,
            ),
        ]
