"""encryption-at-rest-cmk on S3: every bucket on a customer-managed key, inline or through a separate
configuration, except the bucket a load balancer writes access logs to, which ELB supports only with SSE-S3."""

from __future__ import annotations

from typing import Any

import pytest

from policies.rules import encryption

from .support import check, check_stack, resource

BUCKET = "aws:s3/bucket:Bucket"
CONFIG = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
KEY = "arn:aws:kms:us-east-1:123456789012:key/1"
KMS = {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": KEY}
SSE_S3 = {"sseAlgorithm": "AES256"}
ALB = "aws:lb/loadBalancer:LoadBalancer"


def rule(*resources: Any) -> list[str]:
    return check_stack(encryption.encryption_at_rest, list(resources))


def config(default: dict[str, Any], bucket: Any = None, name: str = "logs-1234") -> Any:
    props = {"bucket": name, "rules": [{"applyServerSideEncryptionByDefault": default, "bucketKeyEnabled": True}]}
    return resource(CONFIG, "encryption", props, **({"bucket": bucket} if bucket else {}))


def inline(default: dict[str, Any]) -> dict[str, Any]:
    return {"serverSideEncryptionConfiguration": {"rule": {"applyServerSideEncryptionByDefault": default}}}


def test_bucket_with_a_cmk_configuration_by_reference_or_name() -> None:
    bucket = resource(BUCKET, "config", {"bucket": "config-1234"})
    assert rule(bucket, config(KMS, bucket=bucket)) == []
    assert rule(bucket, config(KMS, name="config-1234")) == []
    assert rule(resource("aws:s3/bucketV2:BucketV2", "config", inline(KMS))) == []


@pytest.mark.parametrize("config_type", [CONFIG, CONFIG.replace("Configuration", "ConfigurationV2")])
def test_configuration_without_a_customer_managed_key(config_type: str) -> None:
    props = {"bucket": "b", "rules": [{"applyServerSideEncryptionByDefault": SSE_S3}]}
    messages = check(encryption.encryption_at_rest, config_type, props)
    assert (
        "r: rules.*.applyServerSideEncryptionByDefault.sseAlgorithm is 'AES256'; must be aws:kms or aws:kms:dsse"
        in messages[0]
    )


def test_bucket_without_any_configuration_uses_s3_managed_keys() -> None:
    bucket = resource(BUCKET, "config", {"bucket": "config-1234"})
    expected = (
        "config: no server-side encryption configuration names it, so S3 uses S3-managed keys "
        "(needs a customer-managed key)."
    )
    assert rule(bucket) == [expected]
    assert rule(bucket, config(KMS, name="other-bucket")) == [expected]
    assert rule(resource(BUCKET, "config", inline(SSE_S3))) == [
        "config: serverSideEncryptionConfiguration.rule.applyServerSideEncryptionByDefault.sseAlgorithm is 'AES256'; "
        "must be aws:kms or aws:kms:dsse (needs a customer-managed key).",
        "config: serverSideEncryptionConfiguration.rule.applyServerSideEncryptionByDefault.kmsMasterKeyId is None; "
        "must be set (needs a customer-managed key).",
    ]


@pytest.mark.parametrize("lb_type", [ALB, "aws:alb/loadBalancer:LoadBalancer", "aws:elb/loadBalancer:LoadBalancer"])
def test_the_elb_access_log_bucket_may_use_sse_s3_and_nothing_weaker(lb_type: str) -> None:
    logs = resource(BUCKET, "logs", {"bucket": "logs-1234"})
    by_reference = resource(lb_type, "alb", {"accessLogs": {"bucket": "logs-1234", "enabled": True}}, accessLogs=logs)
    assert rule(logs, by_reference, config(SSE_S3, bucket=logs)) == []
    assert rule(logs, by_reference) == []  # S3's default encryption is SSE-S3
    by_name = resource(lb_type, "alb", {"accessLogs": {"bucket": "logs-1234", "enabled": True}})
    assert rule(logs, by_name, config(SSE_S3, name="logs-1234")) == []
    assert rule(resource(BUCKET, "logs", {"bucket": "logs-1234", **inline(SSE_S3)}), by_name) == []
    aws_managed = rule(logs, by_reference, config({"sseAlgorithm": "aws:kms"}, bucket=logs))
    assert aws_managed == [
        "encryption: rules.*.applyServerSideEncryptionByDefault.kmsMasterKeyId is None; must be set "
        "(needs a customer-managed key)."
    ]


def test_the_exception_is_scoped_to_the_log_bucket() -> None:
    logs = resource(BUCKET, "logs", {"bucket": "logs-1234"})
    audit = resource(BUCKET, "audit", {"bucket": "audit-1234"})
    alb = resource(ALB, "alb", {"accessLogs": {"bucket": "logs-1234", "enabled": True}}, accessLogs=logs)
    found = rule(logs, audit, alb, config(SSE_S3, bucket=logs), config(SSE_S3, bucket=audit, name="audit-1234"))
    assert found == [
        "encryption: rules.*.applyServerSideEncryptionByDefault.sseAlgorithm is 'AES256'; must be aws:kms or "
        "aws:kms:dsse (needs a customer-managed key).",
        "encryption: rules.*.applyServerSideEncryptionByDefault.kmsMasterKeyId is None; must be set (needs a "
        "customer-managed key).",
    ]
