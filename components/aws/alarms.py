"""CloudWatch alarms for every signal of SPEC.md's alarm table, routed by severity, and one dashboard.

The alarms are a declarative table (``Rule``: what to measure, threshold, window, severity)
built from ``cfg.alarms``; one function (``metric_alarm``, which the rollback alarms share)
turns each row into a MetricAlarm notifying its severity's topic on ALARM and OK. Warning
levels go to ``medium`` (operations), critical levels to ``critical`` (paging). Signals
CloudWatch cannot alarm on directly use events: database down (RDS event subscription),
database storage under storage autoscaling and failed backup jobs (EventBridge).

The replica lives in the DR region, and CloudWatch alarms notify only topics of their own
region, so its lag alarm's state changes travel over EventBridge to this region's topic.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pulumi
import pulumi_aws as aws

from ..config import TIERS, PlatformConfig, Severity, Threshold
from .iam import assume_role_policy, policy_document

if TYPE_CHECKING:
    from .alerting import Alerting
    from .cache import Cache
    from .compute import Compute
    from .database import Database
    from .database_replica import DatabaseReplica
    from .load_balancer import BlueGreenLoadBalancer
    from .logs import AppLogs
    from .queue import WorkQueue

MINUTE, HOUR = 60, 3600  # seconds; CloudWatch's standard resolution is one minute
LEVEL_SEVERITY: dict[str, Severity] = {"warning": "medium", "critical": "critical"}
SEVERITY_LEVEL = {severity: level for level, severity in LEVEL_SEVERITY.items()}
SLOW_QUERIES_METRIC = "SlowQueries"
RDS_DOWN_CATEGORIES = ["availability", "failure", "failover"]
# Database storage under storage autoscaling (maxAllocatedStorageGb): the volume grows, so free-space thresholds
# fixed in bytes drift further from any percentage with every step. RDS reports against the current allocation
# and the autoscaling ceiling itself, so its events stay right as the volume grows. Storage that cannot grow
# (RDS-EVENT-0223, 0224, 0254) is a "failure" event and pages through the database-down subscription.
DATABASE_STORAGE_EVENTS: dict[Severity, list[str]] = {
    "critical": ["RDS-EVENT-0007"],  # allocated storage exhausted
    "medium": [
        "RDS-EVENT-0089",  # more than 90 % of the current volume used (autoscaling grows it next)
        "RDS-EVENT-0225",  # the volume has reached 80 % of the autoscaling ceiling: raise maxAllocatedStorageGb
    ],
}
# PARTIAL: the job finished but some of its items (say, objects of the bucket) were not backed up.
BACKUP_FAILED_STATES = ["FAILED", "ABORTED", "EXPIRED", "PARTIAL"]
ALB, EC2, RDS, CACHE, AGENT, SQS = "AWS/ApplicationELB", "AWS/EC2", "AWS/RDS", "AWS/ElastiCache", "CWAgent", "AWS/SQS"


@dataclass(frozen=True)
class Metric:
    namespace: str
    name: str
    dimensions: Mapping[str, pulumi.Input[str]]
    stat: str = "Average"  # or a percentile such as "p95"
    period: int = MINUTE


@dataclass(frozen=True)
class Expression:
    """Metric math: ``formula`` over ``metrics`` (keyed by the ids the formula uses)."""

    formula: str
    label: str
    metrics: Mapping[str, Metric]


@dataclass(frozen=True)
class Rule:
    """One alarm: ``source`` past ``threshold`` for ``periods`` consecutive periods."""

    name: str
    description: str
    severity: Severity
    threshold: float
    source: Metric | Expression
    periods: int = 1
    comparison: str = "GreaterThanThreshold"
    missing: str = "notBreaching"  # no data means no traffic or no instances, not a failure


def levels(
    name: str,
    description: str,
    threshold: Threshold,
    source: Metric | Expression,
    periods: int,
    convert: Callable[[float], float] = float,
) -> list[Rule]:
    """A warning (medium) and a critical (critical) rule for one signal, skipping a level set to null."""
    return [
        Rule(f"{name}-{level}", f"{description}: {level}", LEVEL_SEVERITY[level], convert(value), source, periods)
        for level, value in (("warning", threshold.warning), ("critical", threshold.critical))
        if value is not None
    ]


class Alarms(pulumi.ComponentResource):
    alarms: dict[str, aws.cloudwatch.MetricAlarm]
    dashboard: aws.cloudwatch.Dashboard
    event_rules: dict[str, aws.cloudwatch.EventRule]
    database_events: aws.rds.EventSubscription

    def __init__(
        self,
        name: str,
        cfg: PlatformConfig,
        alerting: Alerting,
        load_balancer: BlueGreenLoadBalancer,
        compute: Compute,
        database: Database,
        cache: Cache,
        queue: WorkQueue,
        app_logs: AppLogs,
        replica: DatabaseReplica | None,
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__("platform:aws:Alarms", name, None, opts)
        self._cfg, self._topics = cfg, alerting.topics
        self._tags = cfg.tags_for("monitoring")
        invoke = pulumi.InvokeOutputOptions(parent=self)
        self._region = aws.get_region_output(opts=invoke).region
        self._account_id = aws.get_caller_identity_output(opts=invoke).account_id
        self._partition = aws.get_partition_output(opts=invoke).partition
        self._metrics = app_logs.metric_namespace
        child = pulumi.ResourceOptions(parent=self)

        aws.cloudwatch.LogMetricFilter(
            "slow-queries",
            name=cfg.name("slow-queries"),
            log_group_name=database.log_group.name,
            # log_min_duration_statement logs only statements slower than cfg.database.slow_query_ms.
            pattern='"duration:"',
            metric_transformation={
                "name": SLOW_QUERIES_METRIC,
                "namespace": self._metrics,
                "value": "1",
                "unit": "Count",
            },
            opts=child,
        )
        rules = [
            *self._compute_rules(compute),
            *self._load_balancer_rules(load_balancer),
            *self._database_rules(database),
            *self._cache_rules(cache),
            *self._application_rules(app_logs),
        ]
        self.alarms = {rule.name: self._alarm(rule) for rule in rules}
        in_region = list(self.alarms.values())
        self.event_rules = {}
        self.database_events = aws.rds.EventSubscription(
            "database-down",
            name=cfg.name("database-down"),
            sns_topic=self._topics["critical"].arn,
            source_type="db-instance",
            source_ids=[database.instance.identifier],
            event_categories=RDS_DOWN_CATEGORIES,
            tags={**self._tags, "severity": "critical"},
            opts=child,
        )
        for severity, event_ids in DATABASE_STORAGE_EVENTS.items():
            self._notify(
                f"database-storage-{SEVERITY_LEVEL[severity]}",
                {
                    "source": ["aws.rds"],
                    "detail-type": ["RDS DB Instance Event"],
                    "resources": [database.instance.arn],
                    "detail": {"EventID": event_ids},
                },
                severity,
            )
        if cfg.backup.enabled:
            self._notify(
                "backup-failed",
                {
                    "source": ["aws.backup"],
                    "detail-type": ["Backup Job State Change"],
                    "detail": {"state": BACKUP_FAILED_STATES},
                },
                "critical",
            )
        if replica is not None:
            self._replica_lag(replica)
        self.dashboard = self._dashboard(in_region, load_balancer, compute, database, cache, queue, app_logs, replica)
        self.register_outputs({"alarm_count": len(self.alarms)})

    # --- the table -----------------------------------------------------------------------------

    def _compute_rules(self, compute: Compute) -> list[Rule]:
        """Per autoscaling group (each tier and colour): CPU, memory and disk, and failed status checks."""
        a, rules = self._cfg.alarms, []
        for group, asg in compute.groups.items():
            dims = {"AutoScalingGroupName": asg.name}
            for signal, threshold, metric in (
                ("cpu", a.cpu_percent, Metric(EC2, "CPUUtilization", dims)),
                ("memory", a.memory_percent, Metric(AGENT, "mem_used_percent", dims)),
                ("disk", a.disk_percent, Metric(AGENT, "disk_used_percent", dims, "Maximum")),
            ):
                rules += levels(f"{group}-{signal}", f"{group} {signal} %", threshold, metric, a.sustained_minutes)
            rules.append(
                Rule(
                    f"{group}-instance-down",
                    f"{group}: an instance fails its status checks",
                    "critical",
                    0,
                    Metric(EC2, "StatusCheckFailed", dims, "Maximum"),
                    a.down_minutes,
                )
            )
        return rules

    def _load_balancer_rules(self, load_balancer: BlueGreenLoadBalancer) -> list[Rule]:
        """p95 latency, 5xx error rate (and its paging level), unhealthy targets and API usage."""
        a = self._cfg.alarms
        lb = {"LoadBalancer": load_balancer.lb.arn_suffix}
        rules = [
            *levels(
                "latency-p95",
                "p95 response time (s)",
                a.latency_ms,
                Metric(ALB, "TargetResponseTime", lb, "p95"),
                a.sustained_minutes,
                convert=lambda ms: ms / 1000,
            ),
            *levels(
                "error-rate", "5xx error rate %", a.error_rate_percent, _error_rate(lb, a.error_rate_window_minutes), 1
            ),
            Rule(
                "error-rate-paging",
                "5xx error rate %: paging",
                "critical",
                a.paging_error_rate_percent,
                _error_rate(lb, a.paging_error_rate_window_minutes),
            ),
        ]
        for tier, pools in load_balancer.target_groups.items():
            for color, group in pools.items():
                rules.append(
                    Rule(
                        f"{tier}-{color}-unhealthy",
                        f"{tier}-{color}: a target is unhealthy",
                        "critical",
                        0,
                        Metric(ALB, "UnHealthyHostCount", {**lb, "TargetGroup": group.arn_suffix}, "Maximum"),
                        a.down_minutes,
                        missing="breaching",
                    )
                )
        api = load_balancer.target_groups["api"]
        requests = Expression(
            " + ".join(f"FILL({color}, 0)" for color in api),
            "API requests per minute",
            {
                color: Metric(ALB, "RequestCount", {**lb, "TargetGroup": group.arn_suffix}, "Sum")
                for color, group in api.items()
            },
        )
        rules.append(Rule("api-usage", "API requests per minute", "low", a.api_requests_per_minute, requests))
        return rules

    def _database_rules(self, database: Database) -> list[Rule]:
        """Connections and CPU (storage is watched through RDS's own events: ``DATABASE_STORAGE_EVENTS``)."""
        a = self._cfg.alarms
        db = {"DBInstanceIdentifier": database.instance.identifier}
        return [
            Rule(
                "database-connections",
                "PostgreSQL connections",
                "medium",
                a.database_connections,
                Metric(RDS, "DatabaseConnections", db),
                a.database_connections_window_minutes,
            ),
            *levels(
                "database-cpu",
                "PostgreSQL CPU %",
                a.cpu_percent,
                Metric(RDS, "CPUUtilization", db),
                a.sustained_minutes,
            ),
        ]

    def _cache_rules(self, cache: Cache) -> list[Rule]:
        """Memory and engine CPU of every Redis node (ElastiCache publishes them per member cluster)."""
        a, rules = self._cfg.alarms, []
        for number, node_id in enumerate(_cache_nodes(self._cfg, cache), start=1):
            node, dims = f"cache-{number:03d}", {"CacheClusterId": node_id}
            for signal, threshold, metric in (
                ("memory", a.memory_percent, "DatabaseMemoryUsagePercentage"),
                ("cpu", a.cpu_percent, "EngineCPUUtilization"),
            ):
                rules += levels(
                    f"{node}-{signal}",
                    f"Redis {node} {signal} %",
                    threshold,
                    Metric(CACHE, metric, dims),
                    a.sustained_minutes,
                )
        return rules

    def _application_rules(self, app_logs: AppLogs) -> list[Rule]:
        """From log metrics: slow queries (any) and failed logins per hour."""
        a = self._cfg.alarms
        return [
            Rule(
                "slow-queries",
                f"PostgreSQL statements slower than {self._cfg.database.slow_query_ms} ms",
                "low",
                0,
                Metric(self._metrics, SLOW_QUERIES_METRIC, {}, "Sum"),
            ),
            Rule(
                "failed-logins",
                "failed logins per hour",
                "high",
                a.failed_logins_per_hour,
                Metric(self._metrics, app_logs.failed_logins_metric, {}, "Sum", HOUR),
            ),
        ]

    # --- resources -----------------------------------------------------------------------------

    def _alarm(self, rule: Rule, region: str | None = None) -> aws.cloudwatch.MetricAlarm:
        """The alarm for one rule. In another region (``region``) it cannot reach the topics: see ``_replica_lag``."""
        actions = [] if region else [self._topics[rule.severity].arn]
        return metric_alarm(self, self._cfg, rule, actions, self._tags, region)

    def _notify(self, name: str, pattern: dict[str, Any], severity: Severity) -> None:
        """An EventBridge rule in this region sending matching events to a severity's topic."""
        child = pulumi.ResourceOptions(parent=self)
        rule = aws.cloudwatch.EventRule(
            name,
            name=self._cfg.name(name),
            event_pattern=pulumi.Output.json_dumps(pattern),
            tags={**self._tags, "severity": severity},
            opts=child,
        )
        aws.cloudwatch.EventTarget(name, rule=rule.name, arn=self._topics[severity].arn, opts=child)
        self.event_rules[name] = rule

    def _replica_lag(self, replica: DatabaseReplica) -> None:
        """The lag alarm beside the replica; its state changes go to this region's bus, then to the critical topic."""
        cfg, child = self._cfg, pulumi.ResourceOptions(parent=self)
        dr_region = cfg.aws.dr_region
        rule = Rule(
            "replica-lag",
            "DR replica lag (s)",
            "critical",
            cfg.alarms.replica_lag_seconds,
            Metric(RDS, "ReplicaLag", {"DBInstanceIdentifier": replica.instance.identifier}, "Maximum"),
        )
        alarm = self.alarms[rule.name] = self._alarm(rule, region=dr_region)
        state_changes = {
            "source": ["aws.cloudwatch"],
            "detail-type": ["CloudWatch Alarm State Change"],
            "resources": [alarm.arn],
        }
        bus = pulumi.Output.concat(
            "arn:", self._partition, ":events:", self._region, ":", self._account_id, ":event-bus/default"
        )
        role = aws.iam.Role(
            "replica-lag-forward",
            assume_role_policy=assume_role_policy("events.amazonaws.com"),
            tags=self._tags,
            opts=child,
        )
        aws.iam.RolePolicy(
            "replica-lag-forward",
            role=role.id,
            policy=policy_document({"Effect": "Allow", "Action": "events:PutEvents", "Resource": bus}),
            opts=child,
        )
        forward = aws.cloudwatch.EventRule(
            "replica-lag-forward",
            name=cfg.name("replica-lag-forward"),
            region=dr_region,
            event_pattern=pulumi.Output.json_dumps(state_changes),
            tags={**self._tags, "severity": rule.severity},
            opts=child,
        )
        aws.cloudwatch.EventTarget(
            "replica-lag-forward", rule=forward.name, region=dr_region, arn=bus, role_arn=role.arn, opts=child
        )
        self.event_rules["replica-lag-forward"] = forward
        self._notify("replica-lag", state_changes, rule.severity)

    def _dashboard(
        self,
        alarms: list[aws.cloudwatch.MetricAlarm],
        load_balancer: BlueGreenLoadBalancer,
        compute: Compute,
        database: Database,
        cache: Cache,
        queue: WorkQueue,
        app_logs: AppLogs,
        replica: DatabaseReplica | None,
    ) -> aws.cloudwatch.Dashboard:
        """Key metrics per tier and data store, and the state of every alarm in this region (the low-severity view)."""
        cfg = self._cfg
        lb = ["LoadBalancer", load_balancer.lb.arn_suffix]
        db = ["DBInstanceIdentifier", database.instance.identifier]
        queue_name = ["QueueName", queue.queue.name]
        widgets = [
            {
                "type": "alarm",
                "width": 24,
                "height": 6,
                "properties": {
                    "title": "Alarms",
                    "sortBy": "stateUpdatedTimestamp",
                    "alarms": [alarm.arn for alarm in alarms],
                },
            }
        ]
        for tier in TIERS:
            groups = [asg.name for key, asg in compute.groups.items() if key.split("-")[0] == tier]
            widgets += [
                self._graph(f"{tier}: CPU %", [[EC2, "CPUUtilization", "AutoScalingGroupName", g] for g in groups]),
                self._graph(
                    f"{tier}: memory and disk %",
                    [
                        [AGENT, metric, "AutoScalingGroupName", g]
                        for g in groups
                        for metric in ("mem_used_percent", "disk_used_percent")
                    ],
                ),
            ]
        widgets += [
            self._graph(
                "Requests and 5xx",
                [
                    [ALB, metric, *lb]
                    for metric in ("RequestCount", "HTTPCode_Target_5XX_Count", "HTTPCode_ELB_5XX_Count")
                ],
                "Sum",
            ),
            self._graph("p95 response time (s)", [[ALB, "TargetResponseTime", *lb]], "p95"),
            self._graph(
                "Healthy targets",
                [
                    [ALB, "HealthyHostCount", *lb, "TargetGroup", group.arn_suffix]
                    for pools in load_balancer.target_groups.values()
                    for group in pools.values()
                ],
                "Minimum",
            ),
            self._graph("PostgreSQL", [[RDS, m, *db] for m in ("CPUUtilization", "DatabaseConnections")]),
            self._graph("PostgreSQL free storage (bytes)", [[RDS, "FreeStorageSpace", *db]], "Minimum"),
            self._graph(
                "Redis memory and engine CPU %",
                [
                    [CACHE, metric, "CacheClusterId", node]
                    for node in _cache_nodes(cfg, cache)
                    for metric in ("DatabaseMemoryUsagePercentage", "EngineCPUUtilization")
                ],
            ),
            self._graph(
                "Work queue",
                [
                    [SQS, m, *queue_name]
                    for m in ("ApproximateNumberOfMessagesVisible", "ApproximateAgeOfOldestMessage")
                ],
                "Maximum",
            ),
            self._graph(
                "Application events",
                [
                    [self._metrics, metric]
                    for metric in (app_logs.api_requests_metric, app_logs.failed_logins_metric, SLOW_QUERIES_METRIC)
                ],
                "Sum",
            ),
        ]
        if replica is not None:
            widgets.append(
                self._graph(
                    "DR replica lag (s)",
                    [[RDS, "ReplicaLag", "DBInstanceIdentifier", replica.instance.identifier]],
                    "Maximum",
                    region=cfg.aws.dr_region,
                )
            )
        return aws.cloudwatch.Dashboard(
            "dashboard",
            dashboard_name=cfg.name(),
            dashboard_body=pulumi.Output.json_dumps({"widgets": widgets}),
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _graph(
        self, title: str, metrics: list[list[Any]], stat: str = "Average", region: pulumi.Input[str] | None = None
    ) -> dict[str, Any]:
        return {
            "type": "metric",
            "width": 12,
            "height": 6,
            "properties": {
                "title": title,
                "view": "timeSeries",
                "stat": stat,
                "period": MINUTE,
                "region": region or self._region,
                "metrics": metrics,
            },
        }


def metric_alarm(
    parent: pulumi.Resource,
    cfg: PlatformConfig,
    rule: Rule,
    actions: Sequence[pulumi.Input[str]],
    tags: Mapping[str, str],
    region: str | None = None,
) -> aws.cloudwatch.MetricAlarm:
    """The CloudWatch alarm of one rule, named ``platform-<env>-<rule>``, notifying ``actions`` on ALARM and OK."""
    return aws.cloudwatch.MetricAlarm(
        rule.name,
        name=cfg.name(rule.name),
        alarm_description=f"{rule.description} ({rule.severity}); {cfg.name()}",
        comparison_operator=rule.comparison,
        threshold=rule.threshold,
        evaluation_periods=rule.periods,
        datapoints_to_alarm=rule.periods,
        treat_missing_data=rule.missing,
        alarm_actions=actions,
        ok_actions=actions,
        region=region,
        tags={**tags, "severity": rule.severity},
        opts=pulumi.ResourceOptions(parent=parent),
        **_metric_arguments(rule.source),
    )


def _cache_nodes(cfg: PlatformConfig, cache: Cache) -> list[pulumi.Output[str]]:
    """The member cluster ids of the Redis replication group: ``<group>-001`` for the primary, then one per replica."""
    group_id = cache.replication_group.replication_group_id
    return [pulumi.Output.concat(group_id, f"-{n:03d}") for n in range(1, cfg.cache.replicas + 2)]


def _error_rate(lb: Mapping[str, pulumi.Input[str]], minutes: int) -> Expression:
    """5xx responses (from targets and from the load balancer itself) as a percentage of requests over ``minutes``."""
    period = minutes * MINUTE
    return Expression(
        "100 * (FILL(target5xx, 0) + FILL(elb5xx, 0)) / requests",
        f"5xx error rate % over {minutes} min",
        {
            "target5xx": Metric(ALB, "HTTPCode_Target_5XX_Count", lb, "Sum", period),
            "elb5xx": Metric(ALB, "HTTPCode_ELB_5XX_Count", lb, "Sum", period),
            "requests": Metric(ALB, "RequestCount", lb, "Sum", period),
        },
    )


def _metric_arguments(source: Metric | Expression) -> dict[str, Any]:
    """MetricAlarm arguments for one metric (percentiles as extended statistics) or for metric math."""
    if isinstance(source, Metric):
        stat = {"extended_statistic" if source.stat.startswith("p") else "statistic": source.stat}
        return {
            "namespace": source.namespace,
            "metric_name": source.name,
            "dimensions": dict(source.dimensions) or None,
            "period": source.period,
            **stat,
        }
    queries = [
        {
            "id": query_id,
            "return_data": False,
            "metric": {
                "namespace": m.namespace,
                "metric_name": m.name,
                "dimensions": dict(m.dimensions),
                "stat": m.stat,
                "period": m.period,
            },
        }
        for query_id, m in source.metrics.items()
    ]
    return {
        "metric_queries": [
            *queries,
            {"id": "result", "expression": source.formula, "label": source.label, "return_data": True},
        ]
    }
