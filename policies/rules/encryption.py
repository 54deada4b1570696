"""Encryption at rest with customer-managed keys, key rotation, and encryption in transit."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pulumi_policy import PolicyResource, ReportViolation, ResourceValidationArgs, StackValidationArgs

from . import defaults
from .base import (
    MUST_BE_SET,
    Params,
    Requirement,
    check_table,
    days,
    dig,
    integer,
    items,
    number,
    resource_rule,
    stack_rule,
    strings,
    text,
    truthy,
    unmet,
    values,
)
from .links import known, names, of_types, report_each

# Per resource type, what makes its data encrypted with a key the platform manages.
AT_REST: dict[str, list[Requirement]] = {
    "aws:rds/instance:Instance": [("storageEncrypted", True), ("kmsKeyId", MUST_BE_SET)],
    "aws:rds/cluster:Cluster": [("storageEncrypted", True), ("kmsKeyId", MUST_BE_SET)],
    "aws:elasticache/replicationGroup:ReplicationGroup": [("atRestEncryptionEnabled", True), ("kmsKeyId", MUST_BE_SET)],
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": [
        ("rules.*.applyServerSideEncryptionByDefault.sseAlgorithm", ("aws:kms", "aws:kms:dsse")),
        ("rules.*.applyServerSideEncryptionByDefault.kmsMasterKeyId", MUST_BE_SET),
    ],
    "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2": [
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
    "azure-native:dbforpostgresql:Server": [
        ("dataEncryption.type", "AzureKeyVault"),
        ("dataEncryption.primaryKeyURI", MUST_BE_SET),
    ],
    "azure-native:storage:StorageAccount": [
        ("encryption.keySource", "Microsoft.Keyvault"),
        ("encryption.keyVaultProperties.keyName", MUST_BE_SET),
    ],
    "azure-native:compute:Disk": [("encryption.diskEncryptionSetId", MUST_BE_SET)],
    "azure-native:compute:DiskEncryptionSet": [
        ("encryptionType", ("EncryptionAtRestWithCustomerKey", "EncryptionAtRestWithPlatformAndCustomerKeys")),
        ("activeKey.keyUrl", MUST_BE_SET),
    ],
    "azure-native:compute:VirtualMachineScaleSet": [
        ("virtualMachineProfile.storageProfile.osDisk.managedDisk.diskEncryptionSet.id", MUST_BE_SET),
        ("virtualMachineProfile.storageProfile.dataDisks.*.managedDisk.diskEncryptionSet.id", MUST_BE_SET),
    ],
    "azure-native:compute:VirtualMachine": [
        ("storageProfile.osDisk.managedDisk.diskEncryptionSet.id", MUST_BE_SET),
        ("storageProfile.dataDisks.*.managedDisk.diskEncryptionSet.id", MUST_BE_SET),
    ],
    "azure-native:servicebus:Namespace": [("encryption.keySource", "Microsoft.KeyVault")],
    "azure-native:appconfiguration:ConfigurationStore": [("encryption.keyVaultProperties.keyIdentifier", MUST_BE_SET)],
    "azure-native:dataprotection:BackupVault": [
        ("properties.securitySettings.encryptionSettings.state", "Enabled"),
        ("properties.securitySettings.encryptionSettings.keyVaultProperties.keyUri", MUST_BE_SET),
    ],
    # Not listed, because the cloud offers no customer-managed key for them (encrypted with platform keys):
    # Azure Cache for Redis Basic/Standard/Premium (CMK is Enterprise / Managed Redis only; Premium RDB
    # persistence lands in a storage account, which is checked above) and Log Analytics workspaces (CMK needs
    # a dedicated cluster with a 100 GB/day commitment).
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


S3_BUCKETS = ("aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2")
S3_ENCRYPTION = tuple(t for t in AT_REST if t.startswith("aws:s3/bucketServerSideEncryptionConfiguration"))
S3_INLINE: list[Requirement] = [
    (f"serverSideEncryptionConfiguration.rule.applyServerSideEncryptionByDefault.{key}", expected)
    for key, expected in (("sseAlgorithm", ("aws:kms", "aws:kms:dsse")), ("kmsMasterKeyId", MUST_BE_SET))
]
ELB_TYPES = (
    "aws:lb/loadBalancer:LoadBalancer",
    "aws:alb/loadBalancer:LoadBalancer",
    "aws:elb/loadBalancer:LoadBalancer",
)
SSE_S3 = "AES256"


@dataclass(frozen=True)
class Buckets:
    """What the encryption rule needs to know about a stack's S3 buckets."""

    encryption: list[PolicyResource]  # bucket encryption configurations
    elb_logs: set[str]  # URNs and names of the buckets load balancers write access logs to

    @classmethod
    def of(cls, resources: Sequence[PolicyResource]) -> Buckets:
        balancers = of_types(resources, ELB_TYPES)
        logs = {d.urn for lb in balancers for d in lb.property_dependencies.get("accessLogs", [])}
        logs |= {str(known(lb.props, "accessLogs.bucket")) for lb in balancers if known(lb.props, "accessLogs.bucket")}
        return cls(of_types(resources, S3_ENCRYPTION), logs)

    def for_elb_logs(self, resource: PolicyResource) -> bool:
        """Whether a bucket, or the bucket an encryption configuration names, receives ELB access logs."""
        refs = {resource.urn} if resource.resource_type in S3_BUCKETS else set()
        refs |= {d.urn for d in resource.property_dependencies.get("bucket", [])}
        name = known(resource.props, "bucket")
        return bool((refs | ({name} if isinstance(name, str) else set())) & self.elb_logs)

    def configured(self, bucket: PolicyResource) -> bool:
        name = known(bucket.props, "bucket")
        return any(names(config, "bucket", bucket, name) for config in self.encryption)


def _sse_s3_only(resource: PolicyResource) -> bool:
    """Whether a bucket or its encryption configuration asks for SSE-S3 and nothing else."""
    paths = ("rules.*", "serverSideEncryptionConfiguration.rule")
    found = [
        a for path in paths for a in values(resource.props, f"{path}.applyServerSideEncryptionByDefault.sseAlgorithm")
    ]
    algorithms = [a for a in found if a is not None]
    return bool(algorithms) and all(a == SSE_S3 for a in algorithms)


def _cmk_problems(resource: PolicyResource, buckets: Buckets) -> list[str]:
    """What keeps a resource's data off a customer-managed key, with the one documented exception: ELB writes
    access logs only to a bucket encrypted with S3-managed keys (SSE-S3), so the bucket a load balancer logs to
    may use SSE-S3, and nothing else: no other algorithm, no other bucket."""
    if resource.resource_type not in S3_BUCKETS:
        problems = unmet(resource.props, AT_REST[resource.resource_type])
    elif dig(resource.props, "serverSideEncryptionConfiguration.rule"):
        problems = unmet(resource.props, S3_INLINE)
    elif not buckets.configured(resource) and not buckets.for_elb_logs(resource):
        problems = ["no server-side encryption configuration names it, so S3 uses S3-managed keys"]
    else:
        problems = []
    return [] if problems and buckets.for_elb_logs(resource) and _sse_s3_only(resource) else problems


@stack_rule(
    name="encryption-at-rest-cmk",
    description="Data at rest is encrypted with a customer-managed key (SPEC.md: Security); the one exception is "
    "the bucket a load balancer writes access logs to, which ELB supports only with SSE-S3.",
    remediation=(
        "Pass the environment's KMS / Key Vault / Cloud KMS key to the resource (kmsKeyId, kmsMasterKeyId, "
        "encryptionKeyName, diskEncryptionSetId ...) and turn its encryption flag on; give every S3 bucket an "
        "aws:kms server-side encryption configuration (the ELB access-log bucket: AES256)."
    ),
)
def encryption_at_rest(args: StackValidationArgs, report: ReportViolation, params: Params) -> None:
    resources = list(args.resources)
    buckets = Buckets.of(resources)
    subjects = [r for r in resources if r.resource_type in AT_REST or r.resource_type in S3_BUCKETS]

    def problems(resource: PolicyResource) -> list[str]:
        return [f"{problem} (needs a customer-managed key)" for problem in _cmk_problems(resource, buckets)]

    report_each(subjects, problems, report)


def _aws_rotation(props: Mapping[str, Any]) -> float | None:
    if not truthy(props.get("enableKeyRotation")):
        return None
    return number(props.get("rotationPeriodInDays")) or 365  # AWS's period when none is given


def _gcp_rotation(props: Mapping[str, Any]) -> float | None:
    return days(props.get("rotationPeriod"))


def _azure_rotation(props: Mapping[str, Any]) -> float | None:
    for action in items(props, "properties.rotationPolicy.lifetimeActions"):
        period = days(dig(action, "trigger.timeAfterCreate"))
        if str(dig(action, "action.type")).lower() == "rotate" and period:
            return period
    return None


# Per key type: the rotation period in days (None when rotation is off) and the shortest the cloud allows.
ROTATION: dict[str, tuple[Callable[[Mapping[str, Any]], float | None], int]] = {
    "aws:kms/key:Key": (_aws_rotation, 90),
    "gcp:kms/cryptoKey:CryptoKey": (_gcp_rotation, 1),
    "azure-native:keyvault:Key": (_azure_rotation, 7),
}


# Resources that encrypt with a key and must follow its rotations (else they keep using the old version).
FOLLOW_ROTATION: dict[str, list[Requirement]] = {
    "azure-native:compute:DiskEncryptionSet": [("rotationToLatestKeyVersionEnabled", True)],
}


@resource_rule(
    name="key-rotation",
    description="Customer-managed keys rotate automatically, at SPEC.md's period or the shortest the cloud allows.",
    remediation="Enable automatic rotation on the key (enableKeyRotation / rotationPeriod / rotationPolicy) "
    "with a period no longer than rotationDays (raised to the cloud's minimum).",
    schema={"rotationDays": integer(defaults.KEY_ROTATION_DAYS, "Longest rotation period in days")},
)
def key_rotation(args: ResourceValidationArgs, report: ReportViolation, params: Params) -> None:
    check_table(FOLLOW_ROTATION, args, report, "must pick up the rotated key version")
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
    return tuple(
        spelling
        for v in versions
        for spelling in (v, f"TLS{v}", f"TLSv{v}", f"TLS1_{v[-1]}", f"TLS_1_{v[-1]}", f"TLSv1_{v[-1]}")
    )


def _in_transit(minimum: str) -> dict[str, list[Requirement]]:
    tls = _tls_at_least(minimum)
    return {
        "aws:elasticache/replicationGroup:ReplicationGroup": [
            ("transitEncryptionEnabled", True),
            ("transitEncryptionMode", ("required", None)),
        ],
        "azure-native:redis:Redis": [("enableNonSslPort", False), ("minimumTlsVersion", tls)],
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
        # Flexible Server defaults are require_secure_transport=on and TLSv1.2; only overrides can weaken them.
        name, value = str(args.props.get("configurationName", "")), str(args.props.get("value", ""))
        if name == "require_secure_transport" and value.lower() != "on":
            return ["require_secure_transport must be on"]
        if name == "ssl_min_protocol_version" and value not in _tls_at_least(minimum):
            return [f"ssl_min_protocol_version is {value!r}; must be TLSv{minimum} or later"]
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


APPLICATION_GATEWAY = "azure-native:network:ApplicationGateway"


def _gateway_tls(props: Mapping[str, Any], params: Params) -> list[str]:
    """An Application Gateway's TLS policy offers TLS 1.3 with a 1.2 minimum; its HTTP listeners only redirect."""
    problems = []
    policy = dig(props, "sslPolicy") or {}
    kind, name = str(policy.get("policyType") or ""), str(policy.get("policyName") or "")
    lowest = str(policy.get("minProtocolVersion") or "")
    if kind.lower() == "customv2":
        if lowest not in _tls_at_least(str(params["minTlsVersion"])):
            problems.append(f"sslPolicy CustomV2 minProtocolVersion {lowest or '(none)'!r} is below TLS 1.2")
    elif kind.lower() != "predefined" or name not in params["azureSslPolicies"]:
        problems.append(
            f"sslPolicy {name or kind or '(default)'!r} is not one of {', '.join(params['azureSslPolicies'])} "
            "or a CustomV2 policy"
        )
    plain = {str(listener.get("name")) for listener in items(props, "httpListeners") if _is_http(listener)}
    for rule in items(props, "requestRoutingRules"):
        listener = str(dig(rule, "httpListener.id") or "").rsplit("/", 1)[-1]
        if listener in plain and not dig(rule, "redirectConfiguration.id"):
            problems.append(f"routing rule {rule.get('name')} forwards plain HTTP; it must redirect to HTTPS")
    return problems


def _is_http(listener: Mapping[str, Any]) -> bool:
    return str(listener.get("protocol", "")).lower() == "http"


@resource_rule(
    name="tls-listeners",
    description="Public HTTPS listeners use a TLS 1.3 policy; plain-HTTP listeners only redirect to HTTPS.",
    remediation="Set the HTTPS listener's sslPolicy to an ELBSecurityPolicy-TLS13-* policy (Azure Application "
    "Gateway: AppGwSslPolicy20220101(S) or CustomV2 with minProtocolVersion TLSv1_2+; GCP: an SSL policy with "
    "MODERN/RESTRICTED profile); make port-80 listeners redirect to HTTPS instead of forwarding.",
    schema={
        "sslPolicyPrefix": text(defaults.TLS13_POLICY_PREFIX, "Prefix every allowed AWS TLS 1.3 policy has"),
        "azureSslPolicies": strings(defaults.AZURE_TLS13_POLICIES, "Application Gateway predefined TLS 1.3 policies"),
        "minTlsVersion": {**text(defaults.MIN_TLS_VERSION, "Lowest TLS version"), "enum": ["1.2", "1.3"]},
    },
)
def tls_listeners(args: ResourceValidationArgs, report: ReportViolation, params: Params) -> None:
    if args.resource_type == APPLICATION_GATEWAY:
        for problem in _gateway_tls(args.props, params):
            report(f"{args.name}: {problem}.")
        return
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


# Key stores whose deleted keys stay recoverable: a purged customer-managed key makes its data unreadable
# (Azure also refuses CMK for PostgreSQL and Storage from a vault without purge protection).
RECOVERABLE_KEYS: dict[str, list[Requirement]] = {
    "azure-native:keyvault:Vault": [
        ("properties.enableSoftDelete", (True, None)),  # absent: on, and new vaults cannot turn it off
        ("properties.enablePurgeProtection", True),
    ],
}


@resource_rule(
    name="key-vault-purge-protection",
    description="Key vaults keep deleted keys and secrets recoverable: soft delete and purge protection on.",
    remediation="Set properties.enablePurgeProtection to true (it cannot be turned off again) and leave soft "
    "delete on.",
)
def key_vault_purge_protection(args: ResourceValidationArgs, report: ReportViolation, params: Params) -> None:
    check_table(RECOVERABLE_KEYS, args, report, "a purged key makes the data it encrypts unreadable")


POLICIES = [encryption_at_rest, key_rotation, encryption_in_transit, tls_listeners, key_vault_purge_protection]
