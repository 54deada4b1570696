"""Where the load balancer and the configuration and audit buckets log every request they serve.

One bucket holds both kinds of access log: the load balancer's (under ``alb/``, kept for the app
log retention, like flow logs) and S3 server access logs of the config and audit buckets (under
``s3/<bucket>/``, kept for the audit retention: they record who read or wrote configuration and
audit logs). It is the one bucket on S3-managed keys (SSE-S3): Elastic Load Balancing writes
access logs only to such a bucket ("Enable access logs for your Application Load Balancer":
the only server-side encryption option supported is SSE-S3), and S3 server access logging has
documented the same restriction for its destination, so both share the one exception.

Each delivery service may write only its own prefix: ELB through its log-delivery service
principal (the policy AWS documents for every Region, replacing the older per-Region ELB
account), S3 through ``logging.s3.amazonaws.com`` for exactly the source bucket it logs, in
this account. The bucket logs nothing about itself (that would log its own log writes).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pulumi
import pulumi_aws as aws

from ..config import PlatformConfig
from .bucket import SecureBucket

ALB_PREFIX = "alb"
S3_PREFIX = "s3"


class AccessLogs(pulumi.ComponentResource):
    bucket: aws.s3.Bucket
    policy: aws.s3.BucketPolicy

    def __init__(
        self,
        name: str,
        cfg: PlatformConfig,
        sources: Mapping[str, aws.s3.Bucket],
        opts: pulumi.ResourceOptions | None = None,
    ):
        """``sources``: the buckets whose server access logs land here, by the label of their prefix."""
        super().__init__("platform:aws:AccessLogs", name, None, opts)
        account_id = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=self)).account_id

        def delivery(bucket_arn: pulumi.Output[str]) -> list[dict[str, Any]]:
            elb = {
                "Sid": "ElbAccessLogDelivery",
                "Effect": "Allow",
                "Principal": {"Service": "logdelivery.elasticloadbalancing.amazonaws.com"},
                "Action": "s3:PutObject",
                "Resource": pulumi.Output.concat(bucket_arn, f"/{ALB_PREFIX}/AWSLogs/", account_id, "/*"),
            }
            s3 = [
                {
                    "Sid": f"S3ServerAccessLogs{label.title()}",
                    "Effect": "Allow",
                    "Principal": {"Service": "logging.s3.amazonaws.com"},
                    "Action": "s3:PutObject",
                    "Resource": pulumi.Output.concat(bucket_arn, f"/{S3_PREFIX}/{label}/*"),
                    "Condition": {
                        "ArnLike": {"aws:SourceArn": source.arn},
                        "StringEquals": {"aws:SourceAccount": account_id},
                    },
                }
                for label, source in sources.items()
            ]
            return [elb, *s3]

        storage = SecureBucket(
            name,
            cfg,
            key=None,  # SSE-S3: the only encryption ELB log delivery supports
            service="access-logs",
            policy_statements=delivery,
            expiration_days={
                f"{ALB_PREFIX}/": cfg.logging.app_retention_days,
                f"{S3_PREFIX}/": cfg.logging.audit_retention_days,
            },
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.bucket, self.policy = storage.bucket, storage.policy
        for label, source in sources.items():
            aws.s3.BucketLogging(
                label,
                bucket=source.id,
                target_bucket=self.bucket.id,
                target_prefix=f"{S3_PREFIX}/{label}/",
                # S3 checks it may deliver when logging is turned on, so the policy comes first.
                opts=pulumi.ResourceOptions(parent=self, depends_on=[self.policy]),
            )
        self.register_outputs({"bucket": self.bucket.bucket})
