"""Cloud SQL and Memorystore: private, CMEK, TLS, backups and HA per environment, DR replica in prod."""

from __future__ import annotations

import pytest

from tests.conftest import STACKS
from tests.gcp.support import gcp_plan

SQL = "gcp:sql/databaseInstance:DatabaseInstance"
REDIS = "gcp:redis/instance:Instance"


@pytest.mark.parametrize("stack", STACKS)
def test_postgres_14_private_cmek_tls_only_slow_queries_logged(plan, stack):
    p = gcp_plan(plan, stack)
    db = p.named(SQL, "postgres")
    settings = db.inputs["settings"]
    assert db.inputs["databaseVersion"] == "POSTGRES_14"
    assert db.property_dependencies["encryptionKeyName"] == [p.named("gcp:kms/cryptoKey:CryptoKey", "data").urn]
    ip = settings["ipConfiguration"]
    assert ip["ipv4Enabled"] is False and ip["sslMode"] == "ENCRYPTED_ONLY"
    assert ip["allocatedIpRange"] == f"platform-{stack}-private-services"
    flags = {f["name"]: f["value"] for f in settings["databaseFlags"]}
    assert flags["log_min_duration_statement"] == "1000"
    backups = settings["backupConfiguration"]
    assert backups["enabled"] is True and backups["pointInTimeRecoveryEnabled"] is True
    connection = p.named("gcp:servicenetworking/connection:Connection", "private-services")
    assert connection.urn in db.dependencies


@pytest.mark.parametrize(
    ("stack", "availability", "protected", "retained", "pitr_days", "location"),
    [
        ("dev", "ZONAL", False, 1, 1, "us-central1"),
        ("staging", "ZONAL", False, 30, 7, "us-central1"),
        ("prod", "REGIONAL", True, 30, 7, "us-east1"),
    ],
)
def test_availability_protection_and_backups_per_environment(
    plan, stack, availability, protected, retained, pitr_days, location
):
    db = gcp_plan(plan, stack).named(SQL, "postgres")
    settings = db.inputs["settings"]
    assert settings["availabilityType"] == availability
    assert db.inputs["deletionProtection"] is protected and db.protect is protected
    assert settings["deletionProtectionEnabled"] is protected
    assert settings["finalBackupConfig"] == {"enabled": protected, "retentionDays": 30}
    backups = settings["backupConfiguration"]
    assert backups["backupRetentionSettings"] == {"retainedBackups": retained, "retentionUnit": "COUNT"}
    assert backups["transactionLogRetentionDays"] == pitr_days
    assert backups["location"] == location  # prod keeps its backups in the DR region


def test_database_settings_follow_config(plan):
    db = gcp_plan(plan, "dev", "database.slowQueryMs=250", "database.backupRetentionDays=3").named(SQL, "postgres")
    flags = {f["name"]: f["value"] for f in db.inputs["settings"]["databaseFlags"]}
    assert flags["log_min_duration_statement"] == "250"
    assert db.inputs["settings"]["backupConfiguration"]["transactionLogRetentionDays"] == 3


def test_prod_has_a_cross_region_replica_with_the_dr_key(plan):
    p = gcp_plan(plan, "prod")
    replica, primary = p.named(SQL, "postgres-dr"), p.named(SQL, "postgres")
    assert replica.inputs["region"] == "us-east1"
    assert replica.inputs["masterInstanceName"] == "platform-prod-postgres"
    assert replica.property_dependencies["masterInstanceName"] == [primary.urn]
    assert replica.property_dependencies["encryptionKeyName"] == [p.named("gcp:kms/cryptoKey:CryptoKey", "dr-data").urn]
    assert replica.inputs["settings"]["ipConfiguration"]["sslMode"] == "ENCRYPTED_ONLY"
    assert replica.inputs["deletionProtection"] is True
    assert "backupConfiguration" not in replica.inputs["settings"]
    assert not [r for r in gcp_plan(plan, "staging").of_type(SQL) if r.name == "postgres-dr"]


@pytest.mark.parametrize(
    ("stack", "tier", "persistence", "replicas"),
    [("dev", "BASIC", "DISABLED", 0), ("staging", "STANDARD_HA", "RDB", 0), ("prod", "STANDARD_HA", "RDB", 1)],
)
def test_redis_7_tls_auth_cmek_and_persistence_per_environment(plan, stack, tier, persistence, replicas):
    p = gcp_plan(plan, stack)
    redis = p.named(REDIS, "redis")
    assert redis.inputs["redisVersion"].startswith("REDIS_7_")
    assert redis.inputs["transitEncryptionMode"] == "SERVER_AUTHENTICATION"
    assert redis.inputs["authEnabled"] is True
    assert redis.inputs["connectMode"] == "PRIVATE_SERVICE_ACCESS"
    assert redis.property_dependencies["customerManagedKey"] == [p.named("gcp:kms/cryptoKey:CryptoKey", "data").urn]
    assert redis.inputs["tier"] == tier
    assert redis.inputs["persistenceConfig"]["persistenceMode"] == persistence
    assert redis.inputs.get("replicaCount", 0) == replicas
    expected_mode = "READ_REPLICAS_ENABLED" if replicas else "READ_REPLICAS_DISABLED"
    assert redis.inputs["readReplicasMode"] == expected_mode
    if persistence == "RDB":
        assert redis.inputs["persistenceConfig"]["rdbSnapshotPeriod"] == "TWENTY_FOUR_HOURS"


@pytest.mark.parametrize("stack", STACKS)
def test_credentials_live_in_secret_manager_encrypted_per_region(plan, stack):
    p = gcp_plan(plan, stack)
    secrets = {r.name: r for r in p.of_type("gcp:secretmanager/secret:Secret")}
    assert set(secrets) == {"database-password", "cache-auth-string", "jwt-signing-key"}
    regions = ["us-central1", "us-east1"] if stack == "prod" else ["us-central1"]
    for secret in secrets.values():
        replicas = secret.inputs["replication"]["userManaged"]["replicas"]
        assert [r["location"] for r in replicas] == regions
        assert all(r["customerManagedEncryption"]["kmsKeyName"] for r in replicas)
    versions = {r.name: r for r in p.of_type("gcp:secretmanager/secretVersion:SecretVersion")}
    assert set(versions) == set(secrets)
    assert all(v.inputs["secretData"] == "[secret]" for v in versions.values())
    cache_version = versions["cache-auth-string"]
    assert p.named(REDIS, "redis").urn in cache_version.property_dependencies["secretData"]
    user = p.named("gcp:sql/user:User", "app")
    assert user.inputs["password"] == "[secret]"
