"""The audit log of configuration changes: a multi-region CloudTrail of management events.

SPEC.md asks for audit logging of configuration changes, kept for the audit retention
(30/90/365 days). Every management API call, read and write, in every region goes to a
KMS-encrypted, TLS-only bucket with log file validation (tamper evidence) and expiring at
the retention, and to a CloudWatch log group with the same retention for searching.
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_aws as aws

from ..config import PlatformConfig
from .bucket import SecureBucket
from .iam import assume_role_policy, policy_document

TRAIL = "audit"


def home_trail_arn(cfg: PlatformConfig, parent: pulumi.Resource) -> pulumi.Output[str]:
    """The trail's ARN in its home region, known before the trail exists (key and bucket policies name it)."""
    invoke = pulumi.InvokeOutputOptions(parent=parent)
    return pulumi.Output.concat(
        "arn:",
        aws.get_partition_output(opts=invoke).partition,
        ":cloudtrail:",
        aws.get_region_output(opts=invoke).region,
        ":",
        aws.get_caller_identity_output(opts=invoke).account_id,
        ":trail/",
        cfg.name(TRAIL),
    )


class AuditTrail(pulumi.ComponentResource):
    trail: aws.cloudtrail.Trail
    bucket: aws.s3.Bucket
    log_group: aws.cloudwatch.LogGroup

    def __init__(
        self, name: str, cfg: PlatformConfig, logs_key: aws.kms.Key, opts: pulumi.ResourceOptions | None = None
    ):
        super().__init__("platform:aws:AuditTrail", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        invoke = pulumi.InvokeOutputOptions(parent=self)
        tags = cfg.tags_for("audit")
        retention = cfg.logging.audit_retention_days
        trail_name = cfg.name(TRAIL)
        account_id = aws.get_caller_identity_output(opts=invoke).account_id
        trail_arn = home_trail_arn(cfg, self)

        def cloudtrail_writes(bucket_arn: pulumi.Output[str]) -> list[dict[str, Any]]:
            """CloudTrail may check the ACL and write its files, for this trail of this account only."""
            from_this_trail = {"aws:SourceArn": trail_arn, "aws:SourceAccount": account_id}
            return [
                {
                    "Sid": "CloudTrailAclCheck",
                    "Effect": "Allow",
                    "Principal": {"Service": "cloudtrail.amazonaws.com"},
                    "Action": "s3:GetBucketAcl",
                    "Resource": bucket_arn,
                    "Condition": {"StringEquals": from_this_trail},
                },
                {
                    "Sid": "CloudTrailWrite",
                    "Effect": "Allow",
                    "Principal": {"Service": "cloudtrail.amazonaws.com"},
                    "Action": "s3:PutObject",
                    "Resource": pulumi.Output.concat(bucket_arn, "/AWSLogs/", account_id, "/*"),
                    "Condition": {"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control", **from_this_trail}},
                },
            ]

        storage = SecureBucket(
            f"{name}-logs",
            cfg,
            key=logs_key,
            service="audit",
            policy_statements=cloudtrail_writes,
            expiration_days=retention,
            opts=child,
        )
        self.bucket = storage.bucket
        self.log_group = aws.cloudwatch.LogGroup(
            name,
            name=f"/platform/{cfg.environment}/audit",
            retention_in_days=retention,
            kms_key_id=logs_key.arn,
            tags=tags,
            opts=child,
        )
        role = aws.iam.Role(
            f"{name}-to-logs", assume_role_policy=assume_role_policy("cloudtrail.amazonaws.com"), tags=tags, opts=child
        )
        delivery = aws.iam.RolePolicy(
            f"{name}-to-logs",
            role=role.id,
            policy=policy_document(
                {
                    "Effect": "Allow",
                    "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                    "Resource": pulumi.Output.concat(self.log_group.arn, ":log-stream:*"),
                }
            ),
            opts=child,
        )
        self.trail = aws.cloudtrail.Trail(
            name,
            name=trail_name,
            s3_bucket_name=self.bucket.id,
            kms_key_id=logs_key.arn,
            cloud_watch_logs_group_arn=pulumi.Output.concat(self.log_group.arn, ":*"),
            cloud_watch_logs_role_arn=role.arn,
            is_multi_region_trail=True,
            include_global_service_events=True,
            enable_log_file_validation=True,
            event_selectors=[{"read_write_type": "All", "include_management_events": True}],
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[storage, delivery]),
        )
        self.register_outputs({"trail_arn": self.trail.arn, "bucket": self.bucket.bucket})
