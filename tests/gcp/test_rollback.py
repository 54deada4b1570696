"""Rollback signals per colour at SPEC.md's thresholds, routed to on-call (high), published as rollback_alarm_ids."""

from __future__ import annotations

import pytest

from infractl.mocks import _digest
from tests.conftest import STACKS
from tests.gcp.support import gcp_plan, named

ROLLBACK = "platform:gcp:RollbackAlarms"
POLICY = "gcp:monitoring/alertPolicy:AlertPolicy"
TRIGGERS = ("p95-latency", "error-rate", "cpu", "memory", "pool-exhausted")


def _conditions(policy) -> dict[str, dict]:
    """A policy's threshold conditions, by trigger (from each condition's display name)."""
    by_trigger = {}
    for condition in policy.inputs["conditions"]:
        text = condition["displayName"]
        trigger = next(
            t
            for t, words in zip(TRIGGERS, ("p95 latency", "5xx rate", "CPU", "memory", "pool"), strict=True)
            if words in text
        )
        by_trigger[trigger] = condition["conditionThreshold"]
    return by_trigger


@pytest.mark.parametrize("stack", STACKS)
def test_one_high_severity_policy_per_tier_and_colour_with_spec_thresholds(plan, stack):
    p = gcp_plan(plan, stack)
    policies = named(p, ROLLBACK, POLICY)
    assert set(policies) == {f"{t}-{c}-rollback" for t in ("web", "api") for c in ("blue", "green")}
    high = p.outputs["gcp_alarm_topic_ids"].value["high"]
    for key, policy in policies.items():
        group = key.removesuffix("-rollback")
        assert policy.inputs["severity"] == "ERROR" and policy.inputs["combiner"] == "OR"
        assert policy.inputs["notificationChannels"][0] == high  # on-call paging
        conditions = _conditions(policy)
        assert set(conditions) == set(TRIGGERS)
        expected = {
            "p95-latency": 500,
            "error-rate": 0.01,
            "cpu": 0.9,
            "memory": 90,
            "pool-exhausted": 19.5,  # the gauge of whole connections reaching app.databasePoolSize (20)
        }
        for trigger, condition in conditions.items():
            assert condition["comparison"] == "COMPARISON_GT", trigger
            assert condition["thresholdValue"] == pytest.approx(expected[trigger]), trigger
            assert condition["aggregations"][0]["alignmentPeriod"] == "60s"  # windowSeconds
            assert condition["duration"] == "0s"  # evaluationPeriods 1: the first breaching window
        backend = f'resource.labels.backend_target_name="platform-{stack}-{group}"'
        assert (
            backend in conditions["p95-latency"]["filter"] and "total_latencies" in conditions["p95-latency"]["filter"]
        )
        assert conditions["p95-latency"]["aggregations"][0]["crossSeriesReducer"] == "REDUCE_PERCENTILE_95"
        errors = conditions["error-rate"]
        assert backend in errors["filter"] and 'response_code_class="500"' in errors["filter"]
        assert backend in errors["denominatorFilter"] and "response_code_class" not in errors["denominatorFilter"]
        instances = f'metadata.system_labels.instance_group="platform-{stack}-{group}"'
        assert instances in conditions["cpu"]["filter"] and "cpu/utilization" in conditions["cpu"]["filter"]
        assert instances in conditions["memory"]["filter"] and "memory/percent_used" in conditions["memory"]["filter"]
        assert conditions["cpu"]["aggregations"][0]["crossSeriesReducer"] == "REDUCE_MEAN"
        pool = conditions["pool-exhausted"]
        assert f'resource.labels.job="platform-{stack}-{group}"' in pool["filter"]  # the group's scrape job
        assert 'metric.type="prometheus.googleapis.com/database_pool_connections_in_use/gauge"' in pool["filter"]
        assert pool["aggregations"][0]["crossSeriesReducer"] == "REDUCE_MAX"
        instance_group = p.named("gcp:compute/regionInstanceGroupManager:RegionInstanceGroupManager", group)
        assert instance_group.urn in policy.dependencies


def test_signals_follow_the_rollback_config(plan):
    p = gcp_plan(
        plan,
        "dev",
        "blueGreen.rollback.p95LatencyMs=300",
        "blueGreen.rollback.errorRatePercent=2",
        "blueGreen.rollback.cpuPercent=80",
        "blueGreen.rollback.memoryPercent=85",
        "blueGreen.rollback.windowSeconds=120",
        "blueGreen.rollback.evaluationPeriods=3",
        "blueGreen.rollback.maxRollbackSeconds=400",
        "blueGreen.rollback.poolInUseMetric=app_db_pool_busy",
        "app.databasePoolSize=50",
    )
    conditions = _conditions(p.named(POLICY, "api-green-rollback"))
    thresholds = {trigger: c["thresholdValue"] for trigger, c in conditions.items()}
    assert thresholds == pytest.approx(
        {"p95-latency": 300, "error-rate": 0.02, "cpu": 0.8, "memory": 85, "pool-exhausted": 49.5}
    )
    for condition in conditions.values():
        # 3 windows of 120 s: aligned over one window, breaching for the two after it.
        assert condition["aggregations"][0]["alignmentPeriod"] == "120s" and condition["duration"] == "240s"
    assert "prometheus.googleapis.com/app_db_pool_busy/gauge" in conditions["pool-exhausted"]["filter"]


def _mock_policy_name(logical: str) -> str:
    """The name the mock runtime gives an alert policy (as the API would: projects/<p>/alertPolicies/<id>)."""
    physical = f"{logical}-{_digest(POLICY, logical, length=7)}"
    return f"projects/platform-example/alertPolicies/{int(_digest(physical, length=12), 16)}"


@pytest.mark.parametrize("stack", STACKS)
def test_rollback_alarm_ids_are_each_colours_policy_names(plan, stack):
    ids = gcp_plan(plan, stack).outputs["gcp_rollback_alarm_ids"].value
    assert ids == {
        color: [_mock_policy_name(f"{tier}-{color}-rollback") for tier in ("web", "api")] for color in ("blue", "green")
    }
