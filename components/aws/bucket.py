"""An S3 bucket with the platform's baseline: versioned, encrypted, private, TLS-only."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pulumi
import pulumi_aws as aws

from ..config import PlatformConfig
from .iam import policy_document, tls_only_statement

SSE_S3 = "AES256"


class SecureBucket(pulumi.ComponentResource):
    """Used for the audit trail, configuration backups, their DR replicas and the access logs.

    ``key`` is the customer-managed key objects are encrypted with; None means S3-managed keys
    (SSE-S3), which only the access-log bucket uses, because Elastic Load Balancing delivers
    access logs to nothing else. ``policy_statements`` is called with the bucket ARN and returns
    statements to add to the TLS-only policy (e.g. CloudTrail's write access). ``expiration_days``
    expires objects and their old versions, for logs kept exactly as long as their retention:
    one number for the whole bucket, or days per key prefix.
    """

    bucket: aws.s3.Bucket
    versioning: aws.s3.BucketVersioning
    policy: aws.s3.BucketPolicy

    def __init__(
        self,
        name: str,
        cfg: PlatformConfig,
        key: aws.kms.Key | None,
        service: str,
        policy_statements: Any = None,
        expiration_days: int | Mapping[str, int] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__("platform:aws:SecureBucket", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        prod = cfg.environment == "prod"
        self.bucket = aws.s3.Bucket(
            name,
            force_destroy=not prod,
            tags=cfg.tags_for(service),
            opts=pulumi.ResourceOptions(parent=self, protect=prod),
        )
        self.versioning = aws.s3.BucketVersioning(
            name, bucket=self.bucket.id, versioning_configuration={"status": "Enabled"}, opts=child
        )
        default: Any = {"sse_algorithm": "aws:kms", "kms_master_key_id": key.arn} if key else {"sse_algorithm": SSE_S3}
        aws.s3.BucketServerSideEncryptionConfiguration(
            name,
            bucket=self.bucket.id,
            rules=[{"apply_server_side_encryption_by_default": default, "bucket_key_enabled": key is not None}],
            opts=child,
        )
        access_block = aws.s3.BucketPublicAccessBlock(
            name,
            bucket=self.bucket.id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
            opts=child,
        )
        aws.s3.BucketOwnershipControls(
            name, bucket=self.bucket.id, rule={"object_ownership": "BucketOwnerEnforced"}, opts=child
        )
        extra = policy_statements(self.bucket.arn) if policy_statements else []
        self.policy = aws.s3.BucketPolicy(
            name,
            bucket=self.bucket.id,
            policy=policy_document(tls_only_statement(self.bucket.arn), *extra),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[access_block]),
        )
        if expiration_days:
            by_prefix = {"": expiration_days} if isinstance(expiration_days, int) else dict(expiration_days)
            aws.s3.BucketLifecycleConfiguration(
                name,
                bucket=self.bucket.id,
                rules=[
                    {
                        "id": f"retention-{prefix.strip('/')}" if prefix else "retention",
                        "status": "Enabled",
                        "filter": {"prefix": prefix} if prefix else {},
                        "expiration": {"days": days},
                        "noncurrent_version_expiration": {"noncurrent_days": days},
                    }
                    for prefix, days in by_prefix.items()
                ],
                opts=pulumi.ResourceOptions(parent=self, depends_on=[self.versioning]),
            )
        self.register_outputs({"bucket": self.bucket.bucket})
