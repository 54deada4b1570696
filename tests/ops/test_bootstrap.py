"""``infractl bootstrap-backend`` against moto in-process: the bucket's settings read back from S3."""

from __future__ import annotations

import json

import boto3
import pytest

from infractl import cli, errors
from tests.ops.conftest import DR_REGION

pytestmark = pytest.mark.usefixtures("aws")
BUCKET = "platform-pulumi-state"


def bootstrap_backend(*extra: str) -> int:
    return cli.main(["bootstrap-backend", "--bucket", BUCKET, "--region", DR_REGION, *extra])


def test_creates_a_locked_down_bucket_and_key(capsys: pytest.CaptureFixture[str]) -> None:
    assert bootstrap_backend() == errors.EXIT_OK
    s3, kms = boto3.client("s3", region_name=DR_REGION), boto3.client("kms", region_name=DR_REGION)
    key = kms.describe_key(KeyId=f"alias/pulumi-{BUCKET}")["KeyMetadata"]
    assert kms.get_key_rotation_status(KeyId=key["KeyId"])["KeyRotationEnabled"]
    assert s3.get_bucket_location(Bucket=BUCKET)["LocationConstraint"] == DR_REGION
    assert s3.get_bucket_versioning(Bucket=BUCKET)["Status"] == "Enabled"
    (rule,) = s3.get_bucket_encryption(Bucket=BUCKET)["ServerSideEncryptionConfiguration"]["Rules"]
    assert rule["ApplyServerSideEncryptionByDefault"] == {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key["Arn"]}
    assert all(s3.get_public_access_block(Bucket=BUCKET)["PublicAccessBlockConfiguration"].values())
    (statement,) = json.loads(s3.get_bucket_policy(Bucket=BUCKET)["Policy"])["Statement"]
    assert statement["Effect"] == "Deny" and statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    out = capsys.readouterr().out
    assert f"pulumi login 's3://{BUCKET}?region={DR_REGION}&awssdk=v2'" in out
    assert f"pulumi stack init prod --secrets-provider 'awskms://alias/pulumi-{BUCKET}?region={DR_REGION}'" in out


def test_is_idempotent_and_repairs_drift(capsys: pytest.CaptureFixture[str]) -> None:
    assert bootstrap_backend() == errors.EXIT_OK
    s3 = boto3.client("s3", region_name=DR_REGION)
    s3.delete_bucket_policy(Bucket=BUCKET)
    assert bootstrap_backend() == errors.EXIT_OK
    assert "updated s3://" in capsys.readouterr().out
    assert s3.get_bucket_policy(Bucket=BUCKET)["Policy"]
    kms = boto3.client("kms", region_name=DR_REGION)
    assert len([a for a in kms.list_aliases()["Aliases"] if a["AliasName"] == f"alias/pulumi-{BUCKET}"]) == 1
    assert len(kms.list_keys()["Keys"]) == 1


@pytest.mark.parametrize(
    ("bucket", "extra", "message"),
    [
        ("Bad_Bucket", [], "not a valid S3 bucket name"),
        ("192.168.1.1", [], "not a valid S3 bucket name"),
        (BUCKET, ["--key-alias", "pulumi"], "must start with alias/"),
    ],
)
def test_bad_input_exits_2_and_creates_nothing(
    capsys: pytest.CaptureFixture[str], bucket: str, extra: list[str], message: str
) -> None:
    assert cli.main(["bootstrap-backend", "--bucket", bucket, "--region", DR_REGION, *extra]) == errors.EXIT_USAGE
    assert message in capsys.readouterr().err
    assert boto3.client("s3", region_name=DR_REGION).list_buckets()["Buckets"] == []
    assert boto3.client("kms", region_name=DR_REGION).list_keys()["Keys"] == []


def test_existing_bucket_in_another_region_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    boto3.client("s3", region_name="us-east-1").create_bucket(Bucket=BUCKET)
    assert bootstrap_backend() == errors.EXIT_USAGE
    assert "already exists in us-east-1, not us-west-2" in capsys.readouterr().err
    assert boto3.client("kms", region_name=DR_REGION).list_keys()["Keys"] == []
