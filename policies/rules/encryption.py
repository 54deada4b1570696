"""Encryption at rest with customer-managed keys, key rotation, and encryption in transit."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from pulumi_policy import ReportViolation, ResourceValidationArgs

from . import defaults
from .base import (
    MUST_BE_SET,
    Params,
    Requirement,
    check_table,
    dig,
    integer,
    items,
    number,
    resource_rule,
    text,
    truthy,
)

# Per resource type, what makes its data encrypted with a key the platform manages.
AT_REST: dict[str, list[Requirement]] = {
    "aws:rds/instance:Instance": [("storageEncrypted", True), ("kmsKeyId", MUST_BE_SET)],
    "aws:rds/cluster:Cluster": [("storageEncrypted", True), ("kmsKeyId", MUST_BE_SET)],
    "aws:elasticache/replicationGroup:ReplicationGroup": [("atRestEncryptionEnabled", True), ("kmsKeyId", MUST_BE_SET)],
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": [
        ("rules.*.applyServerSideEncryptionByDefault.sseAlgorithm", ("aws:kms", "aws:kms:dsse")),
        ("rules.*.applyServerSideEncryptionByDefault.kmsMasterKeyId", MUST_BE_SET),
    ],
    "aws:ebs/volume:Volume": [("encrypted", True), ("kmsKeyId", MUST_BE_SET)],
    "aws:ec2/launchTemplate:LaunchTemplate": [
        ("blockDeviceMappings.*.ebs.encrypted", True),
        ("blockDeviceMappings.*.ebs.kmsKeyId", MUST_BE_SET),
    ],
    "aws:sqs/queue:Queue": [("kmsMasterKeyId", MUST_BE_SET)],
    "aws:sns/topic:Topic": [("kmsMasterKeyId", MUST_BE_SET)],
    "aws:cloudwatch/logGroup:LogGroup": [("kmsKeyId", MUST_BE_SET)],
    "aws:backup/vault:Vault": [("kmsKeyArn", MUST_BE_SET)],
    "aws:secretsmanager/secret:Secret": [("kmsKeyId", MUST_BE_SET)],
    "azure-native:dbforpostgresql:Server": [("dataEncryption.primaryKeyURI", MUST_BE_SET)],
    "azure-native:storage:StorageAccount": [("encryption.keySource", "Microsoft.Keyvault")],
    "azure-native:compute:Disk": [("encryption.diskEncryptionSetId", MUST_BE_SET)],
    "azure-native:servicebus:Namespace": [("encryption.keySource", "Microsoft.KeyVault")],
    "azure-native:dataprotection:BackupVault": [("properties.securitySettings.encryptionSettings.state", "Enabled")],
    "gcp:sql/databaseInstance:DatabaseInstance": [("encryptionKeyName", MUST_BE_SET)],
    "gcp:storage/bucket:Bucket": [("encryption.defaultKmsKeyName", MUST_BE_SET)],
    "gcp:compute/disk:Disk": [("diskEncryptionKey.kmsKeySelfLink", MUST_BE_SET)],
    "gcp:compute/instanceTemplate:InstanceTemplate": [("disks.*.diskEncryptionKey.kmsKeySelfLink", MUST_BE_SET)],
    "gcp:redis/instance:Instance": [("customerManagedKey", MUST_BE_SET)],
    "gcp:pubsub/topic:Topic": [("kmsKeyName", MUST_BE_SET)],
    "gcp:logging/projectBucketConfig:ProjectBucketConfig": [("cmekSettings.kmsKeyName", MUST_BE_SET)],
    "kubernetes:storage.k8s.io/v1:StorageClass": [
        ("parameters.kmsKeyId|parameters.disk-encryption-kms-key|parameters.diskEncryptionSetID", MUST_BE_SET)
    ],
}


@resource_rule(
    name="encryption-at-rest-cmk",
    description="Data at rest is encrypted with a customer-managed key (SPEC.md: Security).",
    remediation=(
        "Pass the environment's KMS / Key Vault / Cloud KMS key to the resource (kmsKeyId, kmsMasterKeyId, "
        "encryptionKeyName, diskEncryptionSetId ...) and turn its encryption flag on."
    ),
)
def encryption_at_rest(args: ResourceValidationArgs, report: ReportViolation, params: Params) -> None:
    check_table(AT_REST, args, report, "needs a customer-managed key")


def _aws_rotation(props: Mapping[str, Any]) -> float | None:
    if not truthy(props.get("enableKeyRotation")):
        return None
    return number(props.get("rotationPeriodInDays")) or 365  # AWS's period when none is given


def _gcp_rotation(props: Mapping[str, Any]) -> float | None:
    seconds = re.fullmatch(r"(\d+(?:\.\d+)?)s", str(props.get("rotationPeriod") or ""))
    return float(seconds[1]) / 86400 if seconds else None


def _azure_rotation(props: Mapping[str, Any]) -> float | None:
    for action in items(props, "properties.rotationPolicy.lifetimeActions"):
        days = re.fullmatch(r"P(\d+)D", str(dig(action, "trigger.timeAfterCreate") or ""))
        if str(dig(action, "action.type")).lower() == "rotate" and days:
            return float(days[1])
    return None


# Per key type: the rotation period in days (None when rotation is off) and the shortest the cloud allows.
ROTATION: dict[str, tuple[Callable[[Mapping[str, Any]], float | None], int]] = {
    "aws:kms/key:Key": (_aws_rotation, 90),
    "gcp:kms/cryptoKey:CryptoKey": (_gcp_rotation, 1),
    "azure-native:keyvault:Key": (_azure_rotation, 7),
}


@resource_rule(
    name="key-rotation",
    description="Customer-managed keys rotate automatically, at SPEC.md's period or the shortest the cloud allows.",
    remediation="Enable automatic rotation on the key (enableKeyRotation / rotationPeriod / rotationPolicy) "
    "with a period no longer than rotationDays (raised to the cloud's minimum).",
    schema={"rotationDays": integer(defaults.KEY_ROTATION_DAYS, "Longest rotation period in days")},
)
def key_rotation(args: ResourceValidationArgs, report: ReportViolation, params: Params) -> None:
    if args.resource_type not in ROTATION or str(args.props.get("customerMasterKeySpec", "SYMMETRIC_DEFAULT")) != (
        "SYMMETRIC_DEFAULT"
    ):
        return  # AWS rotates only symmetric keys
    read, cloud_minimum = ROTATION[args.resource_type]
    period, allowed = read(args.props), max(int(params["rotationDays"]), cloud_minimum)
    if period is None:
        report(f"{args.name}: automatic key rotation is off.")
    elif period > allowed:
        report(f"{args.name}: rotates every {period:g} days; must be at most {allowed} days.")


def _tls_at_least(minimum: str) -> tuple[str, ...]:
    """Every spelling of the TLS versions >= ``minimum`` the clouds use."""
    versions = [v for v in ("1.2", "1.3") if v >= minimum]
    return tuple(s for v in versions for s in (v, f"TLS{v}", f"TLSv{v}", f"TLS1_{v[-1]}", f"TLS_1_{v[-1]}"))


def _in_transit(minimum: str) -> dict[str, list[Requirement]]:
    tls = _tls_at_least(minimum)
    return {
        "aws:elasticache/replicationGroup:ReplicationGroup": [
            ("transitEncryptionEnabled", True),
            ("transitEncryptionMode", ("required", None)),
        ],
        "azure-native:cache:Redis": [("enableNonSslPort", False), ("minimumTlsVersion", tls)],
        "gcp:redis/instance:Instance": [("transitEncryptionMode", "SERVER_AUTHENTICATION")],
        "gcp:sql/databaseInstance:DatabaseInstance": [
            ("settings.ipConfiguration.sslMode", ("ENCRYPTED_ONLY", "TRUSTED_CLIENT_CERTIFICATE_REQUIRED"))
        ],
        "azure-native:storage:StorageAccount": [("minimumTlsVersion", tls), ("enableHttpsTrafficOnly", True)],
        "gcp:compute/sSLPolicy:SSLPolicy": [("minTlsVersion", tls)],
    }


def _postgres_tls(args: ResourceValidationArgs, minimum: str) -> list[str]:
    """AWS parameter groups and Azure server configurations that carry PostgreSQL's TLS settings."""
    if args.resource_type == "aws:rds/parameterGroup:ParameterGroup" and str(args.props.get("family", "")).startswith(
        "postgres"
    ):
        params = {str(p.get("name")): str(p.get("value")) for p in items(args.props, "parameters")}
        problems = [] if params.get("rds.force_ssl") == "1" else ["rds.force_ssl must be 1"]
        if params.get("ssl_min_protocol_version", "TLSv1.2") not in _tls_at_least(minimum):
            problems.append(f"ssl_min_protocol_version must be TLSv{minimum} or later")
        return problems
    if args.resource_type == "azure-native:dbforpostgresql:Configuration":
        name, value = str(args.props.get("configurationName", "")), str(args.props.get("value", "")).lower()
        if name == "require_secure_transport" and value != "on":
            return ["require_secure_transport must be on"]
    return []


@resource_rule(
    name="encryption-in-transit",
    description="Data stores accept only TLS (TLS 1.2 minimum): Redis, PostgreSQL, storage endpoints.",
    remediation="Require TLS on the data store: Redis transit encryption in required mode, PostgreSQL "
    "rds.force_ssl=1 / sslMode ENCRYPTED_ONLY / require_secure_transport=on, storage HTTPS only, min TLS 1.2.",
    schema={"minTlsVersion": {**text(defaults.MIN_TLS_VERSION, "Lowest TLS version"), "enum": ["1.2", "1.3"]}},
)
def encryption_in_transit(args: ResourceValidationArgs, report: ReportViolation, params: Params) -> None:
    minimum = str(params["minTlsVersion"])
    check_table(_in_transit(minimum), args, report, f"TLS {minimum}+ is required in transit")
    for problem in _postgres_tls(args, minimum):
        report(f"{args.name}: {problem}.")


@resource_rule(
    name="tls-listeners",
    description="Public HTTPS listeners use a TLS 1.3 policy; plain-HTTP listeners only redirect to HTTPS.",
    remediation="Set the HTTPS listener's sslPolicy to an ELBSecurityPolicy-TLS13-* policy (GCP: an SSL policy "
    "with MODERN/RESTRICTED profile); make port-80 listeners redirect to HTTPS instead of forwarding.",
    schema={"sslPolicyPrefix": text(defaults.TLS13_POLICY_PREFIX, "Prefix every allowed AWS TLS 1.3 policy has")},
)
def tls_listeners(args: ResourceValidationArgs, report: ReportViolation, params: Params) -> None:
    if args.resource_type not in ("aws:lb/listener:Listener", "aws:alb/listener:Listener"):
        return
    protocol = str(args.props.get("protocol", "")).upper()
    if protocol in ("HTTPS", "TLS"):
        policy = str(args.props.get("sslPolicy") or "")
        if not policy.startswith(str(params["sslPolicyPrefix"])):
            report(f"{args.name}: sslPolicy {policy or '(default)'!r} is not a {params['sslPolicyPrefix']}* policy.")
    elif protocol == "HTTP":
        kinds = {str(action.get("type")) for action in items(args.props, "defaultActions")}
        if kinds - {"redirect", "fixed-response"}:
            report(f"{args.name}: plain-HTTP listener {'/'.join(sorted(kinds))}s traffic; it must redirect to HTTPS.")


POLICIES = [encryption_at_rest, key_rotation, encryption_in_transit, tls_listeners]
