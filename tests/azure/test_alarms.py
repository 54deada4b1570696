"""Metric and log alerts for SPEC.md's alarm table, each wired to its severity's action group."""

from __future__ import annotations

import pytest

from tests.azure.support import azure_plan, named, refused
from tests.conftest import STACKS

ALARMS = "platform:azure:Alarms"
METRIC_ALERT = "azure-native:monitor:MetricAlert"
LOG_ALERT = "azure-native:monitor:ScheduledQueryRule"
ROUTING_RULE = "azure-native:alertsmanagement:AlertProcessingRuleByName"
VMSS_TYPE = "azure-native:compute:VirtualMachineScaleSet"
VMSS, EDGE = "Microsoft.Compute/virtualMachineScaleSets", "Microsoft.Cdn/profiles"
POSTGRES, REDIS = "Microsoft.DBforPostgreSQL/flexibleServers", "Microsoft.Cache/redis"
AZURE_SEVERITY = {"critical": 0, "high": 1, "medium": 2, "low": 3}
SCALE_SETS = ("web-blue", "web-green", "api-blue", "api-green", "worker")
VMSS_SIGNALS = ("cpu-warning", "cpu-critical", "memory-warning", "memory-critical", "instance-down")

# alert -> (namespace, metric, aggregation, operator, threshold, window, severity)
METRIC_TABLE = {
    "web-blue-cpu-warning": (VMSS, "Percentage CPU", "Average", "GreaterThan", 70, "PT5M", "medium"),
    "web-blue-cpu-critical": (VMSS, "Percentage CPU", "Average", "GreaterThan", 90, "PT5M", "critical"),
    "api-green-memory-warning": (VMSS, "Available Memory Percentage", "Average", "LessThan", 20, "PT5M", "medium"),
    "api-green-memory-critical": (VMSS, "Available Memory Percentage", "Average", "LessThan", 5, "PT5M", "critical"),
    "worker-instance-down": (VMSS, "VmAvailabilityMetric", "Minimum", "LessThan", 1, "PT1M", "critical"),
    "latency-warning": (EDGE, "TotalLatency", "Average", "GreaterThan", 1000, "PT5M", "medium"),
    "latency-critical": (EDGE, "TotalLatency", "Average", "GreaterThan", 5000, "PT5M", "critical"),
    "origin-unhealthy": (EDGE, "OriginHealthPercentage", "Minimum", "LessThan", 100, "PT1M", "critical"),
    "database-down": (POSTGRES, "is_db_alive", "Minimum", "LessThan", 1, "PT1M", "critical"),
    "database-connections": (POSTGRES, "active_connections", "Average", "GreaterThan", 100, "PT5M", "medium"),
    "database-cpu-critical": (POSTGRES, "cpu_percent", "Average", "GreaterThan", 90, "PT5M", "critical"),
    "database-memory-warning": (POSTGRES, "memory_percent", "Average", "GreaterThan", 80, "PT5M", "medium"),
    "database-storage-warning": (POSTGRES, "storage_percent", "Average", "GreaterThan", 85, "PT5M", "medium"),
    "database-storage-critical": (POSTGRES, "storage_percent", "Average", "GreaterThan", 95, "PT5M", "critical"),
    "cache-cpu-warning": (REDIS, "percentProcessorTime", "Maximum", "GreaterThan", 70, "PT5M", "medium"),
    "cache-memory-critical": (REDIS, "usedmemorypercentage", "Maximum", "GreaterThan", 95, "PT5M", "critical"),
    "cache-server-load-critical": (REDIS, "serverLoad", "Maximum", "GreaterThan", 90, "PT5M", "critical"),
}
# alert -> (aggregation, measure column, threshold, window, evaluation periods, severity)
LOG_TABLE = {
    "error-rate-warning": ("Average", "server_error", 1, "PT5M", 1, "medium"),
    "error-rate-critical": ("Average", "server_error", 5, "PT5M", 1, "critical"),
    "error-rate-paging": ("Average", "server_error", 10, "PT1M", 2, "critical"),  # 10 % for 2 minutes
    "api-usage": ("Count", None, 1000, "PT1M", 1, "low"),
    "failed-logins": ("Count", None, 10, "PT1H", 1, "high"),
    "slow-queries": ("Count", None, 0, "PT5M", 1, "low"),
    "disk-warning": ("Maximum", "CounterValue", 85, "PT5M", 1, "medium"),  # SPEC's disk %, from the agent
    "disk-critical": ("Maximum", "CounterValue", 95, "PT5M", 1, "critical"),
}


def _alerts(p, type_: str) -> dict:
    """SPEC.md's alarm table (the blue-green rollback signals are test_rollback.py's)."""
    return {
        name.removeprefix("alarms-"): r
        for name, r in named(p, ALARMS, type_).items()
        if not name.startswith("alarms-rollback-")
    }


def _criterion(alert) -> dict:
    (criterion,) = alert.inputs["criteria"]["allOf"]
    return criterion


def _group_ids(p) -> dict:
    return p.outputs["azure_alarm_topic_ids"].value


@pytest.mark.parametrize("stack", STACKS)
def test_metric_alerts_measure_spec_signals_and_route_by_severity(plan, stack):
    p = azure_plan(plan, stack)
    alerts = _alerts(p, METRIC_ALERT)
    for name, (namespace, metric, aggregation, operator, threshold, window, severity) in METRIC_TABLE.items():
        alert = alerts[name].inputs
        assert alert["criteria"]["odataType"] == "Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria"
        assert _criterion(alerts[name]) == {
            "criterionType": "StaticThresholdCriterion",
            "name": name,
            "metricNamespace": namespace,
            "metricName": metric,
            "timeAggregation": aggregation,
            "operator": operator,
            "threshold": threshold,
        }, name
        assert (alert["windowSize"], alert["evaluationFrequency"]) == (window, "PT1M"), name
        assert alert["severity"] == AZURE_SEVERITY[severity], name
        assert alert["actions"] == [{"actionGroupId": _group_ids(p)[severity]}], name
        assert alert["ruleName"] == f"platform-{stack}-{name}"
        assert alert["location"] == "global" and alert["enabled"] is True
        assert alert["tags"]["severity"] == severity and alert["tags"]["environment"] == stack


@pytest.mark.parametrize("stack", STACKS)
def test_alerts_wired_to_their_action_group_resources(plan, stack):
    p = azure_plan(plan, stack)
    groups = {r.name.removeprefix("monitoring-"): r.urn for r in p.of_type("azure-native:monitor:ActionGroup")}
    for alert in [*_alerts(p, METRIC_ALERT).values(), *_alerts(p, LOG_ALERT).values()]:
        severity = alert.inputs["tags"]["severity"]
        assert alert.property_dependencies["actions"] == [groups[severity]], alert.name


@pytest.mark.parametrize("stack", STACKS)
def test_every_scale_set_has_cpu_memory_and_availability_alerts_scoped_to_it(plan, stack):
    p = azure_plan(plan, stack)
    alerts = _alerts(p, METRIC_ALERT)
    scale_sets = {r.name.removesuffix("-vmss"): r for r in p.of_type(VMSS_TYPE)}
    assert set(scale_sets) == set(SCALE_SETS)
    for key, vmss in scale_sets.items():
        watching = {name for name, alert in alerts.items() if alert.property_dependencies.get("scopes") == [vmss.urn]}
        assert watching == {f"{key}-{signal}" for signal in VMSS_SIGNALS}


def test_data_store_and_front_door_alerts_are_scoped_to_their_resource(plan):
    p = azure_plan(plan, "prod")
    alerts = _alerts(p, METRIC_ALERT)
    scopes = {
        "database-down": p.named("azure-native:dbforpostgresql:Server", "database-server"),
        "cache-memory-warning": p.named("azure-native:redis:Redis", "cache-redis"),
        "latency-critical": p.named("azure-native:cdn:Profile", "front-door-profile"),
        "replica-lag": p.named("azure-native:dbforpostgresql:Server", "database-replica-server"),
    }
    for name, resource in scopes.items():
        assert alerts[name].property_dependencies["scopes"] == [resource.urn], name


@pytest.mark.parametrize("stack", STACKS)
def test_log_alerts_query_the_app_workspace(plan, stack):
    p = azure_plan(plan, stack)
    alerts = _alerts(p, LOG_ALERT)
    assert set(alerts) == set(LOG_TABLE)
    workspace = p.named("azure-native:operationalinsights:Workspace", "monitoring-app")
    for name, (aggregation, measure, threshold, window, periods, severity) in LOG_TABLE.items():
        alert = alerts[name].inputs
        criterion = _criterion(alerts[name])
        assert alert["kind"] == "LogAlert" and alert["location"] == "eastus"
        assert alerts[name].property_dependencies["scopes"] == [workspace.urn]
        assert (criterion["timeAggregation"], criterion.get("metricMeasureColumn")) == (aggregation, measure), name
        assert (criterion["operator"], criterion["threshold"]) == ("GreaterThan", threshold), name
        assert alert["windowSize"] == window, name
        assert criterion["failingPeriods"] == {
            "numberOfEvaluationPeriods": periods,
            "minFailingPeriodsToAlert": periods,
        }
        assert alert["severity"] == AZURE_SEVERITY[severity], name
        assert alert["actions"] == {"actionGroups": [_group_ids(p)[severity]]}, name
    assert alerts["failed-logins"].inputs["evaluationFrequency"] == "PT5M"
    assert alerts["error-rate-paging"].inputs["evaluationFrequency"] == "PT1M"


def test_log_queries_read_the_right_resource_logs(plan):
    p = azure_plan(plan, "prod")
    alerts = _alerts(p, LOG_ALERT)
    profile = p.named("azure-native:cdn:Profile", "front-door-profile")
    server = p.named("azure-native:dbforpostgresql:Server", "database-server")
    profile_id = "/resourceGroups/platform-prod/providers/Microsoft.Cdn/profiles/platform-prod-edge"
    for name in ("error-rate-warning", "error-rate-paging", "api-usage", "failed-logins"):
        query = _criterion(alerts[name])["query"]
        assert 'Category == "FrontDoorAccessLog"' in query and profile_id in query, name
        assert "status = toint(httpStatusCode_s)" in query and "path = tostring(parse_url(requestUri_s).Path)" in query
        assert profile.urn in alerts[name].property_dependencies["criteria"]
    assert "iff(status >= 500, 100.0, 0.0)" in _criterion(alerts["error-rate-critical"])["query"]
    assert 'path startswith "/api/"' in _criterion(alerts["api-usage"])["query"]
    assert _criterion(alerts["failed-logins"])["query"].endswith("| where status == 401")
    slow = _criterion(alerts["slow-queries"])["query"]
    assert 'Category == "PostgreSQLLogs"' in slow and 'Message contains "duration: "' in slow
    assert "/flexibleServers/platform-prod-postgres" in slow
    assert server.urn in alerts["slow-queries"].property_dependencies["criteria"]
    disk = _criterion(alerts["disk-critical"])["query"]
    assert disk.startswith('Perf | where ObjectName == "Logical Disk" and CounterName == "% Used Space"')


@pytest.mark.parametrize("stack", STACKS)
def test_replica_lag_and_backup_routing_per_environment(plan, stack):
    p = azure_plan(plan, stack)
    alerts = _alerts(p, METRIC_ALERT)
    assert ("replica-lag" in alerts) == (stack == "prod")
    routing = named(p, ALARMS, ROUTING_RULE)
    assert bool(routing) == (stack != "dev")  # backups are on in staging and prod
    if stack == "prod":
        lag = alerts["replica-lag"]
        assert _criterion(lag)["metricName"] == "physical_replication_delay_in_seconds"
        assert (_criterion(lag)["threshold"], _criterion(lag)["timeAggregation"]) == (300, "Maximum")
        assert lag.inputs["actions"] == [{"actionGroupId": _group_ids(p)["critical"]}]
        replica = "/resourceGroups/platform-prod-dr/providers/Microsoft.DBforPostgreSQL/flexibleServers/"
        assert lag.inputs["scopes"][0].endswith(replica + "platform-prod-postgres-dr")
    if routing:
        rule = routing["alarms-backup-failed"]
        vault = p.named("azure-native:dataprotection:BackupVault", "backup-vault")
        critical = p.named("azure-native:monitor:ActionGroup", "monitoring-critical")
        assert set(rule.property_dependencies["properties"]) == {vault.urn, critical.urn}
        properties = rule.inputs["properties"]
        assert properties["actions"] == [
            {"actionType": "AddActionGroups", "actionGroupIds": [_group_ids(p)["critical"]]}
        ]
        assert properties["scopes"][0].endswith(f"/Microsoft.DataProtection/backupVaults/{vault.inputs['vaultName']}")
        assert properties["enabled"] is True and rule.inputs["location"] == "Global"


def test_thresholds_and_windows_follow_config(plan):
    p = azure_plan(
        plan,
        "dev",
        'alarms.cpuPercent={"warning":60,"critical":80}',
        'alarms.memoryPercent={"warning":null,"critical":90}',
        "alarms.sustainedMinutes=15",
        "alarms.pagingErrorRateWindowMinutes=3",
        "alarms.errorRateWindowMinutes=10",
        "alarms.databaseConnections=250",
        "alarms.failedLoginsPerHour=25",
    )
    metric, log = _alerts(p, METRIC_ALERT), _alerts(p, LOG_ALERT)
    assert _criterion(metric["web-green-cpu-warning"])["threshold"] == 60
    assert _criterion(metric["cache-server-load-critical"])["threshold"] == 80
    assert "worker-memory-warning" not in metric and "database-memory-warning" not in metric
    assert _criterion(metric["worker-memory-critical"])["threshold"] == 10  # 90 % used = 10 % free
    assert metric["latency-warning"].inputs["windowSize"] == "PT15M"
    assert metric["database-down"].inputs["windowSize"] == "PT1M"
    assert _criterion(metric["database-connections"])["threshold"] == 250
    paging = log["error-rate-paging"]
    assert paging.inputs["windowSize"] == "PT1M"
    assert _criterion(paging)["failingPeriods"]["numberOfEvaluationPeriods"] == 3
    assert log["error-rate-warning"].inputs["windowSize"] == "PT10M"
    assert _criterion(log["failed-logins"])["threshold"] == 25


def test_a_window_azure_cannot_evaluate_is_refused_before_planning(capsys):
    """Config refuses it (test_config_validators.py checks every window), not the alert half-way through the plan."""
    assert refused(capsys, "dev", "alarms.pagingErrorRateWindowMinutes=7")[1:] == [
        "platform:alarms.pagingErrorRateWindowMinutes = 7: Azure log alerts evaluate windows of 1-6 or 1, 5, 10, 15, "
        "30, 45, 60, 120, 180, 240, 300, 360, 1440, 2880 minutes"
    ]
