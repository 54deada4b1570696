"""Alarms for SPEC.md's alarm table: thresholds from config, each routed to its severity's topic."""

from __future__ import annotations

import json

import pytest

ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
ACCOUNT = "123456789012"
GROUPS = ("web-blue", "web-green", "api-blue", "api-green", "worker")


def topic(stack: str, severity: str) -> str:
    return f"arn:aws:sns:us-east-1:{ACCOUNT}:platform-{stack}-alerts-{severity}"


def alarms(p) -> dict:
    return {r.name: r.inputs for r in p.children("platform:aws:Alarms") if r.type == ALARM}


def assert_routed(alarm: dict, stack: str, severity: str) -> None:
    assert alarm["alarmActions"] == [topic(stack, severity)]
    assert alarm["okActions"] == [topic(stack, severity)]
    assert alarm["tags"]["severity"] == severity


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_every_alarm_in_this_region_notifies_the_topic_of_its_severity(plan, stack):
    found = alarms(plan(stack))
    for name, alarm in found.items():
        if name != "replica-lag":
            assert_routed(alarm, stack, alarm["tags"]["severity"])
            assert alarm["name"] == f"platform-{stack}-{name}"


@pytest.mark.parametrize(
    ("signal", "namespace", "metric", "warning", "critical"),
    [
        ("cpu", "AWS/EC2", "CPUUtilization", 70, 90),
        ("memory", "CWAgent", "mem_used_percent", 80, 95),
        ("disk", "CWAgent", "disk_used_percent", 85, 95),
    ],
)
def test_autoscaling_group_saturation_warns_ops_and_pages_when_critical(
    plan, signal, namespace, metric, warning, critical
):
    found = alarms(plan("prod"))
    for group in GROUPS:
        for level, threshold, severity in (("warning", warning, "medium"), ("critical", critical, "critical")):
            alarm = found[f"{group}-{signal}-{level}"]
            assert (alarm["namespace"], alarm["metricName"]) == (namespace, metric)
            assert alarm["dimensions"] == {"AutoScalingGroupName": f"platform-prod-{group}"}
            assert alarm["threshold"] == threshold
            assert alarm["comparisonOperator"] == "GreaterThanThreshold"
            assert alarm["evaluationPeriods"] == 5 and alarm["period"] == 60
            assert alarm["treatMissingData"] == "notBreaching"
            assert_routed(alarm, "prod", severity)


def test_thresholds_and_windows_follow_config_overrides(plan):
    found = alarms(
        plan(
            "dev",
            "alarms.cpuPercent.warning=60",
            "alarms.sustainedMinutes=3",
            "alarms.latencyMs.critical=3000",
            "alarms.failedLoginsPerHour=25",
            "alarms.apiRequestsPerMinute=500",
            "alarms.databaseConnections=80",
            "alarms.downMinutes=2",
        )
    )
    assert found["web-blue-cpu-warning"]["threshold"] == 60
    assert found["database-cpu-warning"]["threshold"] == 60
    assert found["web-blue-cpu-warning"]["evaluationPeriods"] == 3
    assert found["latency-p95-critical"]["threshold"] == 3.0
    assert found["failed-logins"]["threshold"] == 25
    assert found["api-usage"]["threshold"] == 500
    assert found["database-connections"]["threshold"] == 80
    assert found["web-blue-unhealthy"]["evaluationPeriods"] == 2


def test_a_null_level_drops_that_alarm(plan):
    found = alarms(plan("dev", 'alarms.diskPercent={"warning": null}'))
    assert "worker-disk-warning" not in found
    assert found["worker-disk-critical"]["threshold"] == 95


def test_p95_latency_in_seconds(plan):
    found = alarms(plan("staging"))
    for level, seconds, severity in (("warning", 1.0, "medium"), ("critical", 5.0, "critical")):
        alarm = found[f"latency-p95-{level}"]
        assert (alarm["metricName"], alarm["extendedStatistic"], alarm["threshold"]) == (
            "TargetResponseTime",
            "p95",
            seconds,
        )
        assert alarm["dimensions"]["LoadBalancer"].startswith("app/")
        assert_routed(alarm, "staging", severity)


def _queries(alarm: dict) -> dict:
    return {q["id"]: q for q in alarm["metricQueries"]}


@pytest.mark.parametrize(
    ("name", "threshold", "minutes", "severity"),
    [
        ("error-rate-warning", 1, 5, "medium"),
        ("error-rate-critical", 5, 5, "critical"),
        ("error-rate-paging", 10, 2, "critical"),
    ],
)
def test_error_rate_is_5xx_over_requests_over_its_window(plan, name, threshold, minutes, severity):
    alarm = alarms(plan("prod"))[name]
    queries = _queries(alarm)
    assert queries["result"]["expression"] == "100 * (FILL(target5xx, 0) + FILL(elb5xx, 0)) / requests"
    assert queries["result"]["returnData"] is True
    metrics = {q["metric"]["metricName"] for q in queries.values() if "metric" in q}
    assert metrics == {"HTTPCode_Target_5XX_Count", "HTTPCode_ELB_5XX_Count", "RequestCount"}
    assert {q["metric"]["period"] for q in queries.values() if "metric" in q} == {minutes * 60}
    assert alarm["threshold"] == threshold
    assert_routed(alarm, "prod", severity)


def test_unhealthy_targets_page_and_missing_data_breaches(plan):
    found = alarms(plan("prod"))
    for tier in ("web", "api"):
        for color in ("blue", "green"):
            alarm = found[f"{tier}-{color}-unhealthy"]
            assert alarm["metricName"] == "UnHealthyHostCount"
            assert alarm["dimensions"]["TargetGroup"].startswith("targetgroup/")
            assert alarm["threshold"] == 0 and alarm["evaluationPeriods"] == 1
            assert alarm["treatMissingData"] == "breaching"
            assert_routed(alarm, "prod", "critical")
    assert (
        len(
            {
                found[f"{t}-{c}-unhealthy"]["dimensions"]["TargetGroup"]
                for t in ("web", "api")
                for c in ("blue", "green")
            }
        )
        == 4
    )


def test_api_usage_sums_both_api_pools_to_low(plan):
    alarm = alarms(plan("prod"))["api-usage"]
    queries = _queries(alarm)
    assert queries["result"]["expression"] == "FILL(blue, 0) + FILL(green, 0)"
    for color in ("blue", "green"):
        assert queries[color]["metric"]["metricName"] == "RequestCount"
        assert queries[color]["metric"]["period"] == 60
    assert alarm["threshold"] == 1000
    assert_routed(alarm, "prod", "low")


def test_database_alarms(plan):
    found = alarms(plan("prod"))
    connections = found["database-connections"]
    assert (connections["metricName"], connections["threshold"], connections["evaluationPeriods"]) == (
        "DatabaseConnections",
        100,
        5,
    )
    assert connections["dimensions"] == {"DBInstanceIdentifier": "platform-prod-postgres"}
    assert_routed(connections, "prod", "medium")
    assert found["database-cpu-critical"]["threshold"] == 90


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_database_storage_is_watched_by_rds_events_that_follow_storage_autoscaling(plan, stack):
    """No free-space threshold fixed in bytes (it drifts as autoscaling grows the volume): RDS's own events,
    measured against the current allocation and the ceiling, for this database only."""
    p = plan(stack)
    assert not [a for a in alarms(p).values() if a.get("metricName") == "FreeStorageSpace"]
    rules, targets = _event_rules(p), _targets(p)
    database_arn = f"arn:aws:rds:us-east-1:{ACCOUNT}:db:platform-{stack}-postgres"
    for level, severity, events in (
        ("critical", "critical", {"RDS-EVENT-0007"}),
        ("warning", "medium", {"RDS-EVENT-0089", "RDS-EVENT-0225"}),
    ):
        pattern = json.loads(rules[f"database-storage-{level}"].inputs["eventPattern"])
        assert pattern["source"] == ["aws.rds"] and pattern["detail-type"] == ["RDS DB Instance Event"]
        assert pattern["resources"] == [database_arn]
        assert set(pattern["detail"]["EventID"]) == events
        assert targets[f"database-storage-{level}"]["arn"] == topic(stack, severity)
    # Autoscaling that cannot grow the volume (RDS-EVENT-0223, 0224, 0254) is a "failure" event: it pages.
    (subscription,) = p.of_type("aws:rds/eventSubscription:EventSubscription")
    assert "failure" in subscription.inputs["eventCategories"]


def test_database_down_events_page(plan):
    (subscription,) = plan("staging").of_type("aws:rds/eventSubscription:EventSubscription")
    assert subscription.inputs["snsTopic"] == topic("staging", "critical")
    assert subscription.inputs["sourceType"] == "db-instance"
    assert subscription.inputs["sourceIds"] == ["platform-staging-postgres"]
    assert set(subscription.inputs["eventCategories"]) == {"availability", "failure", "failover"}


@pytest.mark.parametrize(("stack", "nodes"), [("dev", 1), ("prod", 2)])
def test_every_redis_node_has_memory_and_cpu_alarms(plan, stack, nodes):
    found = alarms(plan(stack))
    cache_alarms = {name: a for name, a in found.items() if name.startswith("cache-")}
    assert len(cache_alarms) == nodes * 4
    ids = {a["dimensions"]["CacheClusterId"] for a in cache_alarms.values()}
    assert ids == {f"platform-{stack}-redis-{n:03d}" for n in range(1, nodes + 1)}
    assert found["cache-001-memory-critical"]["metricName"] == "DatabaseMemoryUsagePercentage"
    assert found["cache-001-memory-critical"]["threshold"] == 95
    assert found["cache-001-cpu-warning"]["metricName"] == "EngineCPUUtilization"
    assert_routed(found["cache-001-cpu-warning"], stack, "medium")


def test_slow_queries_counted_from_the_postgres_log(plan):
    p = plan("prod")
    (metric_filter,) = [
        r for r in p.children("platform:aws:Alarms") if r.type == "aws:cloudwatch/logMetricFilter:LogMetricFilter"
    ]
    assert metric_filter.inputs["pattern"] == '"duration:"'
    database_log = p.by_urn(metric_filter.property_dependencies["logGroupName"][0])
    assert "postgresql" in database_log.inputs["name"]
    alarm = alarms(p)["slow-queries"]
    assert (alarm["namespace"], alarm["metricName"]) == (
        "Platform/prod",
        metric_filter.inputs["metricTransformation"]["name"],
    )
    assert alarm["threshold"] == 0
    assert_routed(alarm, "prod", "low")


def test_failed_logins_per_hour_go_to_high(plan):
    alarm = alarms(plan("dev"))["failed-logins"]
    assert (alarm["namespace"], alarm["metricName"], alarm["statistic"]) == ("Platform/dev", "FailedLogins", "Sum")
    assert alarm["period"] == 3600 and alarm["threshold"] == 10
    assert_routed(alarm, "dev", "high")


def _event_rules(p) -> dict:
    return {r.name: r for r in p.children("platform:aws:Alarms") if r.type == "aws:cloudwatch/eventRule:EventRule"}


def _targets(p) -> dict:
    return {
        r.name: r.inputs
        for r in p.children("platform:aws:Alarms")
        if r.type == "aws:cloudwatch/eventTarget:EventTarget"
    }


def test_failed_backup_jobs_page_where_backups_run(plan):
    p = plan("staging")
    pattern = json.loads(_event_rules(p)["backup-failed"].inputs["eventPattern"])
    assert pattern["source"] == ["aws.backup"]
    assert pattern["detail-type"] == ["Backup Job State Change"]
    assert set(pattern["detail"]["state"]) == {"FAILED", "ABORTED", "EXPIRED", "PARTIAL"}
    assert _targets(p)["backup-failed"]["arn"] == topic("staging", "critical")
    assert "backup-failed" not in _event_rules(plan("dev"))


def test_replica_lag_alarm_only_with_a_replica_and_it_reaches_the_critical_topic(plan):
    assert "replica-lag" not in alarms(plan("dev"))
    assert "replica-lag" not in alarms(plan("staging"))
    p = plan("prod")
    alarm = alarms(p)["replica-lag"]
    assert (alarm["metricName"], alarm["threshold"]) == ("ReplicaLag", 300)
    assert alarm["dimensions"] == {"DBInstanceIdentifier": "platform-prod-postgres-dr"}
    assert alarm["region"] == "us-west-2"  # beside the replica
    rules, targets = _event_rules(p), _targets(p)
    forward = json.loads(rules["replica-lag-forward"].inputs["eventPattern"])
    assert forward["detail-type"] == ["CloudWatch Alarm State Change"]
    assert forward["resources"] == [f"arn:aws:cloudwatch:us-east-1:{ACCOUNT}:metricAlarm/platform-prod-replica-lag"]
    assert rules["replica-lag-forward"].inputs["region"] == "us-west-2"
    assert targets["replica-lag-forward"]["arn"] == f"arn:aws:events:us-east-1:{ACCOUNT}:event-bus/default"
    assert json.loads(rules["replica-lag"].inputs["eventPattern"]) == forward
    assert targets["replica-lag"]["arn"] == topic("prod", "critical")


def test_replica_lag_threshold_follows_config(plan):
    assert alarms(plan("prod", "alarms.replicaLagSeconds=120"))["replica-lag"]["threshold"] == 120


def test_dashboard_shows_every_tier_and_every_alarm_in_this_region(plan):
    p = plan("prod")
    (dashboard,) = p.of_type("aws:cloudwatch/dashboard:Dashboard")
    assert dashboard.inputs["dashboardName"] == "platform-prod"
    widgets = json.loads(dashboard.inputs["dashboardBody"])["widgets"]
    titles = {w["properties"]["title"] for w in widgets}
    assert {"web: CPU %", "api: CPU %", "worker: CPU %", "DR replica lag (s)"} <= titles
    (status,) = [w for w in widgets if w["type"] == "alarm"]
    in_region = {
        f"arn:aws:cloudwatch:us-east-1:{ACCOUNT}:metricAlarm/{a['name']}"
        for n, a in alarms(p).items()
        if n != "replica-lag"
    }
    assert set(status["properties"]["alarms"]) == in_region
    web_cpu = next(w for w in widgets if w["properties"]["title"] == "web: CPU %")
    assert {m[-1] for m in web_cpu["properties"]["metrics"]} == {"platform-prod-web-blue", "platform-prod-web-green"}
