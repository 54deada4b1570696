"""An S3 bucket with the platform's baseline: versioned, KMS-encrypted, private, TLS-only."""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_aws as aws

from ..config import PlatformConfig
from .iam import policy_document, tls_only_statement


class SecureBucket(pulumi.ComponentResource):
    """Used for the audit trail, configuration backups and their DR replica.

    ``policy_statements`` is called with the bucket ARN and returns statements to add to the
    TLS-only policy (e.g. CloudTrail's write access). ``expiration_days`` expires objects
    and their old versions, for logs kept exactly as long as the retention requires.
    """

    bucket: aws.s3.Bucket
    versioning: aws.s3.BucketVersioning

    def __init__(
        self,
        name: str,
        cfg: PlatformConfig,
        key: aws.kms.Key,
        service: str,
        policy_statements: Any = None,
        expiration_days: int | None = None,
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
        aws.s3.BucketServerSideEncryptionConfiguration(
            name,
            bucket=self.bucket.id,
            rules=[
                {
                    "apply_server_side_encryption_by_default": {
                        "sse_algorithm": "aws:kms",
                        "kms_master_key_id": key.arn,
                    },
                    "bucket_key_enabled": True,
                }
            ],
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
        aws.s3.BucketPolicy(
            name,
            bucket=self.bucket.id,
            policy=policy_document(tls_only_statement(self.bucket.arn), *extra),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[access_block]),
        )
        if expiration_days:
            aws.s3.BucketLifecycleConfiguration(
                name,
                bucket=self.bucket.id,
                rules=[
                    {
                        "id": "retention",
                        "status": "Enabled",
                        "filter": {},
                        "expiration": {"days": expiration_days},
                        "noncurrent_version_expiration": {"noncurrent_days": expiration_days},
                    }
                ],
                opts=pulumi.ResourceOptions(parent=self, depends_on=[self.versioning]),
            )
        self.register_outputs({"bucket": self.bucket.bucket})
