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


SG = "aws:ec2/securityGroup:SecurityGroup"


def ingress(*sources: str, port: int = 5432, ipv6: bool = False) -> dict[str, Any]:
    key = "ipv6CidrBlocks" if ipv6 else "cidrBlocks"
    return {"ingress": [{"protocol": "tcp", "fromPort": port, "toPort": port, key: list(sources)}]}


@pytest.mark.parametrize(
    ("type_", "props", "anywhere"),
    [
        (SG, ingress("::/0", ipv6=True), "::/0"),
        (SG, ingress("0::/0", ipv6=True), "0::/0"),
        (SG, ingress("0.0.0.0/1", "128.0.0.0/1"), "0.0.0.0/1, 128.0.0.0/1"),
        (SG, ingress("::/1", "8000::/1", ipv6=True), "::/1, 8000::/1"),
        ("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", {"cidrIpv6": "::/0", "ipProtocol": "-1"}, "::/0"),
        (
            "aws:ec2/securityGroupRule:SecurityGroupRule",
            {"type": "ingress", "protocol": "tcp", "fromPort": 5432, "toPort": 5432, "ipv6CidrBlocks": ["::/0"]},
            "::/0",
        ),
        (
            "gcp:compute/firewall:Firewall",
            {"sourceRanges": ["::/0"], "allows": [{"protocol": "tcp", "ports": ["5432"]}]},
            "::/0",
        ),
        (
            "azure-native:network:SecurityRule",
            {"direction": "Inbound", "access": "Allow", "sourceAddressPrefix": "::/0", "destinationPortRange": "5432"},
            "::/0",
        ),
    ],
)
def test_anywhere_in_either_ip_version(type_: str, props: dict[str, Any], anywhere: str) -> None:
    assert any(f"are open to {anywhere}" in m for m in check(network.restricted_ingress, type_, props))


def test_ranges_short_of_anywhere_and_the_web_ports_are_not_flagged() -> None:
    assert check(network.restricted_ingress, SG, ingress("0.0.0.0/1", "10.0.0.0/8")) == []
    assert check(network.restricted_ingress, SG, ingress("::/0", ipv6=True, port=443)) == []
    assert check(network.restricted_ingress, SG, ingress("::/0", "0.0.0.0/0", ipv6=True, port=443)) == []


def test_all_ports_open_to_anywhere() -> None:
    rule = {"protocol": "-1", "fromPort": 0, "toPort": 0, "cidrBlocks": ["0.0.0.0/0"]}
    assert check(network.restricted_ingress, SG, {"ingress": [rule]}) == [
        "r: ports 0-65535 are open to 0.0.0.0/0.",
        "r: SSH is open to 0.0.0.0/0; only 10.0.0.0/8 may reach it.",
    ]


LOG_STORES = [
    ("azure-native:operationalinsights:Workspace", {"workspaceName": "platform-prod-app"}, "retentionInDays"),
    ("gcp:logging/projectBucketConfig:ProjectBucketConfig", {"bucketId": "app"}, "retentionDays"),
]


@pytest.mark.parametrize(("type_", "props", "key"), LOG_STORES)
def test_log_store_without_retention_keeps_the_cloud_default_and_is_flagged(type_: str, props: dict, key: str) -> None:
    """Both default to 30 days when no retention is set, short of prod's 90."""
    assert check(retention.log_retention, type_, props) == ["r: application logs kept 30 days; must be at least 90."]
    assert check(retention.log_retention, type_, {**props, key: 90}) == []


def test_cloudwatch_log_group_without_retention_keeps_logs_forever() -> None:
    assert check(retention.log_retention, "aws:cloudwatch/logGroup:LogGroup", {"name": "/app/web"}) == []


@pytest.mark.parametrize(
    ("type_", "good", "bad", "expected"),
    [
        (
            "gcp:sql/databaseInstance:DatabaseInstance",
            {"settings": {"availabilityType": "REGIONAL"}},
            {"settings": {"availabilityType": "ZONAL"}},
            "settings.availabilityType is 'ZONAL'; must be REGIONAL",
        ),
        (
            "aws:elasticache/replicationGroup:ReplicationGroup",
            {"multiAzEnabled": True, "automaticFailoverEnabled": True},
            {"multiAzEnabled": True},
            "automaticFailoverEnabled is None; must be True",
        ),
        ("gcp:redis/instance:Instance", {"tier": "STANDARD_HA"}, {"tier": "BASIC"}, "tier is 'BASIC'"),
    ],
)
def test_high_availability(type_: str, good: dict, bad: dict, expected: str) -> None:
    assert check(resilience.zone_redundancy, type_, good) == []
    assert any(expected in m for m in check(resilience.zone_redundancy, type_, bad))


def test_replicas_inherit_backups_and_zone_layout_from_their_primary() -> None:
    replica = {"masterInstanceName": "platform-prod-postgres", "settings": {"availabilityType": "ZONAL"}}
    for policy in (backups.backup_retention, backups.point_in_time_recovery, resilience.zone_redundancy):
        assert check(policy, "gcp:sql/databaseInstance:DatabaseInstance", replica) == []


def test_cache_transit_encryption_must_be_required_not_preferred() -> None:
    group = "aws:elasticache/replicationGroup:ReplicationGroup"
    required = {"transitEncryptionEnabled": True, "transitEncryptionMode": "required"}
    assert check(encryption.encryption_in_transit, group, required) == []
    preferred = {"transitEncryptionEnabled": True, "transitEncryptionMode": "preferred"}
    assert check(encryption.encryption_in_transit, group, preferred) == [
        "r: transitEncryptionMode is 'preferred'; must be required or None (TLS 1.2+ is required in transit)."
    ]


def test_cronjob_containers_have_limits() -> None:
    containers = [{"name": "report", "resources": {"limits": {"cpu": "4", "memory": "2Gi"}}}]
    cronjob = {"spec": {"jobTemplate": {"spec": {"template": {"spec": {"containers": containers}}}}}}
    assert check(limits.container_limits, "kubernetes:batch/v1:CronJob", cronjob) == [
        "r: container report cpu limit 4 exceeds 2 (largest tier)."
    ]


def test_gcs_bucket_survives_a_stack_delete() -> None:
    bucket = "gcp:storage/bucket:Bucket"
    assert check(resilience.deletion_protection, bucket, {"forceDestroy": False}) == []
    assert check(resilience.deletion_protection, bucket, {"forceDestroy": True}) == [
        "r: forceDestroy is True; must be False (prod data must survive an accidental delete)."
    ]


def test_cloud_sql_labels_are_its_user_labels() -> None:
    instance = "gcp:sql/databaseInstance:DatabaseInstance"
    assert check(tags.required_tags, instance, {"settings": {"userLabels": TAGS}}) == []
    assert check(tags.required_tags, instance, {"labels": TAGS, "settings": {}}) == []
    assert check(tags.required_tags, instance, {"settings": {"userLabels": {"environment": "prod"}}}) == [
        "r: missing tags service, owner, cost-center, managed-by."
    ]


def test_parameters_come_from_config() -> None:
    assert check(limits.allowed_sizes, RDS, {"instanceClass": "db.r6g.xlarge"}, {"allowedSizes": ["db.t4g.*"]})
    assert not check(
        retention.log_retention, "aws:cloudwatch/logGroup:LogGroup", {"retentionInDays": 7}, {"minAppRetentionDays": 7}
    )
