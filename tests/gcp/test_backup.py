"""Backups and DR storage: Cloud SQL standard backups, the config archive, bucket replication."""

from __future__ import annotations

import pytest

from tests.conftest import STACKS
from tests.gcp.support import gcp_plan, named

ARCHIVE = "platform:gcp:ConfigArchive"
BUCKET = "gcp:storage/bucket:Bucket"
TRANSFER = "gcp:storage/transferJob:TransferJob"
SQL = "gcp:sql/databaseInstance:DatabaseInstance"


@pytest.mark.parametrize("stack", STACKS)
def test_database_backups_are_cloud_sql_standard_backups_not_backup_and_dr(plan, stack):
    """Enhanced backups (Backup and DR) support neither CMEK nor cross-region; standard backups support both."""
    p = gcp_plan(plan, stack)
    assert not [r for r in p.resources if r.type.startswith("gcp:backupdisasterrecovery/")]
    assert "backupdr.googleapis.com" not in {s.inputs["service"] for s in p.of_type("gcp:projects/service:Service")}
    db = p.named(SQL, "postgres")
    assert db.inputs["encryptionKeyName"].endswith(f"/cryptoKeys/platform-{stack}-data")
    assert db.inputs["settings"]["backupConfiguration"]["enabled"] is True
    outputs = {name: o.value for name, o in p.outputs.items()}
    # The backups live with the instance (`gcloud sql backups list --instance <name>`) where backups are on.
    assert outputs.get("gcp_backup_vault_name") == (None if stack == "dev" else f"platform-{stack}-postgres")


def test_prod_keeps_its_database_backups_in_the_dr_region_for_30_days_with_7_days_of_pitr(plan):
    backups = gcp_plan(plan, "prod").named(SQL, "postgres").inputs["settings"]["backupConfiguration"]
    assert backups["location"] == "us-east1"
    assert backups["backupRetentionSettings"] == {"retainedBackups": 30, "retentionUnit": "COUNT"}
    assert backups["pointInTimeRecoveryEnabled"] is True and backups["transactionLogRetentionDays"] == 7


def test_only_prod_archives_config(plan):
    for stack in ("dev", "staging"):
        p = gcp_plan(plan, stack)
        assert not p.of_type(ARCHIVE) and not named(p, "platform:gcp:ConfigBucket", TRANSFER)


def test_prod_archives_config_daily_for_90_days_in_the_dr_region(plan):
    p = gcp_plan(plan, "prod")
    archive = named(p, ARCHIVE, BUCKET)["config-archive"].inputs
    assert archive["location"] == "US-EAST1"
    assert archive["lifecycleRules"] == [{"action": {"type": "Delete"}, "condition": {"daysSinceNoncurrentTime": 90}}]
    assert archive["versioning"] == {"enabled": True}
    assert archive["encryption"]["defaultKmsKeyName"].endswith("/cryptoKeys/platform-prod-dr-data")
    job = named(p, ARCHIVE, TRANSFER)["config-archive"].inputs
    assert job["transferSpec"]["gcsDataSource"]["bucketName"].endswith("-config")
    assert job["transferSpec"]["gcsDataSink"]["bucketName"].endswith("-config-archive")
    assert job["schedule"]["startTimeOfDay"]["hours"] == 3
    assert p.outputs["gcp_dr_backup_vault_name"].value.endswith("-config-archive")


@pytest.mark.parametrize("stack", STACKS)
def test_buckets_private_versioned_cmek_and_kept(plan, stack):
    for bucket in gcp_plan(plan, stack).of_type(BUCKET):
        inputs = bucket.inputs
        assert inputs["publicAccessPrevention"] == "enforced"
        assert inputs["uniformBucketLevelAccess"] is True
        assert inputs["versioning"] == {"enabled": True}
        assert inputs["encryption"]["defaultKmsKeyName"]
        assert inputs["forceDestroy"] is False


def test_prod_replicates_the_config_bucket_to_the_dr_region(plan):
    p = gcp_plan(plan, "prod")
    buckets = named(p, "platform:gcp:ConfigBucket", BUCKET)
    assert buckets["config"].inputs["location"] == "US-CENTRAL1"
    assert buckets["config-dr"].inputs["location"] == "US-EAST1"
    assert buckets["config-dr"].inputs["encryption"]["defaultKmsKeyName"].endswith("/cryptoKeys/platform-prod-dr-data")
    (job,) = named(p, "platform:gcp:ConfigBucket", TRANSFER).values()
    spec = job.inputs["replicationSpec"]
    assert spec["gcsDataSink"]["bucketName"] == "platform-prod-platform-example-config-dr"
    grants = named(p, "platform:gcp:ConfigBucket", "gcp:storage/bucketIAMMember:BucketIAMMember")
    assert all(
        g.inputs["member"].endswith("@storage-transfer-service.iam.gserviceaccount.com") for g in grants.values()
    )
    assert {g.urn for g in grants.values()} <= set(job.dependencies)
    assert not named(gcp_plan(plan, "staging"), "platform:gcp:ConfigBucket", TRANSFER)
