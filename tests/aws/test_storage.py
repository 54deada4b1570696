"""The configuration bucket: secure everywhere, replicated to the DR region in prod only."""

from __future__ import annotations

import json

import pytest

from tests.conftest import STACKS

BUCKET = "aws:s3/bucket:Bucket"
REPLICATION = "aws:s3/bucketReplicationConfig:BucketReplicationConfig"


@pytest.mark.parametrize("stack", STACKS)
def test_config_bucket_is_encrypted_with_the_data_key(plan, stack):
    p = plan(stack)
    (encryption,) = [
        r
        for r in p.children("platform:aws:SecureBucket", "config")
        if r.type == "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
    ]
    (rule,) = encryption.inputs["rules"]
    data_key = p.named("aws:kms/key:Key", "data")
    assert data_key.urn in encryption.property_dependencies["rules"]
    assert rule["applyServerSideEncryptionByDefault"]["sseAlgorithm"] == "aws:kms"
    assert p.outputs["aws_config_bucket_name"].value.startswith("config-")


@pytest.mark.parametrize("stack", ["dev", "staging"])
def test_no_replication_without_dr(plan, stack):
    p = plan(stack)
    assert not p.of_type(REPLICATION)
    assert [b.name for b in p.of_type(BUCKET) if b.name.startswith("config")] == ["config"]
    assert "aws_dr_config_bucket_name" not in p.outputs


def test_prod_replica_lives_in_the_dr_region_under_the_dr_key(plan):
    p = plan("prod")
    replica = p.named(BUCKET, "config-replica")
    assert "aws-dr" in replica.provider
    assert "aws-dr" not in p.named(BUCKET, "config").provider
    assert replica.protect
    (encryption,) = [
        r
        for r in p.children("platform:aws:SecureBucket", "config-replica")
        if r.type.endswith("BucketServerSideEncryptionConfiguration")
    ]
    key_arn = encryption.inputs["rules"][0]["applyServerSideEncryptionByDefault"]["kmsMasterKeyId"]
    assert key_arn.startswith("arn:aws:kms:us-west-2:")
    assert p.outputs["aws_dr_config_bucket_name"].value.startswith("config-replica-")


def test_prod_replicates_kms_objects_and_deletes_within_rtc(plan):
    p = plan("prod")
    config = p.named(REPLICATION, "config")
    (rule,) = config.inputs["rules"]
    destination = rule["destination"]
    assert rule["status"] == "Enabled"
    assert destination["bucket"] == "arn:aws:s3:::" + p.outputs["aws_dr_config_bucket_name"].value
    assert destination["encryptionConfiguration"]["replicaKmsKeyId"].startswith("arn:aws:kms:us-west-2:")
    assert p.named("aws:kms/key:Key", "dr-data").urn in config.property_dependencies["rules"]
    assert rule["sourceSelectionCriteria"]["sseKmsEncryptedObjects"]["status"] == "Enabled"
    assert rule["deleteMarkerReplication"]["status"] == "Enabled"
    assert destination["replicationTime"] == {"status": "Enabled", "time": {"minutes": 15}}
    assert destination["metrics"]["status"] == "Enabled"
    # Both buckets must be versioned before S3 accepts a replication configuration.
    versioning = {r.urn for r in p.of_type("aws:s3/bucketVersioning:BucketVersioning") if r.name.startswith("config")}
    assert len(versioning) == 2 and versioning <= set(config.dependencies)


def test_replication_role_is_scoped_to_the_two_buckets_and_keys(plan):
    p = plan("prod")
    role = p.named("aws:iam/role:Role", "config-replication")
    assert json.loads(role.inputs["assumeRolePolicy"])["Statement"][0]["Principal"] == {"Service": "s3.amazonaws.com"}
    assert role.urn in p.named(REPLICATION, "config").property_dependencies["role"]
    policy = p.named("aws:iam/rolePolicy:RolePolicy", "config-replication")
    assert role.urn in policy.property_dependencies["role"]
    # Replication waits for the role's permissions, so the first objects do not fail to replicate.
    assert policy.urn in p.named(REPLICATION, "config").dependencies
    statements = {s["Sid"]: s for s in json.loads(policy.inputs["policy"])["Statement"]}
    source = "arn:aws:s3:::" + p.outputs["aws_config_bucket_name"].value
    replica = "arn:aws:s3:::" + p.outputs["aws_dr_config_bucket_name"].value
    assert statements["ReadSourceConfiguration"]["Resource"] == source
    assert statements["ReadSourceVersions"]["Resource"] == source + "/*"
    assert statements["WriteReplicas"]["Resource"] == replica + "/*"
    assert all(action.startswith("s3:Replicate") for action in statements["WriteReplicas"]["Action"])
    assert statements["DecryptSource"]["Action"] == ["kms:Decrypt"]
    assert statements["DecryptSource"]["Resource"].startswith("arn:aws:kms:us-east-1:")
    assert "kms:Encrypt" in statements["EncryptReplicas"]["Action"]
    assert "kms:Decrypt" not in statements["EncryptReplicas"]["Action"]
    assert statements["EncryptReplicas"]["Resource"].startswith("arn:aws:kms:us-west-2:")
    assert statements["EncryptReplicas"]["Condition"]["StringEquals"]["kms:ViaService"] == "s3.us-west-2.amazonaws.com"
    for statement in statements.values():
        assert statement["Effect"] == "Allow" and statement["Resource"] != "*"
        assert not any(action.endswith("*") for action in statement["Action"])
