"""Rollback signals per colour: SPEC.md's five triggers for each pool, a composite per colour that pages."""

from __future__ import annotations

import re

import pytest

ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
COMPOSITE = "aws:cloudwatch/compositeAlarm:CompositeAlarm"
COMPONENT = "platform:aws:RollbackAlarms"
SIGNALS = ("latency-p95", "error-rate", "cpu", "memory", "pool-exhausted")
COLORS = ("blue", "green")
TIERS = ("web", "api")


def _alarms(p) -> dict:
    return {r.inputs["name"]: r.inputs for r in p.children(COMPONENT) if r.type == ALARM}


def _composites(p) -> dict:
    return {r.name: r.inputs for r in p.children(COMPONENT) if r.type == COMPOSITE}


def _queries(alarm: dict) -> dict:
    return {q["id"]: q for q in alarm["metricQueries"]}


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_pool_has_the_five_triggers_and_the_output_lists_them_per_colour(plan, stack):
    p = plan(stack)
    ids = p.outputs["aws_rollback_alarm_ids"].value
    assert ids == {
        color: [f"platform-{stack}-rollback-{tier}-{color}-{signal}" for tier in TIERS for signal in SIGNALS]
        for color in COLORS
    }
    assert set(_alarms(p)) == {name for names in ids.values() for name in names}  # each id is a real alarm


@pytest.mark.parametrize("color", COLORS)
def test_spec_thresholds_per_colour_on_that_colours_target_group_and_group(plan, color):
    p = plan("prod")
    found = _alarms(p)
    target_groups = p.outputs["aws_target_group_ids"].value
    lb_suffix = p.named("aws:lb/listener:Listener", "https").inputs["loadBalancerArn"].split(":loadbalancer/")[1]
    for tier in TIERS:
        pool = f"platform-prod-rollback-{tier}-{color}"
        target_group = {"LoadBalancer": lb_suffix, "TargetGroup": target_groups[tier][color].split(":", 5)[5]}
        group = {"AutoScalingGroupName": f"platform-prod-{tier}-{color}"}

        latency = found[f"{pool}-latency-p95"]
        assert (latency["namespace"], latency["metricName"], latency["extendedStatistic"]) == (
            "AWS/ApplicationELB",
            "TargetResponseTime",
            "p95",
        )
        assert latency["dimensions"] == target_group
        assert latency["threshold"] == 0.5  # 500 ms

        errors = _queries(found[f"{pool}-error-rate"])
        assert errors["result"]["expression"] == "100 * (FILL(target5xx, 0) + FILL(refused, 0)) / requests"
        assert {q["metric"]["metricName"] for q in errors.values() if "metric" in q} == {
            "HTTPCode_Target_5XX_Count",
            "TargetConnectionErrorCount",
            "RequestCount",
        }
        assert all(q["metric"]["dimensions"] == target_group for q in errors.values() if "metric" in q)
        assert found[f"{pool}-error-rate"]["threshold"] == 1

        for signal, namespace, metric, threshold in (
            ("cpu", "AWS/EC2", "CPUUtilization", 90),
            ("memory", "CWAgent", "mem_used_percent", 90),
        ):
            alarm = found[f"{pool}-{signal}"]
            assert (alarm["namespace"], alarm["metricName"], alarm["threshold"]) == (namespace, metric, threshold)
            assert alarm["dimensions"] == group
            assert alarm["comparisonOperator"] == "GreaterThanThreshold"

        pool_alarm = found[f"{pool}-pool-exhausted"]
        assert (pool_alarm["namespace"], pool_alarm["metricName"], pool_alarm["statistic"]) == (
            "Platform/prod",  # where the agent's scrape puts it (test_compute checks the agent's side)
            "database_pool_connections_in_use",
            "Maximum",
        )
        assert pool_alarm["dimensions"] == group
        assert (pool_alarm["comparisonOperator"], pool_alarm["threshold"]) == ("GreaterThanOrEqualToThreshold", 20)


def test_each_trigger_is_judged_over_one_window_and_reports_to_its_composite_only(plan):
    for alarm in _alarms(plan("staging")).values():
        periods = {q["metric"]["period"] for q in alarm.get("metricQueries", []) if "metric" in q}
        assert (periods or {alarm["period"]}) == {60}
        assert alarm["evaluationPeriods"] == alarm["datapointsToAlarm"] == 1
        assert alarm["treatMissingData"] == "notBreaching"  # an idle colour has no traffic: not a trigger
        assert alarm["alarmActions"] == alarm["okActions"] == []
        assert alarm["tags"]["severity"] == "high"


@pytest.mark.parametrize("color", COLORS)
def test_thresholds_and_window_follow_config(plan, color):
    found = _alarms(
        plan(
            "dev",
            "blueGreen.rollback.p95LatencyMs=300",
            "blueGreen.rollback.errorRatePercent=2.5",
            "blueGreen.rollback.cpuPercent=80",
            "blueGreen.rollback.memoryPercent=85",
            "blueGreen.rollback.windowSeconds=120",
            "blueGreen.rollback.evaluationPeriods=2",
            "blueGreen.rollback.maxRollbackSeconds=300",
            "blueGreen.rollback.poolInUseMetric=db_pool_busy",
            "app.databasePoolSize=50",
        )
    )
    for tier in TIERS:
        pool = f"platform-dev-rollback-{tier}-{color}"
        assert found[f"{pool}-latency-p95"]["threshold"] == 0.3
        assert found[f"{pool}-error-rate"]["threshold"] == 2.5
        assert found[f"{pool}-cpu"]["threshold"] == 80
        assert found[f"{pool}-memory"]["threshold"] == 85
        assert (found[f"{pool}-pool-exhausted"]["metricName"], found[f"{pool}-pool-exhausted"]["threshold"]) == (
            "db_pool_busy",
            50,
        )
        for signal in SIGNALS:
            alarm = found[f"{pool}-{signal}"]
            assert alarm["evaluationPeriods"] == alarm["datapointsToAlarm"] == 2
            periods = {q["metric"]["period"] for q in alarm.get("metricQueries", []) if "metric" in q}
            assert (periods or {alarm["period"]}) == {120}


@pytest.mark.parametrize("color", COLORS)
def test_a_composite_per_colour_fires_on_any_of_its_triggers_and_pages_high(plan, color):
    p = plan("prod")
    composite = _composites(p)[color]
    assert composite["alarmName"] == f"platform-prod-rollback-{color}"
    named = set(re.findall(r'ALARM\("([^"]+)"\)', composite["alarmRule"]))
    assert named == set(p.outputs["aws_rollback_alarm_ids"].value[color])
    assert composite["alarmRule"].count(" OR ") == len(named) - 1
    high = "arn:aws:sns:us-east-1:123456789012:platform-prod-alerts-high"
    assert composite["alarmActions"] == composite["okActions"] == [high]
