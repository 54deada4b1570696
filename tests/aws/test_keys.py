"""KMS keys: customer-managed, rotating at the shortest period AWS allows, DR copies in prod."""

from __future__ import annotations

import json

KEY = "aws:kms/key:Key"


def test_keys_rotate_at_aws_minimum_for_spec_30_days(plan):
    keys = plan("dev").of_type(KEY)
    assert {k.name for k in keys} == {"data", "logs", "alerts"}
    for key in keys:
        assert key.inputs["enableKeyRotation"] is True
        assert key.inputs["rotationPeriodInDays"] == 90  # SPEC asks 30; AWS allows 90 at the shortest
        assert key.inputs["customerMasterKeySpec"] == "SYMMETRIC_DEFAULT"


def test_longer_rotation_from_config_is_kept(plan):
    assert all(
        k.inputs["rotationPeriodInDays"] == 180 for k in plan("dev", "security.keyRotationDays=180").of_type(KEY)
    )


def _statements(plan, key):
    return {s["Sid"]: s for s in json.loads(plan.named(KEY, key).inputs["policy"])["Statement"]}


def test_logs_key_is_scoped_to_this_accounts_log_groups_and_trails(plan):
    statements = _statements(plan("dev"), "logs")
    logs = statements["CloudWatchLogsInThisAccount"]
    assert logs["Principal"]["Service"] == "logs.us-east-1.amazonaws.com"
    assert logs["Condition"]["ArnLike"]["kms:EncryptionContext:aws:logs:arn"] == (
        "arn:aws:logs:us-east-1:123456789012:log-group:*"
    )
    assert set(statements) == {
        "AccountAdministers",
        "CloudWatchLogsInThisAccount",
        "CloudTrailInThisAccount",
        "CloudTrailDescribesKey",
    }


def test_cloudtrail_encrypts_for_this_trail_and_describes_the_key_without_a_context(plan):
    """As CloudTrail's key-policy page asks: DescribeKey carries no encryption context, so a statement conditioned
    on one never allows it and CreateTrail is refused (InsufficientEncryptionPolicyException)."""
    p = plan("dev")
    statements = _statements(p, "logs")
    trail_name = p.named("aws:cloudtrail/trail:Trail", "audit").inputs["name"]
    encrypt, describe = statements["CloudTrailInThisAccount"], statements["CloudTrailDescribesKey"]
    assert encrypt["Principal"] == describe["Principal"] == {"Service": "cloudtrail.amazonaws.com"}
    assert encrypt["Action"] == ["kms:GenerateDataKey*"]
    assert encrypt["Condition"] == {
        "StringEquals": {"aws:SourceArn": f"arn:aws:cloudtrail:us-east-1:123456789012:trail/{trail_name}"},
        "StringLike": {"kms:EncryptionContext:aws:cloudtrail:arn": "arn:aws:cloudtrail:*:123456789012:trail/*"},
    }
    assert describe["Action"] == ["kms:DescribeKey"]
    assert "Condition" not in describe


def test_alerts_key_lets_every_publisher_reach_encrypted_topics(plan):
    statements = _statements(plan("dev"), "alerts")
    alarms = statements["CloudWatchAlarmsInThisAccount"]
    assert alarms["Condition"]["StringEquals"]["aws:SourceAccount"] == "123456789012"
    for sid, service in (
        ("EventsPublishesToTopics", "events.amazonaws.com"),
        ("EventsRdsPublishesToTopics", "events.rds.amazonaws.com"),
        ("BackupPublishesToTopics", "backup.amazonaws.com"),
    ):
        # These services send no aws:SourceAccount to KMS: a condition on it would drop their messages.
        assert statements[sid]["Principal"]["Service"] == service
        assert "Condition" not in statements[sid]
        assert statements[sid]["Action"] == ["kms:Decrypt", "kms:GenerateDataKey*"]


def test_data_key_lets_autoscaling_launch_encrypted_volumes(plan):
    statements = _statements(plan("staging"), "data")
    role = "arn:aws:iam::123456789012:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling"
    use, grant = statements["AutoScalingUsesForVolumes"], statements["AutoScalingGrantsForVolumes"]
    for statement in (use, grant):
        assert statement["Condition"]["ArnEquals"]["aws:PrincipalArn"] == role
        assert statement["Condition"]["StringEquals"]["kms:CallerAccount"] == "123456789012"
    assert "kms:GenerateDataKey*" in use["Action"]
    assert grant["Action"] == ["kms:CreateGrant"]
    assert grant["Condition"]["Bool"]["kms:GrantIsForAWSResource"] == "true"
    assert "kms:*" not in use["Action"]


def test_prod_keys_wait_30_days_before_deletion(plan):
    """A key scheduled for deletion takes everything it encrypted with it: prod keeps the longest window KMS allows."""
    assert {k.name: k.inputs["deletionWindowInDays"] for k in plan("prod").of_type(KEY)} == {
        name: 30 for name in ("data", "logs", "alerts", "dr-data", "dr-logs")
    }
    assert {k.inputs["deletionWindowInDays"] for k in plan("dev").of_type(KEY)} == {7}


def test_prod_has_protected_dr_region_keys(plan):
    p = plan("prod")
    dr = [k for k in p.of_type(KEY) if k.name.startswith("dr-")]
    assert {k.name for k in dr} == {"dr-data", "dr-logs"}
    assert all("aws-dr" in k.provider for k in dr)
    assert all(k.protect for k in p.of_type(KEY))
    assert not any(k.name.startswith("dr-") for k in plan("staging").of_type(KEY))
