"""Alert topics: one per severity, encrypted, publishable only by the alerting services over TLS."""

from __future__ import annotations

import json

import pytest

TOPIC = "aws:sns/topic:Topic"
POLICY = "aws:sns/topicPolicy:TopicPolicy"
SUBSCRIPTION = "aws:sns/topicSubscription:TopicSubscription"
SEVERITIES = ("critical", "high", "medium", "low")


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_one_kms_encrypted_topic_per_severity(plan, stack):
    p = plan(stack)
    topics = {r.name: r for r in p.children("platform:aws:Alerting") if r.type == TOPIC}
    assert set(topics) == set(SEVERITIES)
    alerts_key = p.named("aws:kms/key:Key", "alerts")
    for severity, topic in topics.items():
        assert topic.inputs["name"] == f"platform-{stack}-alerts-{severity}"
        assert topic.inputs["kmsMasterKeyId"].startswith("arn:aws:kms:")
        assert alerts_key.urn in topic.property_dependencies["kmsMasterKeyId"]
        assert topic.inputs["tags"]["environment"] == stack


def test_routing_follows_spec(plan):
    topics = {r.name: r for r in plan("prod").of_type(TOPIC) if r.name in SEVERITIES}
    routing = {severity: topics[severity].inputs["tags"]["routing"] for severity in SEVERITIES}
    assert routing == {
        "critical": "on-call paging",
        "high": "on-call paging",
        "medium": "operations team",
        "low": "dashboard and daily report",
    }


def test_topic_policy_lets_alerting_services_publish_from_this_account_and_denies_plain_http(plan):
    p = plan("prod")
    for severity in SEVERITIES:
        topic_arn = f"arn:aws:sns:us-east-1:123456789012:platform-prod-alerts-{severity}"
        policy = p.named(POLICY, severity)
        assert policy.inputs["arn"] == topic_arn
        statements = {s["Sid"]: s for s in json.loads(policy.inputs["policy"])["Statement"]}
        publish = statements["AlertingServicesPublish"]
        assert publish["Effect"] == "Allow" and publish["Action"] == "sns:Publish"
        assert set(publish["Principal"]["Service"]) == {
            "cloudwatch.amazonaws.com",
            "events.amazonaws.com",
            "events.rds.amazonaws.com",
        }
        assert publish["Condition"] == {"StringEquals": {"aws:SourceAccount": "123456789012"}}
        assert publish["Resource"] == topic_arn
        # AWS Backup's vault notifications, as AWS Backup documents the topic policy: its principal, no condition
        # (it is not documented to send aws:SourceAccount, and a condition it does not meet drops every event).
        vault = statements["BackupVaultNotifications"]
        assert (vault["Principal"], vault["Action"], vault["Resource"]) == (
            {"Service": "backup.amazonaws.com"},
            "sns:Publish",
            topic_arn,
        )
        assert "Condition" not in vault
        # The owner's rights are SNS actions only (sns:Receive, a leftover of SNS's legacy default policy, is none).
        assert "sns:Receive" not in statements["AccountManages"]["Action"]
        assert set(statements) == {
            "AccountManages",
            "AlertingServicesPublish",
            "BackupVaultNotifications",
            "DenyInsecureTransport",
        }
        deny = statements["DenyInsecureTransport"]
        assert deny["Effect"] == "Deny" and deny["Principal"] == "*"
        assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_no_subscriptions_by_default(plan):
    assert plan("dev").of_type(SUBSCRIPTION) == []


def test_email_subscriptions_from_config(plan):
    p = plan(
        "dev",
        'alarms.subscriptions={"critical": ["oncall@example.com", "lead@example.com"], "low": ["ops@example.com"]}',
    )
    subscribed = {
        (r.inputs["topic"].rsplit("-", 1)[-1], r.inputs["endpoint"], r.inputs["protocol"])
        for r in p.of_type(SUBSCRIPTION)
    }
    assert subscribed == {
        ("critical", "oncall@example.com", "email"),
        ("critical", "lead@example.com", "email"),
        ("low", "ops@example.com", "email"),
    }
