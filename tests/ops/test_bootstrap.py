"""``infractl bootstrap-backend`` against moto in-process: the bucket's settings read back from S3."""

from __future__ import annotations

import json

import boto3
import pytest

from infractl import cli, errors
from infractl.ops import bootstrap
from tests.ops.conftest import DR_REGION, Faults

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
        ("Bad_Bucket", [], "3-63 of a-z 0-9 . -"),
        ("ab", [], "3-63 of a-z 0-9 . -"),
        ("a" * 64, [], "3-63 of a-z 0-9 . -"),
        ("-platform-state", [], "starting and ending with a letter or digit"),
        ("platform..state", [], "no two adjacent dots"),
        ("192.168.1.1", [], "not an IP address"),
        ("xn--platform-state", [], "not starting with xn-- (reserved)"),
        ("sthree-platform-state", [], "not starting with sthree- (reserved)"),
        ("amzn-s3-demo-platform", [], "not starting with amzn-s3-demo- (reserved)"),
        ("platform-state-s3alias", [], "not ending with -s3alias (reserved)"),
        ("platform-state--ol-s3", [], "not ending with --ol-s3 (reserved)"),
        ("platform-state.mrap", [], "not ending with .mrap (reserved)"),
        ("platform-state--x-s3", [], "not ending with --x-s3 (reserved)"),
        ("platform-state--table-s3", [], "not ending with --table-s3 (reserved)"),
        (BUCKET, ["--key-alias", "pulumi"], "must start with alias/"),
        (BUCKET, ["--key-alias", "alias/"], "must start with alias/"),
        (BUCKET, ["--key-alias", "alias/aws/pulumi"], "not alias/aws/ (reserved for AWS managed keys)"),
        (BUCKET, ["--key-alias", "alias/pulumi.state"], "letters, digits, / _ - only"),
        (BUCKET, ["--key-alias", "alias/pulumi state"], "letters, digits, / _ - only"),
        (BUCKET, ["--key-alias", "alias/" + "k" * 251], "256 characters in all"),
    ],
)
def test_bad_input_exits_2_and_creates_nothing(
    capsys: pytest.CaptureFixture[str], bucket: str, extra: list[str], message: str
) -> None:
    assert cli.main(["bootstrap-backend", f"--bucket={bucket}", "--region", DR_REGION, *extra]) == errors.EXIT_USAGE
    assert message in capsys.readouterr().err
    assert boto3.client("s3", region_name=DR_REGION).list_buckets()["Buckets"] == []
    assert boto3.client("kms", region_name=DR_REGION).list_keys()["Keys"] == []


def test_dots_in_the_bucket_become_dashes_in_the_default_alias(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["bootstrap-backend", "--bucket", "acme.pulumi.state", "--region", DR_REGION]) == errors.EXIT_OK
    kms = boto3.client("kms", region_name=DR_REGION)
    assert kms.describe_key(KeyId="alias/pulumi-acme-pulumi-state")["KeyMetadata"]["Enabled"]
    assert "awskms://alias/pulumi-acme-pulumi-state?region=us-west-2" in capsys.readouterr().out


@pytest.mark.parametrize("fails", ["CreateAlias", "EnableKeyRotation", "PutBucketEncryption", "PutBucketPolicy"])
def test_rerun_after_a_partial_failure_completes_the_same_bucket_and_key(
    faults: Faults, capsys: pytest.CaptureFixture[str], fails: str
) -> None:
    faults.error(fails, "AccessDenied", "not authorized")
    assert bootstrap_backend() == errors.EXIT_AWS_FAILED
    assert f"AWS error: AccessDenied: not authorized ({fails})" in capsys.readouterr().err
    kms = boto3.client("kms", region_name=DR_REGION)
    (first,) = kms.list_keys()["Keys"]  # created, tagged for the bucket, maybe not yet aliased

    faults.clear()
    assert bootstrap_backend() == errors.EXIT_OK
    assert kms.list_keys()["Keys"] == [first]  # no second key: the tagged one was found
    assert kms.describe_key(KeyId=f"alias/pulumi-{BUCKET}")["KeyMetadata"]["KeyId"] == first["KeyId"]
    assert kms.list_resource_tags(KeyId=first["KeyId"])["Tags"] == [
        {"TagKey": bootstrap.BUCKET_TAG, "TagValue": BUCKET}
    ]
    s3 = boto3.client("s3", region_name=DR_REGION)
    assert [b["Name"] for b in s3.list_buckets()["Buckets"]] == [BUCKET]
    (rule,) = s3.get_bucket_encryption(Bucket=BUCKET)["ServerSideEncryptionConfiguration"]["Rules"]
    assert rule["ApplyServerSideEncryptionByDefault"]["KMSMasterKeyID"] == first["KeyArn"]


def test_a_key_for_another_bucket_is_not_reused(faults: Faults) -> None:
    faults.error("CreateAlias", "AccessDenied")
    assert cli.main(["bootstrap-backend", "--bucket", "other-state", "--region", DR_REGION]) == errors.EXIT_AWS_FAILED
    faults.clear()
    assert bootstrap_backend() == errors.EXIT_OK
    kms = boto3.client("kms", region_name=DR_REGION)
    assert len(kms.list_keys()["Keys"]) == 2
    mine = kms.describe_key(KeyId=f"alias/pulumi-{BUCKET}")["KeyMetadata"]["KeyId"]
    assert kms.list_resource_tags(KeyId=mine)["Tags"] == [{"TagKey": bootstrap.BUCKET_TAG, "TagValue": BUCKET}]


def test_existing_bucket_in_another_region_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    boto3.client("s3", region_name="us-east-1").create_bucket(Bucket=BUCKET)
    assert bootstrap_backend() == errors.EXIT_USAGE
    assert "already exists in us-east-1, not us-west-2" in capsys.readouterr().err
    assert boto3.client("kms", region_name=DR_REGION).list_keys()["Keys"] == []
