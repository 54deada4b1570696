"""Rollback signals per colour: SPEC.md's five triggers for each pool of web and api, at ``blueGreen.rollback``.

For each tier and colour one CloudWatch alarm per trigger, over ``windowSeconds`` x
``evaluationPeriods``: p95 response time of the colour's target group, its 5xx error rate
(responses from its targets plus connections the load balancer could not make to them, over its
requests), CPU and memory of the colour's autoscaling group, and the application's connection
pool gauge (scraped by the CloudWatch agent) reaching ``app.databasePoolSize``. A colour with no
traffic or no instances reports no data, which is not a trigger.

A composite alarm per colour (``platform-<env>-rollback-<colour>``) fires when any of them does
and is what pages the high-severity topic; its children notify no one themselves. A shift watches
the children by name (``rollback_alarm_ids``): ``describe_alarms(AlarmNames=...)`` returns
composite alarms only when asked for them, and the children carry no composite's delay.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pulumi
import pulumi_aws as aws

from ..config import COLORS, Color, PlatformConfig, Severity, Tier
from .alarms import AGENT, ALB, EC2, Expression, Metric, Rule, metric_alarm
from .load_balancer import POOLED_TIERS

if TYPE_CHECKING:
    from .alerting import Alerting
    from .compute import Compute
    from .load_balancer import BlueGreenLoadBalancer
    from .logs import AppLogs

SEVERITY: Severity = "high"  # SPEC.md: high pages on-call


class RollbackAlarms(pulumi.ComponentResource):
    alarms: dict[Color, list[aws.cloudwatch.MetricAlarm]]
    composites: dict[Color, aws.cloudwatch.CompositeAlarm]

    def __init__(
        self,
        name: str,
        cfg: PlatformConfig,
        alerting: Alerting,
        load_balancer: BlueGreenLoadBalancer,
        compute: Compute,
        app_logs: AppLogs,
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__("platform:aws:RollbackAlarms", name, None, opts)
        self._cfg, self._lb, self._compute, self._namespace = cfg, load_balancer, compute, app_logs.metric_namespace
        tags = {**cfg.tags_for("monitoring"), "purpose": "rollback"}
        topic = alerting.topics[SEVERITY].arn
        self.alarms, self.composites = {}, {}
        for color in COLORS:
            rules = [rule for tier in POOLED_TIERS for rule in self._rules(tier, color)]
            children = self.alarms[color] = [metric_alarm(self, cfg, rule, [], tags) for rule in rules]
            self.composites[color] = aws.cloudwatch.CompositeAlarm(
                color,
                alarm_name=cfg.name("rollback", color),
                alarm_description=f"{color}: a rollback trigger fired ({SEVERITY}); {cfg.name()}",
                alarm_rule=pulumi.Output.all(*[alarm.name for alarm in children]).apply(
                    lambda names: " OR ".join(f'ALARM("{name}")' for name in names)
                ),
                alarm_actions=[topic],
                ok_actions=[topic],
                tags={**tags, "severity": SEVERITY, "color": color},
                opts=pulumi.ResourceOptions(parent=self),
            )
        self.register_outputs({})

    def _rules(self, tier: Tier, color: Color) -> list[Rule]:
        """The five triggers of one tier's pool of one colour."""
        cfg, rollback = self._cfg, self._cfg.blue_green.rollback
        window, periods = rollback.window_seconds, rollback.evaluation_periods
        pool = f"{tier}-{color}"
        target_group = {
            "LoadBalancer": self._lb.lb.arn_suffix,
            "TargetGroup": self._lb.target_groups[tier][color].arn_suffix,
        }
        group = {"AutoScalingGroupName": self._compute.groups[pool].name}

        def rule(
            signal: str,
            description: str,
            threshold: float,
            source: Metric | Expression,
            comparison: str = "GreaterThanThreshold",
        ) -> Rule:
            name, text = f"rollback-{pool}-{signal}", f"{pool} rollback: {description}"
            return Rule(name, text, SEVERITY, threshold, source, periods, comparison)

        return [
            rule(
                "latency-p95",
                f"p95 response time above {rollback.p95_latency_ms} ms",
                rollback.p95_latency_ms / 1000,
                Metric(ALB, "TargetResponseTime", target_group, "p95", window),
            ),
            rule(
                "error-rate",
                f"5xx error rate above {rollback.error_rate_percent} %",
                rollback.error_rate_percent,
                Expression(
                    "100 * (FILL(target5xx, 0) + FILL(refused, 0)) / requests",
                    f"{pool} 5xx error rate %",
                    {
                        "target5xx": Metric(ALB, "HTTPCode_Target_5XX_Count", target_group, "Sum", window),
                        "refused": Metric(ALB, "TargetConnectionErrorCount", target_group, "Sum", window),
                        "requests": Metric(ALB, "RequestCount", target_group, "Sum", window),
                    },
                ),
            ),
            rule(
                "cpu",
                f"CPU above {rollback.cpu_percent} %",
                rollback.cpu_percent,
                Metric(EC2, "CPUUtilization", group, "Average", window),
            ),
            rule(
                "memory",
                f"memory above {rollback.memory_percent} %",
                rollback.memory_percent,
                Metric(AGENT, "mem_used_percent", group, "Average", window),
            ),
            rule(
                "pool-exhausted",
                f"{rollback.pool_in_use_metric} at the pool size ({cfg.app.database_pool_size})",
                cfg.app.database_pool_size,
                Metric(self._namespace, rollback.pool_in_use_metric, group, "Maximum", window),
                comparison="GreaterThanOrEqualToThreshold",
            ),
        ]
