"""``infractl bootstrap-backend``: the S3 bucket and KMS key that hold Pulumi's own state.

This runs before any stack exists, so it is a command rather than a stack. Every step is
idempotent (existing bucket and key are reused and their settings re-applied), so it is also
the way to repair a backend whose settings drifted.
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import re
from typing import Any, get_args

from botocore.exceptions import ClientError

from components.config import Environment, SecurityConfig

from .. import errors
from . import common

BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
# KMS rotates at most this often; SPEC.md's 30 days is shorter, so the shortest allowed period applies.
KMS_MIN_ROTATION_DAYS = 90
ROTATION_DAYS = max(SecurityConfig().key_rotation_days, KMS_MIN_ROTATION_DAYS)


def register(commands: Any) -> None:
    parser = commands.add_parser("bootstrap-backend", help="create the S3 state bucket and the secrets KMS key")
    parser.add_argument("--bucket", required=True, help="state bucket name")
    parser.add_argument("--region", required=True, type=common.region_argument)
    parser.add_argument("--key-alias", help="KMS alias (default: alias/pulumi-<bucket>)")
    parser.set_defaults(run=run)


def check_bucket_name(name: str) -> None:
    if not BUCKET_NAME.match(name) or ".." in name or _is_ip(name):
        raise errors.UsageError(f"{name!r} is not a valid S3 bucket name (3-63 of a-z 0-9 . -, not an IP address)")


def _is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def ensure_key(kms: Any, alias: str, bucket: str) -> str:
    """The key behind ``alias``, created with rotation on if the alias does not exist yet."""
    try:
        key = kms.describe_key(KeyId=alias)["KeyMetadata"]
    except ClientError as exc:
        if common.error_code(exc) != "NotFoundException":
            raise
        key = kms.create_key(Description=f"Pulumi state and secrets in s3://{bucket}")["KeyMetadata"]
        kms.create_alias(AliasName=alias, TargetKeyId=key["KeyId"])
    kms.enable_key_rotation(KeyId=key["KeyId"], RotationPeriodInDays=ROTATION_DAYS)
    return str(key["Arn"])


def ensure_bucket(s3: Any, bucket: str, region: str) -> bool:
    """Create the bucket unless this account already has it in ``region``; True if created."""
    try:
        s3.head_bucket(Bucket=bucket)
    except ClientError as exc:
        if common.error_code(exc) not in ("404", "NoSuchBucket"):
            raise errors.UsageError(f"bucket {bucket}: {common.describe(exc)} (owned by another account?)") from None
        location = {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}
        s3.create_bucket(Bucket=bucket, **location)
        return True
    found = s3.get_bucket_location(Bucket=bucket).get("LocationConstraint") or "us-east-1"
    if found != region:
        raise errors.UsageError(f"bucket {bucket} already exists in {found}, not {region}")
    return False


def tls_only_policy(bucket: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "DenyInsecureTransport",
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": "s3:*",
                    "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                }
            ],
        }
    )


def configure_bucket(s3: Any, bucket: str, key_arn: str) -> None:
    """Versioning (state history), KMS encryption, no public access, TLS only."""
    s3.put_public_access_block(
        Bucket=bucket,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True,
        },
    )
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_encryption(
        Bucket=bucket,
        ServerSideEncryptionConfiguration={
            "Rules": [
                {
                    "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key_arn},
                    "BucketKeyEnabled": True,
                }
            ]
        },
    )
    s3.put_bucket_policy(Bucket=bucket, Policy=tls_only_policy(bucket))


@common.aws_command("bootstrap-backend")
def run(args: argparse.Namespace) -> int:
    check_bucket_name(args.bucket)
    alias = args.key_alias or f"alias/pulumi-{args.bucket}"
    if not alias.startswith("alias/"):
        raise errors.UsageError(f"--key-alias {alias!r} must start with alias/")
    s3, kms = common.client("s3", args.region), common.client("kms", args.region)
    created = ensure_bucket(s3, args.bucket, args.region)
    key_arn = ensure_key(kms, alias, args.bucket)
    configure_bucket(s3, args.bucket, key_arn)
    print(f"{'created' if created else 'updated'} s3://{args.bucket} in {args.region}; key {alias} ({key_arn})")
    print("\nUse it:")
    print(f"  pulumi login 's3://{args.bucket}?region={args.region}&awssdk=v2'")
    for stack in get_args(Environment):
        print(f"  pulumi stack init {stack} --secrets-provider 'awskms://{alias}?region={args.region}'")
    return errors.EXIT_OK
