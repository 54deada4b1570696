"""``infractl bootstrap-backend``: the S3 bucket and KMS key that hold Pulumi's own state.

This runs before any stack exists, so it is a command rather than a stack. The names are checked
against S3's and KMS's full rules before anything is created; then it looks for what exists (the
bucket by name, the key by its alias or, when a run failed before the alias was made, by the tag
every key it creates carries) and creates only what is missing, so a re-run after a partial
failure completes the same bucket and key instead of leaving an orphan. Settings are re-applied
each time, which also repairs a backend whose settings drifted.
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import re
from dataclasses import dataclass
from typing import Any, get_args

from botocore.exceptions import ClientError

from components.config import Environment, SecurityConfig

from .. import errors
from . import common

BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
# S3's general purpose bucket naming rules (docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html):
# names reserved for S3's own features (punycode, access point, Object Lambda, Multi-Region, directory and
# table bucket aliases).
RESERVED_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
RESERVED_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")
# KMS aliases: "alias/" + letters, digits, / _ -, 256 characters in all; alias/aws/ is AWS's own.
KEY_ALIAS = re.compile(r"^alias/[A-Za-z0-9/_-]+$")
KEY_ALIAS_MAX = 256
# On every key this command creates, so a re-run finds it even if the alias was never made.
BUCKET_TAG = "infractl:backend-bucket"
# KMS rotates at most this often; SPEC.md's 30 days is shorter, so the shortest allowed period applies.
KMS_MIN_ROTATION_DAYS = 90
ROTATION_DAYS = max(SecurityConfig().key_rotation_days, KMS_MIN_ROTATION_DAYS)


def register(commands: Any) -> None:
    parser = commands.add_parser("bootstrap-backend", help="create the S3 state bucket and the secrets KMS key")
    parser.add_argument("--bucket", required=True, help="state bucket name")
    parser.add_argument("--region", required=True, type=common.region_argument)
    parser.add_argument("--key-alias", help="KMS alias (default: alias/pulumi-<bucket, dots as dashes>)")
    parser.set_defaults(run=run)


def check_bucket_name(name: str) -> None:
    problems = [
        *([] if BUCKET_NAME.match(name) else ["3-63 of a-z 0-9 . -, starting and ending with a letter or digit"]),
        *(["no two adjacent dots"] if ".." in name else []),
        *(["not an IP address"] if _is_ip(name) else []),
        *[f"not starting with {prefix} (reserved)" for prefix in RESERVED_PREFIXES if name.startswith(prefix)],
        *[f"not ending with {suffix} (reserved)" for suffix in RESERVED_SUFFIXES if name.endswith(suffix)],
    ]
    if problems:
        raise errors.UsageError(f"--bucket {name!r} is not a valid S3 bucket name: it must be {'; '.join(problems)}")


def check_key_alias(alias: str) -> None:
    if not KEY_ALIAS.match(alias) or len(alias) > KEY_ALIAS_MAX or alias.startswith("alias/aws/"):
        raise errors.UsageError(
            f"--key-alias {alias!r} must start with alias/, then letters, digits, / _ - only, {KEY_ALIAS_MAX} "
            "characters in all, and not alias/aws/ (reserved for AWS managed keys)"
        )


def default_alias(bucket: str) -> str:
    return f"alias/pulumi-{bucket.replace('.', '-')}"  # aliases take no dots


def _is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


@dataclass(frozen=True)
class Found:
    """What already exists: read before anything is created."""

    bucket_region: str | None  # None: no such bucket yet
    key: dict[str, Any] | None  # the key's metadata, by alias or by our tag
    aliased: bool  # the alias exists (and names ``key``)


def survey(s3: Any, kms: Any, bucket: str, alias: str) -> Found:
    try:
        s3.head_bucket(Bucket=bucket)
        bucket_region: str | None = s3.get_bucket_location(Bucket=bucket).get("LocationConstraint") or "us-east-1"
    except ClientError as exc:
        code = common.error_code(exc)
        if code not in ("404", "NoSuchBucket"):
            owner = " (owned by another account?)" if code in ("403", "AccessDenied") else ""
            raise errors.UsageError(f"bucket {bucket}: {common.describe(exc)}{owner}") from None
        bucket_region = None
    try:
        key = kms.describe_key(KeyId=alias)["KeyMetadata"]
    except ClientError as exc:
        if common.error_code(exc) != "NotFoundException":
            raise
        return Found(bucket_region, tagged_key(kms, bucket), aliased=False)
    if key.get("KeyState") != "Enabled":
        raise errors.UsageError(f"{alias} names key {key['KeyId']}, which is {key.get('KeyState')}; choose another")
    return Found(bucket_region, key, aliased=True)


def tagged_key(kms: Any, bucket: str) -> dict[str, Any] | None:
    """The enabled customer key an earlier run created for ``bucket`` (the oldest, if several)."""
    found = []
    for page in kms.get_paginator("list_keys").paginate():
        for listed in page["Keys"]:
            key = kms.describe_key(KeyId=listed["KeyId"])["KeyMetadata"]
            if key.get("KeyManager") != "CUSTOMER" or key.get("KeyState") != "Enabled":
                continue
            tags = kms.list_resource_tags(KeyId=key["KeyId"]).get("Tags", [])
            if {"TagKey": BUCKET_TAG, "TagValue": bucket} in tags:
                found.append(key)
    return min(found, key=lambda key: key["CreationDate"], default=None)


def create_key(kms: Any, bucket: str) -> dict[str, Any]:
    """A key tagged with the bucket it is for, in the same call, so no later failure can orphan it."""
    return dict(
        kms.create_key(
            Description=f"Pulumi state and secrets in s3://{bucket}",
            Tags=[{"TagKey": BUCKET_TAG, "TagValue": bucket}],
        )["KeyMetadata"]
    )


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
    alias = args.key_alias or default_alias(args.bucket)
    check_key_alias(alias)
    s3, kms = common.client("s3", args.region), common.client("kms", args.region)
    with common.validating("reading the existing bucket and key"):
        found = survey(s3, kms, args.bucket, alias)
    if found.bucket_region not in (None, args.region):
        raise errors.UsageError(f"bucket {args.bucket} already exists in {found.bucket_region}, not {args.region}")
    created = found.bucket_region is None
    if created:
        location = (
            {} if args.region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": args.region}}
        )
        s3.create_bucket(Bucket=args.bucket, **location)
    key = found.key or create_key(kms, args.bucket)
    if not found.aliased:
        kms.create_alias(AliasName=alias, TargetKeyId=key["KeyId"])
    kms.enable_key_rotation(KeyId=key["KeyId"], RotationPeriodInDays=ROTATION_DAYS)
    key_arn = str(key["Arn"])
    configure_bucket(s3, args.bucket, key_arn)
    print(f"{'created' if created else 'updated'} s3://{args.bucket} in {args.region}; key {alias} ({key_arn})")
    print("\nUse it:")
    print(f"  pulumi login 's3://{args.bucket}?region={args.region}&awssdk=v2'")
    for stack in get_args(Environment):
        print(f"  pulumi stack init {stack} --secrets-provider 'awskms://{alias}?region={args.region}'")
    return errors.EXIT_OK
