"""Azure Monitor alerts for every signal of SPEC.md's alarm table, each routed to its severity's action group.

Like ``components/aws/alarms.py`` the alerts are a declarative table (``Rule``: what to measure, threshold,
window, severity) built from ``alarms``. Warning levels go to ``medium`` (operations), critical levels and the
10 %-for-2-minutes error rate to ``critical`` (paging), failed logins to ``high``, API usage and slow queries to
``low``. Platform metrics become metric alerts on the resource itself:

- per VM scale set: ``Percentage CPU``, ``Available Memory Percentage`` (SPEC's used-memory thresholds as the
  free share left) and ``VmAvailabilityMetric`` (an instance down). Disk usage has no host metric (the host
  sees disk throughput, not the file system): the Azure Monitor agent's ``% Used Space`` counter
  (telemetry.py) lands in the app workspace's ``Perf`` table, and a log alert takes the fullest file system;
- Front Door: average ``TotalLatency`` (metric alerts take no percentiles, so SPEC's latency thresholds apply
  to the mean) and ``OriginHealthPercentage`` below 100 (an origin failing its probes);
- PostgreSQL: ``is_db_alive`` (down), ``active_connections``, CPU, memory and storage percent, and in prod the
  DR replica's ``physical_replication_delay_in_seconds``. Metric alerts are global, so the replica's alert in
  the DR region notifies the same action groups without the relay AWS needs;
- Redis: processor time, used memory and server load.

Ratios and log events become log alerts on the app workspace, over the resource logs the diagnostic settings
send there (``AzureDiagnostics``): Front Door's 5xx rate, API requests per minute and 401s on the API (the
failed logins the edge sees), and PostgreSQL statements over ``database.slowQueryMs``. Each query returns one
row per event; Azure counts or averages them per window. The blue-green rollback signals per colour are
rollback.py's, built and routed here. Failed backup jobs raise the Backup vault's built-in
Azure Monitor alerts; an alert processing rule sends every alert of the vault to the critical action group.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import pulumi
from pulumi_azure_native import alertsmanagement, compute, dataprotection, monitor, redis
from pulumi_azure_native import dbforpostgresql as postgresql

from ..config import Color, PlatformConfig, Severity, Threshold
from ..config.azure import LOG_WINDOWS_MINUTES
from .frontdoor import API_PATHS, FrontDoor
from .monitoring import Monitoring

LEVEL_SEVERITY: dict[str, Severity] = {"warning": "medium", "critical": "critical"}
AZURE_SEVERITY: dict[Severity, int] = {"critical": 0, "high": 1, "medium": 2, "low": 3}  # Sev0 .. Sev3
VMSS, EDGE = "Microsoft.Compute/virtualMachineScaleSets", "Microsoft.Cdn/profiles"
POSTGRES, REDIS = "Microsoft.DBforPostgreSQL/flexibleServers", "Microsoft.Cache/redis"
MAX_LOG_FREQUENCY_MINUTES = 5  # log alerts run at least this often (1-minute windows run every minute)
MINUTE, HOUR = 1, 60  # minutes: the finest window, and the span of SPEC's per-hour counts
# Front Door's access log, with the request path, status and time taken (ms) as typed columns.
ACCESS_LOG = (
    'AzureDiagnostics | where Category == "FrontDoorAccessLog" and _ResourceId =~ "{0}" '
    "| extend path = tostring(parse_url(requestUri_s).Path), status = toint(httpStatusCode_s), "
    "latency_ms = todouble(timeTaken_s) * 1000"
)
UNAUTHORIZED = 401
DISK_USED = 'Perf | where ObjectName == "Logical Disk" and CounterName == "% Used Space" and InstanceName != "_Total"'


@dataclass(frozen=True)
class Metric:
    """A platform metric of ``scope``, aggregated over ``minutes`` (one of Azure's metric windows: config checks)."""

    scope: pulumi.Input[str]
    namespace: str
    name: str
    minutes: int
    aggregation: str = "Average"


@dataclass(frozen=True)
class Query:
    """Rows of the app workspace: counted, or ``measure`` aggregated, per window of ``minutes``."""

    text: pulumi.Input[str]
    minutes: int
    aggregation: str = "Count"
    measure: str | None = None
    periods: int = 1  # consecutive windows that must breach (config checks Azure's limits)


@dataclass(frozen=True)
class Rule:
    """One alert: ``source`` past ``threshold`` (below it when ``below``)."""

    name: str
    description: str
    severity: Severity
    threshold: float
    source: Metric | Query
    below: bool = False


def server_errors(access_log: pulumi.Input[str]) -> pulumi.Output[str]:
    """Each request counts 100 when it failed with a 5xx, so a window's average is the error rate in percent."""
    return pulumi.Output.concat(access_log, " | extend server_error = iff(status >= 500, 100.0, 0.0)")


def levels(
    name: str,
    description: str,
    threshold: Threshold,
    source: Metric | Query,
    convert: Callable[[float], float] = float,
    below: bool = False,
) -> list[Rule]:
    """A warning (medium) and a critical (critical) rule for one signal, skipping a level set to null."""
    return [
        Rule(f"{name}-{level}", f"{description}: {level}", LEVEL_SEVERITY[level], convert(value), source, below)
        for level, value in (("warning", threshold.warning), ("critical", threshold.critical))
        if value is not None
    ]


def free_percent(used: float) -> float:
    """SPEC's used-memory threshold as the free share Azure reports."""
    return 100 - used


def iso_minutes(minutes: int) -> str:
    return f"PT{minutes // HOUR}H" if minutes % HOUR == 0 else f"PT{minutes}M"


def log_window(source: Query) -> tuple[int, int]:
    """The window (minutes) and how many consecutive windows must breach: a window Azure has no granularity for
    (config allows those up to ``MAX_EVALUATION_PERIODS`` minutes) as that many 1-minute windows."""
    if source.minutes in LOG_WINDOWS_MINUTES:
        return source.minutes, source.periods
    return MINUTE, source.minutes


class Alarms(pulumi.ComponentResource):
    metric_alerts: dict[str, monitor.MetricAlert]
    log_alerts: dict[str, monitor.ScheduledQueryRule]
    backup_routing: alertsmanagement.AlertProcessingRuleByName | None
    rollback_ids: dict[Color, list[pulumi.Output[str]]]

    def __init__(
        self,
        name: str,
        cfg: PlatformConfig,
        resource_group: pulumi.Input[str],
        location: str,
        monitoring: Monitoring,
        scale_sets: Mapping[str, compute.VirtualMachineScaleSet],
        front_door: FrontDoor,
        database: postgresql.Server,
        cache: redis.Redis,
        replica: postgresql.Server | None,
        backup_vault: dataprotection.BackupVault | None,
        rollback: Mapping[Color, list[Rule]],
        extra: Sequence[Rule] = (),
        opts: pulumi.ResourceOptions | None = None,
    ):
        """``rollback``: per colour, the blue-green rollback rules (rollback.py); ``extra``: rules other components
        define (the credential rotation's); all built and routed like the rest."""
        super().__init__("platform:azure:Alarms", name, None, opts)
        self._name, self._cfg, self._rg, self._location = name, cfg, resource_group, location
        self._groups = monitoring.action_groups
        self._workspace = monitoring.workspaces["app"]
        self._tags = cfg.tags_for("monitoring")
        rules = [
            *self._scale_set_rules(scale_sets),
            *levels(
                "disk",
                "instance file system used %",
                cfg.alarms.disk_percent,
                Query(DISK_USED, cfg.alarms.sustained_minutes, "Maximum", "CounterValue"),
            ),
            *self._edge_rules(front_door),
            *self._database_rules(database, replica),
            *self._cache_rules(cache),
            *(rule for rules in rollback.values() for rule in rules),
            *extra,
        ]
        self.metric_alerts = {r.name: self._metric_alert(r, r.source) for r in rules if isinstance(r.source, Metric)}
        self.log_alerts = {r.name: self._log_alert(r, r.source) for r in rules if isinstance(r.source, Query)}
        self.backup_routing = self._backup_routing(backup_vault) if backup_vault is not None else None
        alerts = {**self.metric_alerts, **self.log_alerts}
        self.rollback_ids = {color: [alerts[r.name].id for r in rules] for color, rules in rollback.items()}
        self.register_outputs({"alert_count": len(rules)})

    # --- the table -----------------------------------------------------------------------------

    def _scale_set_rules(self, scale_sets: Mapping[str, compute.VirtualMachineScaleSet]) -> list[Rule]:
        """Per scale set (each tier and colour): CPU and memory, and an instance down."""
        a, rules = self._cfg.alarms, []
        for key, vmss in scale_sets.items():
            cpu = Metric(vmss.id, VMSS, "Percentage CPU", a.sustained_minutes)
            memory = Metric(vmss.id, VMSS, "Available Memory Percentage", a.sustained_minutes)
            rules += [
                *levels(f"{key}-cpu", f"{key} CPU %", a.cpu_percent, cpu),
                *levels(f"{key}-memory", f"{key} free memory %", a.memory_percent, memory, free_percent, below=True),
                Rule(
                    f"{key}-instance-down",
                    f"{key}: an instance is unavailable",
                    "critical",
                    1,
                    Metric(vmss.id, VMSS, "VmAvailabilityMetric", a.down_minutes, "Minimum"),
                    below=True,
                ),
            ]
        return rules

    def _edge_rules(self, front_door: FrontDoor) -> list[Rule]:
        """Latency, unhealthy origins, the 5xx rate (and its paging level), API usage and failed logins."""
        a, profile = self._cfg.alarms, front_door.profile
        access_log = pulumi.Output.format(ACCESS_LOG, profile.id)
        api = " or ".join(f'path startswith "{path.rstrip("*")}"' for path in API_PATHS)
        api_requests = pulumi.Output.concat(access_log, f" | where {api}")
        errors = server_errors(access_log)

        def error_rate(minutes: int) -> Query:
            return Query(errors, minutes, "Average", "server_error")

        return [
            *levels(
                "latency",
                "Front Door total latency (ms)",
                a.latency_ms,
                Metric(profile.id, EDGE, "TotalLatency", a.sustained_minutes),
            ),
            Rule(
                "origin-unhealthy",
                "Front Door: an origin fails its health probes",
                "critical",
                100,
                Metric(profile.id, EDGE, "OriginHealthPercentage", a.down_minutes, "Minimum"),
                below=True,
            ),
            *levels(
                "error-rate",
                "5xx error rate %",
                a.error_rate_percent,
                error_rate(a.error_rate_window_minutes),
            ),
            Rule(
                "error-rate-paging",
                "5xx error rate %: paging",
                "critical",
                a.paging_error_rate_percent,
                error_rate(a.paging_error_rate_window_minutes),
            ),
            Rule(
                "api-usage",
                "API requests per minute",
                "low",
                a.api_requests_per_minute,
                Query(api_requests, MINUTE),
            ),
            Rule(
                "failed-logins",
                "failed logins (401 on the API) per hour",
                "high",
                a.failed_logins_per_hour,
                Query(pulumi.Output.concat(api_requests, f" | where status == {UNAUTHORIZED}"), HOUR),
            ),
        ]

    def _database_rules(self, database: postgresql.Server, replica: postgresql.Server | None) -> list[Rule]:
        """Down, connections, CPU, memory, storage and slow queries; the DR replica's lag when there is one."""
        a, cfg = self._cfg.alarms, self._cfg

        def sustained(name: str) -> Metric:
            return Metric(database.id, POSTGRES, name, a.sustained_minutes)

        slow = pulumi.Output.format(
            'AzureDiagnostics | where Category == "PostgreSQLLogs" and _ResourceId =~ "{0}" '
            '| where Message contains "duration: "',
            database.id,
        )
        rules = [
            Rule(
                "database-down",
                "PostgreSQL down",
                "critical",
                1,
                Metric(database.id, POSTGRES, "is_db_alive", a.down_minutes, "Minimum"),
                below=True,
            ),
            Rule(
                "database-connections",
                "PostgreSQL connections",
                "medium",
                a.database_connections,
                Metric(database.id, POSTGRES, "active_connections", a.database_connections_window_minutes),
            ),
            *levels("database-cpu", "PostgreSQL CPU %", a.cpu_percent, sustained("cpu_percent")),
            *levels("database-memory", "PostgreSQL memory %", a.memory_percent, sustained("memory_percent")),
            *levels("database-storage", "PostgreSQL storage %", a.disk_percent, sustained("storage_percent")),
            Rule(
                "slow-queries",
                f"PostgreSQL statements slower than {cfg.database.slow_query_ms} ms",
                "low",
                0,
                Query(slow, a.sustained_minutes),
            ),
        ]
        if replica is not None:
            rules.append(
                Rule(
                    "replica-lag",
                    "DR replica lag (s)",
                    "critical",
                    a.replica_lag_seconds,
                    Metric(replica.id, POSTGRES, "physical_replication_delay_in_seconds", MINUTE, "Maximum"),
                )
            )
        return rules

    def _cache_rules(self, cache: redis.Redis) -> list[Rule]:
        """Processor time, used memory and server load of the busiest Redis shard."""
        a = self._cfg.alarms
        signals = (
            ("cpu", a.cpu_percent, "percentProcessorTime"),
            ("memory", a.memory_percent, "usedmemorypercentage"),
            ("server-load", a.cpu_percent, "serverLoad"),
        )
        return [
            rule
            for signal, threshold, metric in signals
            for rule in levels(
                f"cache-{signal}",
                f"Redis {signal} %",
                threshold,
                Metric(cache.id, REDIS, metric, a.sustained_minutes, "Maximum"),
            )
        ]

    # --- resources -----------------------------------------------------------------------------

    def _metric_alert(self, rule: Rule, source: Metric) -> monitor.MetricAlert:
        return monitor.MetricAlert(
            f"{self._name}-{rule.name}",
            resource_group_name=self._rg,
            rule_name=self._cfg.name(rule.name),
            location="global",
            description=f"{rule.description} ({rule.severity}); {self._cfg.name()}",
            severity=AZURE_SEVERITY[rule.severity],
            enabled=True,
            auto_mitigate=True,
            scopes=[source.scope],
            evaluation_frequency=iso_minutes(MINUTE),
            window_size=iso_minutes(source.minutes),
            # Typed arguments: criteria is a union, so plain dict keys would reach ARM untranslated.
            criteria=monitor.MetricAlertSingleResourceMultipleMetricCriteriaArgs(
                odata_type="Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria",
                all_of=[
                    monitor.MetricCriteriaArgs(
                        criterion_type="StaticThresholdCriterion",
                        name=rule.name,
                        metric_namespace=source.namespace,
                        metric_name=source.name,
                        operator="LessThan" if rule.below else "GreaterThan",
                        threshold=rule.threshold,
                        time_aggregation=source.aggregation,
                    )
                ],
            ),
            actions=[{"action_group_id": self._groups[rule.severity].id}],
            tags={**self._tags, "severity": rule.severity},
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _log_alert(self, rule: Rule, source: Query) -> monitor.ScheduledQueryRule:
        window, periods = log_window(source)
        return monitor.ScheduledQueryRule(
            f"{self._name}-{rule.name}",
            resource_group_name=self._rg,
            rule_name=self._cfg.name(rule.name),
            location=self._location,
            kind="LogAlert",
            description=f"{rule.description} ({rule.severity}); {self._cfg.name()}",
            severity=AZURE_SEVERITY[rule.severity],
            enabled=True,
            auto_mitigate=True,
            scopes=[self._workspace.id],
            # AzureDiagnostics exists only once the first resource log arrives; don't fail creation before that.
            skip_query_validation=True,
            evaluation_frequency=iso_minutes(min(window, MAX_LOG_FREQUENCY_MINUTES)),
            window_size=iso_minutes(window),
            criteria={
                "all_of": [
                    {
                        "query": source.text,
                        "time_aggregation": source.aggregation,
                        "metric_measure_column": source.measure,
                        "operator": "LessThan" if rule.below else "GreaterThan",
                        "threshold": rule.threshold,
                        "failing_periods": {
                            "number_of_evaluation_periods": periods,
                            "min_failing_periods_to_alert": periods,
                        },
                    }
                ]
            },
            actions={"action_groups": [self._groups[rule.severity].id]},
            tags={**self._tags, "severity": rule.severity},
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _backup_routing(self, vault: dataprotection.BackupVault) -> alertsmanagement.AlertProcessingRuleByName:
        """The vault's built-in alerts (failed backup and restore jobs) to the critical action group."""
        return alertsmanagement.AlertProcessingRuleByName(
            f"{self._name}-backup-failed",
            resource_group_name=self._rg,
            alert_processing_rule_name=self._cfg.name("backup-failed"),
            location="Global",
            properties=alertsmanagement.AlertProcessingRulePropertiesArgs(
                scopes=[vault.id],
                actions=[
                    alertsmanagement.AddActionGroupsArgs(
                        action_type="AddActionGroups", action_group_ids=[self._groups["critical"].id]
                    )
                ],
                enabled=True,
                description=f"a backup job failed (critical); {self._cfg.name()}",
            ),
            tags={**self._tags, "severity": "critical"},
            opts=pulumi.ResourceOptions(parent=self),
        )
