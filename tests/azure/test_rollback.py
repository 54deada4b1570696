"""Blue-green rollback signals per colour at blueGreen.rollback's thresholds, paging the high action group."""

from __future__ import annotations

import pytest

from components.config import ConfigError
from tests.azure.support import azure_plan
from tests.conftest import STACKS

METRIC_ALERT = "azure-native:monitor:MetricAlert"
LOG_ALERT = "azure-native:monitor:ScheduledQueryRule"
RULE_GROUP = "azure-native:alertsmanagement:PrometheusRuleGroup"


def signals(p, color: str) -> dict[str, object]:
    """The colour's rollback alerts by signal name (``p95-latency``, ``web-cpu``, ``pool``, ...)."""
    found: dict[str, object] = {}
    for type_ in (METRIC_ALERT, LOG_ALERT, RULE_GROUP):
        for r in p.of_type(type_):
            name = r.name.removeprefix("alarms-")
            if name.startswith("rollback-") and f"-{color}" in name:
                found[name.removeprefix("rollback-").replace(f"{color}-", "").replace(f"-{color}", "")] = r
    return found


def criterion(alert) -> dict:
    (one,) = alert.inputs["criteria"]["allOf"]
    return one


@pytest.mark.parametrize("stack", STACKS)
def test_five_signals_per_colour_page_the_high_action_group(plan, stack):
    p = azure_plan(plan, stack)
    high = p.outputs["azure_alarm_topic_ids"].value["high"]
    ids = p.outputs["azure_rollback_alarm_ids"].value
    assert set(ids) == {"blue", "green"}
    for color in ("blue", "green"):
        found = signals(p, color)
        assert set(found) == {
            "p95-latency", "error-rate", "web-cpu", "web-memory", "api-cpu", "api-memory", "pool",
        }  # fmt: skip
        for name, alert in found.items():
            if alert.type == METRIC_ALERT:
                assert alert.inputs["actions"] == [{"actionGroupId": high}] and alert.inputs["severity"] == 1, name
            elif alert.type == LOG_ALERT:
                assert alert.inputs["actions"] == {"actionGroups": [high]} and alert.inputs["severity"] == 1, name
        (rule,) = found["pool"].inputs["rules"]
        assert rule["actions"] == [{"actionGroupId": high}] and rule["severity"] == 1
        # The output lists exactly the colour's alerts, by id.
        expected = {f"/{a.inputs.get('ruleName') or a.inputs['ruleGroupName']}" for a in found.values()}
        assert {i[i.rindex("/") :] for i in ids[color]} == expected
        assert ids[color][-1].split("/providers/")[1].startswith("Microsoft.AlertsManagement/prometheusRuleGroups/")


@pytest.mark.parametrize("stack", STACKS)
def test_spec_thresholds_over_one_minute_by_default(plan, stack):
    p = azure_plan(plan, stack)
    found = signals(p, "green")
    latency, errors = criterion(found["p95-latency"]), criterion(found["error-rate"])
    assert (latency["timeAggregation"], latency["metricMeasureColumn"], latency["threshold"]) == (
        "Maximum",
        "p95_ms",
        500,
    )
    assert (errors["timeAggregation"], errors["metricMeasureColumn"], errors["threshold"]) == (
        "Average",
        "server_error",
        1,
    )
    for alert in (found["p95-latency"], found["error-rate"]):
        assert alert.inputs["windowSize"] == "PT1M" and alert.inputs["evaluationFrequency"] == "PT1M"
        assert criterion(alert)["failingPeriods"] == {"numberOfEvaluationPeriods": 1, "minFailingPeriodsToAlert": 1}
        query = criterion(alert)["query"]
        # Only the green origins' requests in Front Door's log.
        assert '| where originName_s in ("web-green.origin.internal", "api-green.origin.internal")' in query
    assert "percentile(latency_ms, 95)" in latency["query"]
    for tier in ("web", "api"):
        cpu, memory = found[f"{tier}-cpu"], found[f"{tier}-memory"]
        assert cpu.inputs["scopes"][0].endswith(f"/virtualMachineScaleSets/platform-{stack}-{tier}-green")
        assert (criterion(cpu)["metricName"], criterion(cpu)["operator"], criterion(cpu)["threshold"]) == (
            "Percentage CPU", "GreaterThan", 90,
        )  # fmt: skip
        assert (criterion(memory)["metricName"], criterion(memory)["operator"], criterion(memory)["threshold"]) == (
            "Available Memory Percentage", "LessThan", 10,
        )  # fmt: skip
        assert cpu.inputs["windowSize"] == memory.inputs["windowSize"] == "PT1M"
    (rule,) = found["pool"].inputs["rules"]
    assert rule["expression"] == 'max(database_pool_connections_in_use{color="green"}) >= 20'
    assert rule["for"] == "PT1M"
    assert found["pool"].inputs["scopes"][0].endswith(f"/Microsoft.Monitor/accounts/platform-{stack}-prometheus")


def test_thresholds_and_windows_follow_config(plan):
    p = azure_plan(
        plan, "dev", "blueGreen.rollback.p95LatencyMs=250", "blueGreen.rollback.errorRatePercent=2",
        "blueGreen.rollback.cpuPercent=80", "blueGreen.rollback.memoryPercent=85",
        "blueGreen.rollback.evaluationPeriods=5", "blueGreen.rollback.maxRollbackSeconds=600",
        "app.databasePoolSize=50", "blueGreen.rollback.poolInUseMetric=db_pool_busy",
    )  # fmt: skip
    found = signals(p, "blue")
    assert criterion(found["p95-latency"])["threshold"] == 250 and criterion(found["error-rate"])["threshold"] == 2
    assert criterion(found["error-rate"])["failingPeriods"] == {
        "numberOfEvaluationPeriods": 5, "minFailingPeriodsToAlert": 5,
    }  # fmt: skip
    assert criterion(found["web-cpu"])["threshold"] == 80 and criterion(found["api-memory"])["threshold"] == 15
    assert found["web-cpu"].inputs["windowSize"] == "PT5M"  # 60 s x 5
    (rule,) = found["pool"].inputs["rules"]
    assert rule["expression"] == 'max(db_pool_busy{color="blue"}) >= 50' and rule["for"] == "PT5M"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            ("blueGreen.rollback.evaluationPeriods=2", "blueGreen.rollback.maxRollbackSeconds=600"),
            "blueGreen.rollback.windowSeconds = 60: x evaluationPeriods (2) = 2 minutes: Azure metric alerts",
        ),
        (
            ("blueGreen.rollback.windowSeconds=120", "blueGreen.rollback.maxRollbackSeconds=600"),
            "blueGreen.rollback.windowSeconds = 120: with evaluationPeriods = 1: Azure log alerts",
        ),
    ],
)
def test_windows_azure_cannot_evaluate_are_refused(plan, overrides, message):
    with pytest.raises(ConfigError) as error:
        azure_plan(plan, "dev", *overrides)
    assert message in str(error.value)
