"""Access logs: the load balancer's and the config/audit buckets' requests, in the one SSE-S3 bucket."""

from __future__ import annotations

import json

import pytest

from tests.conftest import STACKS

ACCOUNT = "123456789012"
ENCRYPTION = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
LOGGING = "aws:s3/bucketLogging:BucketLogging"


def _of(p, type_, bucket="access-logs"):
    (resource,) = [r for r in p.children("platform:aws:SecureBucket", bucket) if r.type == type_]
    return resource


@pytest.mark.parametrize("stack", STACKS)
def test_only_the_access_log_bucket_uses_s3_managed_keys(plan, stack):
    p = plan(stack)
    algorithms = {
        r.name: r.inputs["rules"][0]["applyServerSideEncryptionByDefault"]["sseAlgorithm"]
        for r in p.of_type(ENCRYPTION)
    }
    assert algorithms.pop("access-logs") == "AES256"  # ELB log delivery supports SSE-S3 only
    assert algorithms and set(algorithms.values()) == {"aws:kms"}
    rule = _of(p, ENCRYPTION).inputs["rules"][0]
    assert "kmsMasterKeyId" not in rule["applyServerSideEncryptionByDefault"]
    assert rule["bucketKeyEnabled"] is False


def test_load_balancer_writes_access_logs_under_its_prefix_once_the_bucket_lets_it(plan):
    p = plan("prod")
    lb = p.named("aws:lb/loadBalancer:LoadBalancer", "alb")
    bucket = p.named("aws:s3/bucket:Bucket", "access-logs")
    assert lb.inputs["accessLogs"]["enabled"] is True
    assert lb.inputs["accessLogs"]["prefix"] == "alb"
    assert lb.property_dependencies["accessLogs"] == [bucket.urn]
    assert _of(p, "aws:s3/bucketPolicy:BucketPolicy").urn in lb.dependencies


def test_bucket_policy_lets_each_delivery_service_write_only_its_own_prefix(plan):
    p = plan("staging")
    statements = {
        s["Sid"]: s for s in json.loads(_of(p, "aws:s3/bucketPolicy:BucketPolicy").inputs["policy"])["Statement"]
    }
    elb = statements.pop("ElbAccessLogDelivery")
    assert elb["Principal"] == {"Service": "logdelivery.elasticloadbalancing.amazonaws.com"}
    assert elb["Action"] == "s3:PutObject"
    assert elb["Resource"].startswith("arn:aws:s3:::access-logs-")
    assert elb["Resource"].endswith(f"/alb/AWSLogs/{ACCOUNT}/*")
    assert statements.pop("DenyInsecureTransport")["Effect"] == "Deny"
    for label in ("Config", "Audit"):
        s3 = statements.pop(f"S3ServerAccessLogs{label}")
        assert s3["Principal"] == {"Service": "logging.s3.amazonaws.com"}
        assert s3["Resource"].endswith(f"/s3/{label.lower()}/*")
        assert s3["Condition"]["StringEquals"] == {"aws:SourceAccount": ACCOUNT}
        assert s3["Condition"]["ArnLike"]["aws:SourceArn"].startswith(f"arn:aws:s3:::{label.lower()}")
    assert statements == {}


@pytest.mark.parametrize("stack", STACKS)
def test_config_and_audit_buckets_log_their_requests_here(plan, stack):
    p = plan(stack)
    target = p.named("aws:s3/bucket:Bucket", "access-logs")
    logging = {r.name: r for r in p.of_type(LOGGING)}
    assert set(logging) == {"config", "audit"}
    sources = {
        "config": p.named("aws:s3/bucket:Bucket", "config"),
        "audit": p.named("aws:s3/bucket:Bucket", "audit-logs"),
    }
    for label, resource in logging.items():
        assert resource.property_dependencies["bucket"] == [sources[label].urn]
        assert resource.property_dependencies["targetBucket"] == [target.urn]
        assert resource.inputs["targetPrefix"] == f"s3/{label}/"
        assert _of(p, "aws:s3/bucketPolicy:BucketPolicy").urn in resource.dependencies


@pytest.mark.parametrize(("stack", "app", "audit"), [("dev", 7, 30), ("staging", 30, 90), ("prod", 90, 365)])
def test_load_balancer_logs_kept_like_app_logs_and_bucket_access_logs_like_audit_logs(plan, stack, app, audit):
    rules = _of(plan(stack), "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration").inputs["rules"]
    kept = {
        r["filter"]["prefix"]: (r["expiration"]["days"], r["noncurrentVersionExpiration"]["noncurrentDays"])
        for r in rules
    }
    assert kept == {"alb/": (app, app), "s3/": (audit, audit)}
