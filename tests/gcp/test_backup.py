"""Backups and DR storage: Backup and DR plan for Cloud SQL, config archives, bucket replication."""

from __future__ import annotations

import pytest

from tests.conftest import STACKS
from tests.gcp.support import gcp_plan, named

BACKUPS = "platform:gcp:Backups"
BUCKET = "gcp:storage/bucket:Bucket"
TRANSFER = "gcp:storage/transferJob:TransferJob"


def test_dev_has_no_backup_plan(plan):
    p = gcp_plan(plan, "dev")
    assert not p.of_type(BACKUPS)
    assert not p.of_type(TRANSFER)


@pytest.mark.parametrize(("stack", "rules"), [("staging", {"daily": 30}), ("prod", {"daily": 30, "hourly": 7})])
def test_database_in_a_backup_and_dr_plan(plan, stack, rules):
    p = gcp_plan(plan, stack)
    vault = p.named("gcp:backupdisasterrecovery/backupVault:BackupVault", "vault").inputs
    assert vault["encryptionConfig"]["kmsKeyName"].endswith(f"/cryptoKeys/platform-{stack}-data")
    assert vault["backupMinimumEnforcedRetentionDuration"] == f"{min(rules.values()) * 86400}s"
    backup_plan = p.named("gcp:backupdisasterrecovery/backupPlan:BackupPlan", "database").inputs
    assert backup_plan["resourceType"] == "sqladmin.googleapis.com/Instance"
    assert {r["ruleId"]: r["backupRetentionDays"] for r in backup_plan["backupRules"]} == rules
    schedules = {r["ruleId"]: r["standardSchedule"]["recurrenceType"] for r in backup_plan["backupRules"]}
    assert schedules == {rule: rule.upper() for rule in rules}
    association = p.named("gcp:backupdisasterrecovery/backupPlanAssociation:BackupPlanAssociation", "database")
    assert association.property_dependencies["resource"] == [
        p.named("gcp:sql/databaseInstance:DatabaseInstance", "postgres").urn
    ]


def test_prod_archives_config_daily_for_90_days_in_the_dr_region(plan):
    p = gcp_plan(plan, "prod")
    archive = named(p, BACKUPS, BUCKET)["config-archive"].inputs
    assert archive["location"] == "US-EAST1"
    assert archive["lifecycleRules"] == [{"action": {"type": "Delete"}, "condition": {"daysSinceNoncurrentTime": 90}}]
    assert archive["versioning"] == {"enabled": True}
    job = named(p, BACKUPS, TRANSFER)["config-archive"].inputs
    assert job["transferSpec"]["gcsDataSource"]["bucketName"].endswith("-config")
    assert job["transferSpec"]["gcsDataSink"]["bucketName"].endswith("-config-archive")
    assert job["schedule"]["startTimeOfDay"]["hours"] == 3
    assert p.outputs["gcp_dr_backup_vault_name"].value.endswith("-config-archive")
    assert not named(gcp_plan(plan, "staging"), BACKUPS, BUCKET)  # staging keeps no config archive


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
