"""Notification channels per severity, alert policies for SPEC.md's signals, log buckets and audit logs."""

from __future__ import annotations

import pytest

from tests.conftest import STACKS
from tests.gcp.support import gcp_plan, named

POLICY = "gcp:monitoring/alertPolicy:AlertPolicy"
CHANNEL = "gcp:monitoring/notificationChannel:NotificationChannel"
BUCKET = "gcp:logging/projectBucketConfig:ProjectBucketConfig"
SEVERITY = {"critical": "CRITICAL", "high": "ERROR", "medium": "WARNING", "low": "WARNING"}
# The shipped prod stack pages on-call for critical and high (config refuses a prod stack that pages nobody).
PAGED = {"prod": {"critical", "high"}}


def _policies(p) -> dict:
    return {r.name: r.inputs for r in p.of_type(POLICY)}


def _threshold(policy: dict) -> dict:
    (condition,) = policy["conditions"]
    return condition["conditionThreshold"]


@pytest.mark.parametrize("stack", STACKS)
def test_one_pubsub_channel_per_severity(plan, stack):
    p = gcp_plan(plan, stack)
    channels = named(p, "platform:gcp:Alerting", CHANNEL)
    emails = {f"alerts-{s}-email-0" for s in PAGED.get(stack, set())}
    assert set(channels) == {f"alerts-{s}" for s in SEVERITY} | emails
    for name in emails:
        assert channels[name].inputs["labels"] == {"email_address": "oncall@example.com"}
    for severity in SEVERITY:
        channel = channels[f"alerts-{severity}"]
        assert channel.inputs["type"] == "pubsub"
        assert channel.inputs["labels"]["topic"].endswith(f"/topics/platform-{stack}-alerts-{severity}")
        topic = p.named("gcp:pubsub/topic:Topic", f"alerts-{severity}")
        assert topic.inputs["kmsKeyName"]
        publisher = p.named("gcp:pubsub/topicIAMMember:TopicIAMMember", f"alerts-{severity}").inputs
        assert publisher["member"].endswith("@gcp-sa-monitoring-notification.iam.gserviceaccount.com")


def test_email_subscriptions_join_their_severity(plan):
    p = gcp_plan(plan, "dev", 'alarms.subscriptions={"critical":["oncall@example.com"]}')
    email = p.named(CHANNEL, "alerts-critical-email-0").inputs
    assert (email["type"], email["labels"]) == ("email", {"email_address": "oncall@example.com"})
    down = _policies(p)["database-down"]
    assert len(down["notificationChannels"]) == 2


@pytest.mark.parametrize("stack", STACKS)
def test_alert_policies_for_spec_signals_routed_by_severity(plan, stack):
    p = gcp_plan(plan, stack)
    policies = _policies(p)
    expected = {
        "web-blue-cpu-warning": ("medium", 0.7),
        "web-blue-cpu-critical": ("critical", 0.9),
        "api-green-memory-warning": ("medium", 80),
        "worker-disk-critical": ("critical", 95),
        "latency-p95-warning": ("medium", 1000),
        "latency-p95-critical": ("critical", 5000),
        "error-rate-warning": ("medium", 0.01),
        "error-rate-critical": ("critical", 0.05),
        "error-rate-paging": ("critical", 0.1),
        "database-connections": ("medium", 100),
        "database-cpu-critical": ("critical", 0.9),
        "database-disk-warning": ("medium", 0.85),
        "cache-memory-critical": ("critical", 0.95),
        "slow-queries": ("low", 0),
        "failed-logins": ("high", 10),
        "api-usage": ("low", 1000),
        "backup-failed": ("critical", 0),
        "database-down": ("critical", 1),
    }
    for name, (severity, threshold) in expected.items():
        policy = policies[name]
        assert policy["severity"] == SEVERITY[severity], name
        assert _threshold(policy)["thresholdValue"] == pytest.approx(threshold), name
        assert policy["notificationChannels"][0] == p.outputs["gcp_alarm_topic_ids"].value[severity], name
        assert len(policy["notificationChannels"]) == 1 + (severity in PAGED.get(stack, set())), name
    assert _threshold(policies["error-rate-paging"])["duration"] == "120s"
    assert _threshold(policies["error-rate-warning"])["duration"] == "300s"
    assert _threshold(policies["database-connections"])["duration"] == "300s"
    assert _threshold(policies["database-down"])["comparison"] == "COMPARISON_LT"
    assert _threshold(policies["failed-logins"])["aggregations"][0]["alignmentPeriod"] == "3600s"
    assert "denominatorFilter" in _threshold(policies["error-rate-critical"])
    assert _threshold(policies["database-down"])["evaluationMissingData"] == "EVALUATION_MISSING_DATA_ACTIVE"
    assert _threshold(policies["backup-failed"])["duration"] == "0s"  # one failed job is enough
    assert ("database-replica-lag" in policies) == (stack == "prod")


@pytest.mark.parametrize("stack", STACKS)
def test_instance_down_ignores_vms_removed_on_purpose(plan, stack):
    """Scale-in, template rolls and autohealing remove VMs: no condition may watch for a VM's series vanishing."""
    p = gcp_plan(plan, stack)
    policies = _policies(p)
    assert not any("conditionAbsent" in c for policy in policies.values() for c in policy["conditions"])
    metric = p.named("gcp:logging/metric:Metric", "backend-unhealthy").inputs
    assert 'log_id("compute.googleapis.com/healthchecks")' in metric["filter"]
    assert 'previousHealthState="HEALTHY"' in metric["filter"]  # not a booting VM, not one drained for removal
    assert 'detailedHealthState=("UNHEALTHY" OR "TIMEOUT")' in metric["filter"]
    assert metric["labelExtractors"] == {"instance_group": "EXTRACT(resource.labels.instance_group_name)"}
    for group in ("web-blue", "web-green", "api-blue", "api-green"):
        down = _threshold(policies[f"{group}-instance-down"])
        assert f'logging.googleapis.com/user/platform-{stack}-backend-unhealthy"' in down["filter"]
        assert f'metric.labels.instance_group="platform-{stack}-{group}"' in down["filter"]
        assert (down["comparison"], down["thresholdValue"], down["duration"]) == ("COMPARISON_GT", 0, "0s")
        assert down["aggregations"][0]["alignmentPeriod"] == "60s"
        assert policies[f"{group}-instance-down"]["severity"] == "CRITICAL"
    worker = _threshold(policies["worker-instance-down"])
    assert (
        'instance_group="platform-' + stack + '-worker"' in worker["filter"] and "instance/uptime" in worker["filter"]
    )
    assert (worker["comparison"], worker["thresholdValue"]) == ("COMPARISON_LT", 2)  # compute.worker.minSize
    assert worker["aggregations"][0]["crossSeriesReducer"] == "REDUCE_COUNT"
    assert worker["evaluationMissingData"] == "EVALUATION_MISSING_DATA_ACTIVE"  # every worker gone still pages


def test_instance_down_follows_config(plan):
    policies = _policies(gcp_plan(plan, "dev", "alarms.downMinutes=3", "compute.worker.minSize=4"))
    assert _threshold(policies["api-green-instance-down"])["aggregations"][0]["alignmentPeriod"] == "180s"
    worker = _threshold(policies["worker-instance-down"])
    assert (worker["thresholdValue"], worker["duration"]) == (4, "180s")


def test_replica_lag_alarm_at_five_minutes_in_prod(plan):
    lag = _threshold(_policies(gcp_plan(plan, "prod"))["database-replica-lag"])
    assert lag["thresholdValue"] == 300
    assert 'database_id="platform-example:platform-prod-postgres-dr"' in lag["filter"]


def test_group_alarms_name_their_group(plan):
    p = gcp_plan(plan, "prod")
    group = p.named("gcp:compute/regionInstanceGroupManager:RegionInstanceGroupManager", "api-green")
    cpu = p.named(POLICY, "api-green-cpu-critical")
    assert 'instance_group="platform-prod-api-green"' in _threshold(cpu.inputs)["filter"]
    assert group.urn in cpu.dependencies


def test_slow_query_metric_counts_postgres_duration_logs(plan):
    metric = gcp_plan(plan, "dev").named("gcp:logging/metric:Metric", "slow-queries").inputs
    assert 'resource.type="cloudsql_database"' in metric["filter"] and "duration:" in metric["filter"]


@pytest.mark.parametrize(("stack", "app", "audit"), [("dev", 7, 30), ("staging", 30, 90), ("prod", 90, 365)])
def test_log_buckets_kept_per_environment_and_cmek(plan, stack, app, audit):
    p = gcp_plan(plan, stack)
    buckets = named(p, "platform:gcp:AppLogs", BUCKET)
    dr = {"database-dr": app, "audit-dr": audit} if stack == "prod" else {}
    assert {name: b.inputs["retentionDays"] for name, b in buckets.items()} == {
        "web": app,
        "api": app,
        "worker": app,
        "database": app,
        "load-balancer": app,
        "audit": audit,
        **dr,
    }
    keys = {key.name: key.urn for key in p.of_type("gcp:kms/cryptoKey:CryptoKey")}
    for name, bucket in buckets.items():
        key, region = ("dr-logs", "us-east1") if name.endswith("-dr") else ("logs", "us-central1")
        assert bucket.property_dependencies["cmekSettings"] == [keys[key]], name
        assert bucket.inputs["location"] == region, name
    sinks = named(p, "platform:gcp:AppLogs", "gcp:logging/projectSink:ProjectSink")
    assert "cloudaudit.googleapis.com" in sinks["audit"].inputs["filter"]
    assert sinks["audit"].inputs["destination"].startswith("logging.googleapis.com/projects/")
    audit_config = p.named("gcp:projects/iAMAuditConfig:IAMAuditConfig", "audit").inputs
    assert audit_config["service"] == "allServices"
    assert {c["logType"] for c in audit_config["auditLogConfigs"]} == {"ADMIN_READ", "DATA_WRITE"}
