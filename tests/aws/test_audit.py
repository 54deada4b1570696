"""The audit trail of configuration changes: CloudTrail to S3 and CloudWatch Logs, kept per environment."""

from __future__ import annotations

import json

import pytest

TRAIL = "aws:cloudtrail/trail:Trail"
ACCOUNT = "123456789012"


def _audit_resource(p, type_: str):
    """The one resource of that type under the AuditTrail component or its (primary) SecureBucket."""
    audit = {r.urn for r in p.resources if r.type == "platform:aws:AuditTrail"}
    audit |= {
        r.urn
        for r in p.resources
        if r.type == "platform:aws:SecureBucket" and r.parent in audit and r.name == "audit-logs"
    }
    (match,) = [r for r in p.resources if r.type == type_ and r.parent in audit and "replica" not in r.name]
    return match


def _selectors(trail):
    return {s["name"]: {f["field"]: f for f in s["fieldSelectors"]} for s in trail.inputs["advancedEventSelectors"]}


def test_multi_region_trail_of_all_management_events_with_validation_and_kms(plan):
    p = plan("prod")
    trail = p.named(TRAIL, "audit")
    assert trail.inputs["isMultiRegionTrail"] is True
    assert trail.inputs["includeGlobalServiceEvents"] is True
    assert trail.inputs["enableLogFileValidation"] is True
    # Management events, reads and writes alike (no readOnly filter).
    assert _selectors(trail)["Management events"] == {
        "eventCategory": {"field": "eventCategory", "equals": ["Management"]}
    }
    assert "eventSelectors" not in trail.inputs  # the two selector kinds exclude each other
    assert p.named("aws:kms/key:Key", "logs").urn in trail.property_dependencies["kmsKeyId"]
    bucket = _audit_resource(p, "aws:s3/bucket:Bucket")
    assert bucket.urn in trail.property_dependencies["s3BucketName"]


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_data_events_cover_the_config_objects_and_audit_log_access_without_logging_its_own_uploads(plan, stack):
    p = plan(stack)
    trail = p.named(TRAIL, "audit")
    selectors = _selectors(trail)
    config = p.outputs["aws_config_bucket_name"].value
    for name, bucket in (
        ("Configuration objects", config),
        ("Audit log reads", "audit-logs-"),
        ("Audit log changes other than uploads", "audit-logs-"),
    ):
        fields = selectors[name]
        assert fields["eventCategory"]["equals"] == ["Data"]
        assert fields["resources.type"]["equals"] == ["AWS::S3::Object"]
        (prefix,) = fields["resources.ARN"]["startsWiths"]
        assert prefix.startswith(f"arn:aws:s3:::{bucket}") and prefix.endswith("/")
    audit = _audit_resource(p, "aws:s3/bucket:Bucket")
    assert audit.urn in trail.property_dependencies["advancedEventSelectors"]
    assert "readOnly" not in selectors["Configuration objects"]  # reads and writes
    assert selectors["Audit log reads"]["readOnly"]["equals"] == ["true"]
    changes = selectors["Audit log changes other than uploads"]
    assert changes["readOnly"]["equals"] == ["false"]
    assert changes["eventName"]["notEquals"] == ["PutObject"]  # CloudTrail's uploads would log themselves
    assert p.named("aws:s3/bucket:Bucket", "config").urn in trail.property_dependencies["advancedEventSelectors"]


def test_prod_audit_bucket_is_replicated_to_the_dr_region_under_the_dr_logs_key(plan):
    p = plan("prod")
    replica = p.named("aws:s3/bucket:Bucket", "audit-logs-replica")
    assert "aws-dr" in replica.provider and replica.protect
    config = p.named("aws:s3/bucketReplicationConfig:BucketReplicationConfig", "audit-logs")
    (rule,) = config.inputs["rules"]
    assert rule["destination"]["bucket"].startswith("arn:aws:s3:::audit-logs-replica-")
    assert rule["destination"]["encryptionConfiguration"]["replicaKmsKeyId"].startswith("arn:aws:kms:us-west-2:")
    assert {replica.urn, p.named("aws:kms/key:Key", "dr-logs").urn} <= set(config.property_dependencies["rules"])
    assert config.property_dependencies["bucket"] == [_audit_resource(p, "aws:s3/bucket:Bucket").urn]
    assert rule["deleteMarkerReplication"]["status"] == "Enabled"
    # The replica keeps the audit logs exactly as long as the source does.
    lifecycle = [
        r
        for r in p.children("platform:aws:SecureBucket", "audit-logs-replica")
        if r.type == "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"
    ]
    (replica_rule,) = lifecycle[0].inputs["rules"]
    assert replica_rule["expiration"]["days"] == 365


@pytest.mark.parametrize("stack", ["dev", "staging"])
def test_audit_bucket_is_not_replicated_without_dr(plan, stack):
    assert not [b for b in plan(stack).of_type("aws:s3/bucket:Bucket") if "replica" in b.name]


def test_trail_delivers_to_the_audit_log_group_through_a_role_cloudtrail_assumes(plan):
    p = plan("dev")
    trail = p.named(TRAIL, "audit")
    group = _audit_resource(p, "aws:cloudwatch/logGroup:LogGroup")
    assert trail.inputs["cloudWatchLogsGroupArn"] == f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/platform/dev/audit:*"
    role = _audit_resource(p, "aws:iam/role:Role")
    trust = json.loads(role.inputs["assumeRolePolicy"])["Statement"][0]
    assert trust["Principal"] == {"Service": "cloudtrail.amazonaws.com"}
    assert role.urn in trail.property_dependencies["cloudWatchLogsRoleArn"]
    (statement,) = json.loads(_audit_resource(p, "aws:iam/rolePolicy:RolePolicy").inputs["policy"])["Statement"]
    assert set(statement["Action"]) == {"logs:CreateLogStream", "logs:PutLogEvents"}
    assert statement["Resource"].startswith(f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/platform/dev/audit:")
    assert group.urn in trail.property_dependencies["cloudWatchLogsGroupArn"]


@pytest.mark.parametrize(("stack", "days"), [("dev", 30), ("staging", 90), ("prod", 365)])
def test_audit_logs_kept_for_the_audit_retention(plan, stack, days):
    p = plan(stack)
    group = _audit_resource(p, "aws:cloudwatch/logGroup:LogGroup")
    assert group.inputs["retentionInDays"] == days
    assert p.named("aws:kms/key:Key", "logs").urn in group.property_dependencies["kmsKeyId"]
    (rule,) = _audit_resource(p, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration").inputs["rules"]
    assert rule["expiration"]["days"] == days
    assert rule["noncurrentVersionExpiration"]["noncurrentDays"] == days


def test_audit_retention_follows_config(plan):
    p = plan("staging", "logging.auditRetentionDays=180")
    assert _audit_resource(p, "aws:cloudwatch/logGroup:LogGroup").inputs["retentionInDays"] == 180
    (rule,) = _audit_resource(p, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration").inputs["rules"]
    assert rule["expiration"]["days"] == 180


def test_bucket_policy_lets_only_this_trail_write_with_owner_full_control(plan):
    p = plan("prod")
    policy = json.loads(_audit_resource(p, "aws:s3/bucketPolicy:BucketPolicy").inputs["policy"])
    statements = {s["Sid"]: s for s in policy["Statement"]}
    trail_arn = f"arn:aws:cloudtrail:us-east-1:{ACCOUNT}:trail/platform-prod-audit"
    acl, write = statements["CloudTrailAclCheck"], statements["CloudTrailWrite"]
    assert acl["Action"] == "s3:GetBucketAcl" and write["Action"] == "s3:PutObject"
    for statement in (acl, write):
        assert statement["Principal"] == {"Service": "cloudtrail.amazonaws.com"}
        assert statement["Condition"]["StringEquals"]["aws:SourceArn"] == trail_arn
        assert statement["Condition"]["StringEquals"]["aws:SourceAccount"] == ACCOUNT
    assert write["Condition"]["StringEquals"]["s3:x-amz-acl"] == "bucket-owner-full-control"
    assert write["Resource"].endswith(f"/AWSLogs/{ACCOUNT}/*")
    assert statements["DenyInsecureTransport"]["Effect"] == "Deny"
    assert p.named(TRAIL, "audit").inputs["name"] == "platform-prod-audit"
