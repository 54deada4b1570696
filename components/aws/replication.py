"""Cross-region replication of a bucket to the DR region (SPEC.md: prod replicates object storage).

Every object version (KMS-encrypted) and delete marker is copied to a bucket in the DR region,
re-encrypted there with a DR-region key. Replication Time Control commits S3 to replicate
within 15 minutes, well within SPEC.md's RPO of 1 hour, and emits metrics when it misses.
"""

from __future__ import annotations

from collections.abc import Mapping

import pulumi
import pulumi_aws as aws

from ..config import PlatformConfig
from .bucket import SecureBucket
from .iam import assume_role_policy, policy_document

# S3 Replication Time Control accepts exactly this threshold.
RTC_MINUTES = 15


def dr_replica(
    parent: pulumi.Resource,
    name: str,
    cfg: PlatformConfig,
    source: SecureBucket,
    keys: tuple[aws.kms.Key, aws.kms.Key],
    dr_provider: aws.Provider,
    service: str,
    expiration_days: int | Mapping[str, int] | None = None,
) -> tuple[SecureBucket, aws.iam.Role]:
    """A replica of ``source`` in the DR region under the DR key (``keys``: source key, DR key), kept as long as
    the source keeps its objects; returns the replica and the role S3 replicates with."""
    key, dr_key = keys
    replica = SecureBucket(
        f"{name}-replica",
        cfg,
        key=dr_key,
        service=service,
        expiration_days=expiration_days,
        opts=pulumi.ResourceOptions(parent=parent, provider=dr_provider),
    )
    return replica, _replicate(parent, name, cfg, source, replica, key, dr_key, service)


def _replicate(
    parent: pulumi.Resource,
    name: str,
    cfg: PlatformConfig,
    source: SecureBucket,
    replica: SecureBucket,
    key: aws.kms.Key,
    dr_key: aws.kms.Key,
    service: str,
) -> aws.iam.Role:
    """Replicate every version and delete marker, re-encrypted with the DR key, under RTC."""
    child = pulumi.ResourceOptions(parent=parent)
    src, dst = source.bucket.arn, replica.bucket.arn
    role = aws.iam.Role(
        f"{name}-replication",
        assume_role_policy=assume_role_policy("s3.amazonaws.com"),
        tags=cfg.tags_for(service),
        opts=child,
    )
    policy = aws.iam.RolePolicy(
        f"{name}-replication",
        role=role.id,
        policy=policy_document(
            {
                "Sid": "ReadSourceConfiguration",
                "Effect": "Allow",
                "Action": ["s3:GetReplicationConfiguration", "s3:ListBucket"],
                "Resource": src,
            },
            {
                "Sid": "ReadSourceVersions",
                "Effect": "Allow",
                "Action": [
                    "s3:GetObjectVersionForReplication",
                    "s3:GetObjectVersionAcl",
                    "s3:GetObjectVersionTagging",
                ],
                "Resource": pulumi.Output.concat(src, "/*"),
            },
            {
                "Sid": "WriteReplicas",
                "Effect": "Allow",
                "Action": ["s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags"],
                "Resource": pulumi.Output.concat(dst, "/*"),
            },
            _kms_via_s3("DecryptSource", ["kms:Decrypt"], key, cfg.aws.region, src),
            _kms_via_s3("EncryptReplicas", ["kms:Encrypt", "kms:GenerateDataKey"], dr_key, cfg.aws.dr_region, dst),
        ),
        opts=child,
    )
    aws.s3.BucketReplicationConfig(
        name,
        bucket=source.bucket.id,
        role=role.arn,
        rules=[
            {
                "id": "disaster-recovery",
                "status": "Enabled",
                "filter": {},
                "delete_marker_replication": {"status": "Enabled"},
                "source_selection_criteria": {"sse_kms_encrypted_objects": {"status": "Enabled"}},
                "destination": {
                    "bucket": dst,
                    "encryption_configuration": {"replica_kms_key_id": dr_key.arn},
                    "replication_time": {"status": "Enabled", "time": {"minutes": RTC_MINUTES}},
                    "metrics": {"status": "Enabled", "event_threshold": {"minutes": RTC_MINUTES}},
                },
            }
        ],
        # S3 needs both buckets versioned, and the role's permissions in place before the first
        # object is written, or that object fails to replicate while IAM propagates.
        opts=pulumi.ResourceOptions(parent=parent, depends_on=[source.versioning, replica.versioning, policy]),
    )
    return role


def _kms_via_s3(
    sid: str, actions: list[str], key: aws.kms.Key, region: str, bucket_arn: pulumi.Output[str]
) -> dict[str, object]:
    """Use of ``key`` only by S3 in ``region``, for objects of that one bucket (or its bucket key)."""
    return {
        "Sid": sid,
        "Effect": "Allow",
        "Action": actions,
        "Resource": key.arn,
        "Condition": {
            "StringEquals": {"kms:ViaService": f"s3.{region}.amazonaws.com"},
            "StringLike": {"kms:EncryptionContext:aws:s3:arn": [bucket_arn, pulumi.Output.concat(bucket_arn, "/*")]},
        },
    }
