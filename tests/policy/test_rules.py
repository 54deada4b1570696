"""Every resource rule on a compliant and a non-compliant resource, through the SDK's validate()."""

from __future__ import annotations

from typing import Any

import pytest

from policies.rules import backups, encryption, limits, network, resilience, retention, tags

from .support import check

KEY = "arn:aws:kms:us-east-1:123456789012:key/1"
TAGS = {"environment": "prod", "service": "web", "owner": "o", "cost-center": "c", "managed-by": "pulumi"}
RDS = "aws:rds/instance:Instance"
CASES: list[tuple[Any, str, dict[str, Any], dict[str, Any], str]] = [
    (
        encryption.encryption_at_rest,
        RDS,
        {"storageEncrypted": True, "kmsKeyId": KEY},
        {"storageEncrypted": False},
        "kmsKeyId is None; must be set",
    ),
    (encryption.encryption_at_rest, "aws:sqs/queue:Queue", {"kmsMasterKeyId": KEY}, {}, "kmsMasterKeyId"),
    (
        encryption.encryption_at_rest,
        "gcp:storage/bucket:Bucket",
        {"encryption": {"defaultKmsKeyName": "k"}},
        {},
        "encryption.defaultKmsKeyName",
    ),
    (
        encryption.encryption_at_rest,
        "azure-native:storage:StorageAccount",
        {"encryption": {"keySource": "Microsoft.Keyvault", "keyVaultProperties": {"keyName": "data"}}},
        {"encryption": {"keySource": "Microsoft.Storage"}},
        "keySource",
    ),
    (
        encryption.key_rotation,
        "aws:kms/key:Key",
        {"enableKeyRotation": True, "rotationPeriodInDays": 90},
        {"enableKeyRotation": True, "rotationPeriodInDays": 365},
        "rotates every 365 days; must be at most 90",
    ),
    (encryption.key_rotation, "gcp:kms/cryptoKey:CryptoKey", {"rotationPeriod": "2592000s"}, {}, "rotation is off"),
    (
        encryption.encryption_in_transit,
        "aws:elasticache/replicationGroup:ReplicationGroup",
        {"transitEncryptionEnabled": True},
        {"transitEncryptionEnabled": False},
        "transitEncryptionEnabled",
    ),
    (
        encryption.encryption_in_transit,
        "aws:rds/parameterGroup:ParameterGroup",
        {"family": "postgres14", "parameters": [{"name": "rds.force_ssl", "value": "1"}]},
        {"family": "postgres14", "parameters": []},
        "rds.force_ssl must be 1",
    ),
    (
        encryption.tls_listeners,
        "aws:lb/listener:Listener",
        {"protocol": "HTTPS", "sslPolicy": "ELBSecurityPolicy-TLS13-1-2-2021-06"},
        {"protocol": "HTTPS", "sslPolicy": "ELBSecurityPolicy-2016-08"},
        "is not a ELBSecurityPolicy-TLS13-* policy",
    ),
    (
        encryption.tls_listeners,
        "aws:lb/listener:Listener",
        {"protocol": "HTTP", "defaultActions": [{"type": "redirect"}]},
        {"protocol": "HTTP", "defaultActions": [{"type": "forward"}]},
        "must redirect to HTTPS",
    ),
    (
        network.no_public_data_stores,
        RDS,
        {"publiclyAccessible": False},
        {"publiclyAccessible": True},
        "publiclyAccessible is True",
    ),
    (
        network.no_public_data_stores,
        "gcp:sql/databaseInstance:DatabaseInstance",
        {"settings": {"ipConfiguration": {"ipv4Enabled": False}}},
        {"settings": {"ipConfiguration": {"ipv4Enabled": True}}},
        "ipv4Enabled",
    ),
    (
        network.restricted_ingress,
        "aws:ec2/securityGroup:SecurityGroup",
        {"ingress": [{"protocol": "tcp", "fromPort": 443, "toPort": 443, "cidrBlocks": ["0.0.0.0/0"]}]},
        {"ingress": [{"protocol": "tcp", "fromPort": 5432, "toPort": 5432, "cidrBlocks": ["0.0.0.0/0"]}]},
        "ports 5432-5432 are open to 0.0.0.0/0",
    ),
    (
        network.restricted_ingress,
        "gcp:compute/firewall:Firewall",
        {"sourceRanges": ["10.1.0.0/16"], "allows": [{"protocol": "tcp", "ports": ["22"]}]},
        {"sourceRanges": ["192.168.0.0/16"], "allows": [{"protocol": "tcp", "ports": ["22"]}]},
        "SSH is open to 192.168.0.0/16",
    ),
    (
        limits.allowed_sizes,
        "aws:ec2/launchTemplate:LaunchTemplate",
        {"instanceType": "t3.medium"},
        {"instanceType": "x2iedn.32xlarge"},
        "size 'x2iedn.32xlarge' is not allowed",
    ),
    (
        limits.autoscaling_max_size,
        "aws:autoscaling/group:Group",
        {"maxSize": 10, "tags": [{"key": "service", "value": "web"}]},
        {"maxSize": 11, "tags": [{"key": "service", "value": "web"}]},
        "exceeds web's cap of 10",
    ),
    (
        limits.autoscaling_max_size,
        "kubernetes:autoscaling/v2:HorizontalPodAutoscaler",
        {"metadata": {"labels": {"tier": "worker"}}, "spec": {"maxReplicas": 8}},
        {"metadata": {"labels": {"tier": "worker"}}, "spec": {"maxReplicas": 9}},
        "worker's cap of 8",
    ),
    (
        limits.database_storage_cap,
        RDS,
        {"allocatedStorage": 100, "maxAllocatedStorage": 1000},
        {"allocatedStorage": 100, "maxAllocatedStorage": 4000},
        "exceeds the cap of 2000 GB",
    ),
    (
        limits.container_limits,
        "kubernetes:apps/v1:Deployment",
        {
            "metadata": {"labels": {"tier": "api"}},
            "spec": {
                "template": {
                    "spec": {"containers": [{"name": "c", "resources": {"limits": {"cpu": "2", "memory": "4Gi"}}}]}
                }
            },
        },
        {
            "metadata": {"labels": {"tier": "api"}},
            "spec": {
                "template": {
                    "spec": {"containers": [{"name": "c", "resources": {"limits": {"cpu": "2500m", "memory": "4Gi"}}}]}
                }
            },
        },
        "cpu limit 2500m exceeds 2",
    ),
    (
        limits.container_limits,
        "kubernetes:apps/v1:Deployment",
        {
            "spec": {
                "template": {
                    "spec": {"containers": [{"name": "c", "resources": {"limits": {"cpu": "1", "memory": "1Gi"}}}]}
                }
            }
        },
        {"spec": {"template": {"spec": {"containers": [{"name": "c"}]}}}},
        "has no cpu limit",
    ),
    (
        backups.backup_retention,
        RDS,
        {"backupRetentionPeriod": 7},
        {"backupRetentionPeriod": 1},
        "must be at least 7 days",
    ),
    (
        backups.point_in_time_recovery,
        "gcp:sql/databaseInstance:DatabaseInstance",
        {"settings": {"backupConfiguration": {"pointInTimeRecoveryEnabled": True, "transactionLogRetentionDays": 7}}},
        {"settings": {"backupConfiguration": {"transactionLogRetentionDays": 7}}},
        "pointInTimeRecoveryEnabled",
    ),
    (
        resilience.deletion_protection,
        RDS,
        {"deletionProtection": True, "skipFinalSnapshot": False},
        {"deletionProtection": True, "skipFinalSnapshot": True},
        "skipFinalSnapshot is True",
    ),
    (resilience.zone_redundancy, RDS, {"multiAz": True}, {"multiAz": False}, "multiAz is False"),
    (
        resilience.zone_redundancy,
        "aws:autoscaling/group:Group",
        {"vpcZoneIdentifiers": ["a", "b"]},
        {"vpcZoneIdentifiers": ["a"]},
        "spans 1 zone(s)",
    ),
    (
        retention.log_retention,
        "aws:cloudwatch/logGroup:LogGroup",
        {"name": "/app/web", "retentionInDays": 90},
        {"name": "/app/web", "retentionInDays": 30},
        "application logs kept 30 days; must be at least 90",
    ),
    (
        retention.log_retention,
        "aws:cloudwatch/logGroup:LogGroup",
        {"name": "/audit", "retentionInDays": 365},
        {"name": "/audit", "retentionInDays": 90},
        "audit logs kept 90 days; must be at least 365",
    ),
    (
        tags.required_tags,
        "aws:s3/bucket:Bucket",
        {"tags": TAGS},
        {"tags": {"environment": "prod"}},
        "missing tags service, owner, cost-center, managed-by",
    ),
    (tags.required_tags, "gcp:storage/bucket:Bucket", {"labels": TAGS}, {}, "missing tags environment"),
]


@pytest.mark.parametrize(
    ("policy", "type_", "good", "bad", "expected"), CASES, ids=[f"{c[0].name}:{c[1]}" for c in CASES]
)
def test_rule(policy: Any, type_: str, good: dict[str, Any], bad: dict[str, Any], expected: str) -> None:
    assert check(policy, type_, good) == []
    messages = check(policy, type_, bad)
    assert any(expected in m for m in messages), messages


def test_parameters_come_from_config() -> None:
    assert check(limits.allowed_sizes, RDS, {"instanceClass": "db.r6g.xlarge"}, {"allowedSizes": ["db.t4g.*"]})
    assert not check(
        retention.log_retention, "aws:cloudwatch/logGroup:LogGroup", {"retentionInDays": 7}, {"minAppRetentionDays": 7}
    )
