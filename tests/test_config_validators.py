"""Every validator in components/config has a test that fails when it is removed or moved by one.

Three tables: RANGES (each numeric bound, tested at the bound and one step past it), FORMATS (each
pattern or checked type, with a value it accepts and one it refuses) and RULES (each validator
function and each cross-section check, with a config it accepts and one it refuses). The meta-tests
at the end read the model itself and fail when a constraint or a rule has no row here, so a new
field or check cannot arrive untested.
"""

from __future__ import annotations

import copy
import inspect
import json
import typing
from dataclasses import dataclass, field
from typing import Any

import annotated_types
import pytest
from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo

from components.config import COLORS, AzureConfig, BlueGreenConfig, ConfigError, GcpConfig, PlatformConfig, parse
from components.config import aws as aws_rules
from components.config import azure as azure_rules
from components.config import gcp as gcp_rules
from components.config.profiles import deep_merge

DIGEST = "sha256:" + "ab" * 32
PROD: dict[str, Any] = {
    "environment": "prod",
    "blueGreen": {"releases": {c: {"image": f"registry.example.com/app@{DIGEST}", "version": "1"} for c in COLORS}},
    "alarms": {"subscriptions": {"critical": ["oncall@example.com"], "high": ["oncall@example.com"]}},
}


def nested(path: str, value: Any) -> dict[str, Any]:
    """``"a.b.c", 1`` -> ``{"a": {"b": {"c": 1}}}``."""
    for part in reversed(path.split(".")):
        value = {part: value}
    return value


def problems(raw: dict[str, Any]) -> list[str]:
    try:
        parse(copy.deepcopy(raw))
    except ConfigError as error:
        return error.problems
    return []


def refused(path: str, value: Any, base: dict[str, Any]) -> str:
    """The one problem naming ``platform:<path>`` when ``path`` is set to ``value``."""
    found = problems(deep_merge(base, nested(path, value)))
    named = [p for p in found if p.startswith(f"platform:{path} = ") or p.startswith(f"platform:{path}.")]
    assert named, f"{path} = {value!r} was not refused for that key; problems: {found}"
    return named[0]


def accepted(path: str, value: Any, base: dict[str, Any]) -> None:
    found = problems(deep_merge(base, nested(path, value)))
    assert not [p for p in found if p.startswith(f"platform:{path}")], f"{path} = {value!r} was refused: {found}"


@dataclass(frozen=True)
class Above:
    """An exclusive lower bound (``gt``): the bound itself is refused."""

    value: float


@dataclass(frozen=True)
class Below:
    """An exclusive upper bound (``lt``)."""

    value: float


DEV: dict[str, Any] = {"environment": "dev"}
# path: (lowest accepted, highest accepted); None = unbounded; Above/Below = exclusive. Optional third: extra config
# that keeps the other fields of the same section from objecting to an extreme value.
RANGES: dict[str, tuple[Any, ...]] = {
    "aws.availabilityZones": (2, 3),
    "azure.redisCapacity": (0, 6),
    "azure.keyExpiryDays": (28, 3650),
    "gcp.redisMemoryGb": (1, 300),
    "database.port": (1024, 65535),
    "database.allocatedStorageGb": (20, 65536, {"database": {"maxAllocatedStorageGb": 65536}}),
    "database.maxAllocatedStorageGb": (20, 65536),
    "database.backupRetentionDays": (1, 35),
    "database.slowQueryMs": (1, None),
    "database.performanceInsightsRetentionDays": (7, 731),
    "cache.port": (1024, 65535),
    "cache.snapshotRetentionDays": (0, 35),
    "cache.replicas": (0, 5),
    "compute.appPort": (1025, 65535),
    "compute.metricsPort": (1025, 65535),
    "compute.scrapeIntervalSeconds": (1, None),
    "compute.rootVolumeGb": (8, 1024),
    "compute.instanceWarmupSeconds": (0, 3600),
    "compute.refreshMinHealthyPercent": (0, 100),
    "compute.queueMaxReceiveCount": (1, 1000),
    "compute.api.target": (Above(0), None),
    "compute.web.minSize": (1, 100, {"compute": {"web": {"maxSize": 100}}}),
    "compute.web.maxSize": (1, 100, {"compute": {"web": {"minSize": 1}}}),
    "blueGreen.canaryWeight": (0, 100),
    "blueGreen.bakeSeconds": (0, 3600),
    "blueGreen.deregistrationDelaySeconds": (0, 3600),
    "blueGreen.rollback.p95LatencyMs": (1, None),
    "blueGreen.rollback.errorRatePercent": (Above(0), Below(100)),
    "blueGreen.rollback.cpuPercent": (Above(0), Below(100)),
    "blueGreen.rollback.memoryPercent": (Above(0), Below(100)),
    "blueGreen.rollback.maxRollbackSeconds": (1, None),
    "blueGreen.rollback.windowSeconds": (60, 3600, {"blueGreen": {"rollback": {"maxRollbackSeconds": 3610}}}),
    "blueGreen.rollback.evaluationPeriods": (1, 10),
    "blueGreen.rollback.pollSeconds": (1, 300),
    "alarms.cpuPercent.warning": (Above(0), Below(100), {"alarms": {"cpuPercent": {"critical": None}}}),
    "alarms.cpuPercent.critical": (Above(0), Below(100)),
    "alarms.latencyMs.warning": (Above(0), None, {"alarms": {"latencyMs": {"critical": None}}}),
    "alarms.latencyMs.critical": (Above(0), None),
    "alarms.errorRateWindowMinutes": (1, 1440),
    "alarms.pagingErrorRatePercent": (Above(0), Below(100)),
    "alarms.pagingErrorRateWindowMinutes": (1, 1440),
    "alarms.downMinutes": (1, 1440),
    "alarms.databaseConnections": (1, None),
    "alarms.databaseConnectionsWindowMinutes": (1, 1440),
    "alarms.failedLoginsPerHour": (1, None),
    "alarms.apiRequestsPerMinute": (1, None),
    "alarms.replicaLagSeconds": (1, None),
    "alarms.sustainedMinutes": (1, 1440),
    "logging.appRetentionDays": (1, 3653),
    "logging.auditRetentionDays": (1, 3653),
    "backup.dailyRetentionDays": (0, 36500),
    "backup.hourlyRetentionDays": (0, 36500),
    "backup.continuousRetentionDays": (0, 35),
    "backup.configRetentionDays": (0, 36500),
    "disasterRecovery.rtoHours": (1, None),
    "disasterRecovery.rpoHours": (1, None),
    "security.keyRotationDays": (1, 2560),
    "security.certificateRenewalDays": (1, 397),
    "security.roleSessionHours": (1, 12),
    "featureFlags.rolloutMinutes": (0, 1440),
    "featureFlags.rolloutGrowthPercent": (Above(0), 100),
    "featureFlags.flags.REAL_TIME_ALERTS.rolloutPercentage": (0, 100),
    "app.databasePoolSize": (1, 1000),
    "app.databaseTimeout": (1, None),
    "app.cacheTtl": (1, None),
    "app.rateLimitRequests": (1, None),
    "app.rateLimitWindow": (1, None),
    "app.auditRetentionDays": (1, 3653),
    "app.maxTenantsPerInstance": (1, None),
    "kubernetes.quotaPods": (1, None),
    "kubernetes.pdbMinAvailablePercent": (0, 100),
    "kubernetes.maxSurgePercent": (1, 100),
    "kubernetes.servicePort": (1, 65535),
    "kubernetes.secretSync.refreshMinutes": (1, 60),
    "aws.healthCheckGraceSeconds": (60, 7200),
    "aws.credentialCheckMinutes": (1, 60),
    "azure.nameGeneration": (1, 99),
    "gcp.armorWafSensitivity": (1, 4),
    "gcp.loadBalancerLogSampleRate": (Above(0), 1),
    "gcp.secretRefreshMinutes": (1, 60),
    "azure.secretRefreshMinutes": (1, 60),
    "security.secretRotationDays": (1, 90),
}


def _edges(low: Any, high: Any) -> list[tuple[str, Any, Any]]:
    """(side, accepted value at the bound, refused value one step past it) for each bound."""
    edges = []
    if isinstance(low, Above):
        edges.append(("low", low.value + 0.01, low.value))
    elif low is not None:
        edges.append(("low", low, low - 1))
    if isinstance(high, Below):
        edges.append(("high", high.value - 0.01, high.value))
    elif high is not None:
        edges.append(("high", high, high + (0.01 if isinstance(low, Above) else 1)))
    return edges


@pytest.mark.parametrize(
    ("path", "side", "good", "bad", "extra"),
    [
        (path, side, good, bad, bounds[2] if len(bounds) > 2 else {})
        for path, bounds in RANGES.items()
        for side, good, bad in _edges(bounds[0], bounds[1])
    ],
)
def test_each_bound_holds_exactly(path, side, good, bad, extra):
    base = deep_merge(DEV, extra)
    accepted(path, good, base)
    message = refused(path, bad, base)
    assert message.startswith(f"platform:{path} = {json.dumps(bad)}: ")


# (path, accepted, refused[, base]): each pattern or checked type, with the message naming the key and the value.
FORMATS: list[tuple[Any, ...]] = [
    ("clouds", ["aws"], []),
    ("tags.owner", "Team A: ops@example.com", " "),
    ("tags.owner", "o" * 256, "o" * 257),
    ("tags.costCenter", "cc-1", ""),
    ("tags.costCenter", "cc/1", "cc#1"),
    ("aws.vpcCidr", "172.16.0.0/16", "8.8.0.0/16"),
    ("aws.drVpcCidr", "192.168.0.0/16", "100.64.0.0/16"),
    ("aws.domainName", "a-1.example.co.uk", "example"),
    ("aws.domainName", "xn--bcher-kva.example", "-a.example.com"),
    ("aws.domainName", "a.example.com", "a..example.com"),
    ("aws.domainName", "platform.example.com", "Platform.example.com"),
    ("aws.domainName", "a.example.com", "a.example.c"),
    ("aws.domainName", "a.example.com", "a_b.example.com"),
    ("aws.domainName", "a" * 63 + ".com", "a" * 64 + ".com"),
    ("aws.domainName", ".".join(["a" * 63] * 3) + "." + "b" * 61, ".".join(["a" * 63] * 3) + "." + "b" * 62),
    ("aws.hostedZoneId", "Z123ABC", "X123"),
    ("aws.instanceTypes.web", "m6i.large", ""),
    ("aws.instanceTypes.api", "u-6tb1.metal", " "),
    ("aws.instanceTypes.worker", "t3.medium", "large"),
    ("aws.databaseInstanceClass", "db.r6g.large", "db."),
    ("aws.cacheNodeType", "cache.r6g.large", "cache"),
    ("aws.tlsPolicy", "ELBSecurityPolicy-TLS13-1-3-2021-06", "ELBSecurityPolicy-2016-08"),
    ("aws.trustedAccountIds", ["123456789012"], ["12345"]),
    ("azure.addressSpace", "172.16.0.0/22", "20.0.0.0/16"),
    ("azure.drAddressSpace", "192.168.0.0/16", "100.64.0.0/16"),
    ("azure.zones", ["1"], []),
    ("azure.vmSizes.web", "Standard_D2s_v5", " "),
    ("azure.vmSizes.api", "Basic_A1", "D2s_v5"),
    ("azure.vmImage.sku", "server", ""),
    ("azure.vmImage.version", "24.04.202501010", "latest version"),
    ("azure.adminUsername", "ops_1", "Admin"),
    ("azure.sshPublicKey", "ssh-ed25519 AAAAC3Nz ops", "AAAAC3Nz"),
    ("azure.postgresSku", "Standard_B1ms", "Standard_"),
    ("azure.domainName", "x.example.org", "x.example."),
    ("azure.groupObjectIds.admin", "0123abcd-0000-4000-8000-0123456789ab", "admins"),
    ("gcp.project", "my-project-1", "My-Project"),
    ("gcp.subnetCidr", "192.168.0.0/20", "11.0.0.0/20"),
    ("gcp.drSubnetCidr", "172.31.0.0/20", "172.32.0.0/20"),
    ("gcp.privateServicesCidr", "172.16.0.0/16", "8.0.0.0/16"),
    ("gcp.machineTypes.web", "n2-standard-4", "n2"),
    ("gcp.machineTypes.worker", "e2-custom-2-4096", ""),
    ("gcp.bootImage", "projects/cos-cloud/global/images/family/cos-stable", "debian-12"),
    ("gcp.databaseTier", "db-f1-micro", "db-"),
    ("gcp.databaseBackupStartTime", "23:59", "24:00"),
    ("gcp.databaseBackupStartTime", "00:00", "9:00"),
    ("gcp.domainName", "gcp.example.dev", "gcp example.dev"),
    ("gcp.groupEmails.admin", ["admins@example.com"], ["admins@example"]),
    ("database.engineVersion", "14.9", "15"),
    ("database.name", "app_db", "App"),
    ("database.username", "svc", "1svc"),
    ("cache.engineVersion", "7.0", "6.2"),
    ("cache.snapshotWindow", "23:30-00:30", "99:99-99:99"),
    ("cache.snapshotWindow", "00:00-23:59", "04:00-04:00"),
    ("cache.snapshotWindow", "04:00-05:00", "4:00-5:00"),
    ("compute.healthPath", "/healthz", "healthz"),
    ("compute.livenessPath", "/live", "live"),
    ("compute.readinessPath", "/ready", "ready"),
    ("compute.metricsPath", "/metrics", "metrics"),
    ("compute.web.cpu", "250m", "0"),
    ("compute.api.cpu", "0.5", "0m"),
    ("compute.worker.cpu", "1", "one"),
    ("compute.web.memory", "512Mi", "0Mi"),
    ("compute.api.memory", "1Gi", "1GB"),
    ("blueGreen.rollback.windowSeconds", 120, 90, {"blueGreen": {"rollback": {"maxRollbackSeconds": 130}}}),
    ("blueGreen.rollback.poolInUseMetric", "db:pool_in_use", "pool-in-use"),
    ("blueGreen.releases.blue.version", "1.2.3+build.4", "a b"),
    ("alarms.subscriptions.critical", ["oncall@example.com"], ["oncall"]),
    ("alarms.subscriptions.low", ["first.last+ops@sub.example.com"], ["ops@example.com "]),
    ("backup.dailySchedule", "cron(30 2 * * ? *)", "cron(0 3 * * * *)"),
    ("backup.dailySchedule", "cron(0 3 ? * MON-FRI *)", "cron(0 3 * * ?)"),
    ("backup.dailySchedule", "cron(0 0/12 1,15 JAN-DEC ? 2025-2199)", "cron(0 24 * * ? *)"),
    ("backup.dailySchedule", "cron(0 5 L * ? *)", "0 3 * * ? *"),
    ("backup.dailySchedule", "cron(0 5 ? * 6#3 *)", "cron(*/15 * * * ? *)"),
    ("backup.dailySchedule", "cron(15 * ? * * *)", "cron(0 3 ? * 8 *)"),
    ("backup.hourlySchedule", "cron(0 * * * ? *)", "cron(0,30 * * * ? *)"),
    ("backup.hourlySchedule", "cron(5 */2 * * ? *)", "cron(0 * 32 * ? *)"),
    ("featureFlags.flags", {"NEW_FLAG_2": {}}, {"new-flag": {}}),
    ("kubernetes.namespace", "platform-dev", "Platform"),
    ("kubernetes.monitoringNamespace", "monitoring", "-monitoring"),
    ("kubernetes.quotaCpu", "500m", "0"),
    ("kubernetes.quotaMemory", "1Gi", "0Gi"),
    ("kubernetes.apiRequestsMetric", "http:requests_total", "1requests"),
    ("kubernetes.workerQueueMetric", "queue.depth", "queue depth"),
    ("kubernetes.databaseCidrs", ["10.6.0.0/16"], ["0.0.0.0/0"]),
    ("kubernetes.cacheCidrs", ["192.168.1.0/24"], ["100.64.0.0/10"]),
    ("kubernetes.kubeconfig", "/home/ops/.kube/config", ""),
    ("kubernetes.cloudApiCidrs", ["10.0.0.0/8"], []),
    ("kubernetes.gateway.name", "public-gw", "Public"),
    ("kubernetes.gateway.namespace", "gateway-system", "gateway_system"),
    ("kubernetes.gateway.sectionName", "https", "HTTPS"),
    ("kubernetes.gateway.dataPlaneNamespace", "istio-ingress", "-istio"),
    ("kubernetes.prometheus.latencyHistogram", "http_server_duration_seconds", "http-duration"),
    ("kubernetes.prometheus.requestsCounter", "http_requests_total", "1requests"),
    ("kubernetes.prometheus.statusCodeLabel", "status", "status:code"),
    ("kubernetes.workloadIdentity.serviceAccount", "app-sa", "App_SA"),
    ("kubernetes.workloadIdentity.awsRoleArn", "arn:aws:iam::123456789012:role/platform", "arn:aws:iam::1:role/x"),
    (
        "kubernetes.workloadIdentity.gcpServiceAccount",
        "platform-app@my-project.iam.gserviceaccount.com",
        "platform-app@my-project.example.com",
    ),
    ("kubernetes.workloadIdentity.azureClientId", "0123abcd-0000-4000-8000-0123456789ab", "client"),
    ("azure.networkWatcherResourceGroup", "NetworkWatcherRG", "network watcher"),
    ("azure.armPrivateLink.name", "platform-arm", "arm/link"),
    ("azure.metricsAgentImage", "quay.io/prometheus/prometheus:v2.53.0", "prometheus"),
    ("gcp.dnsZone", "example-com", "example.com"),
    ("gcp.dnsProject", "dns-project-1", "DNS"),
    ("aws.cacheMaintenanceWindow", "sat:23:30-sun:00:30", "sunday 06:00"),
    ("kubernetes.context", "kind-platform", ""),
]


@pytest.mark.parametrize("row", FORMATS, ids=[f"{row[0]}={row[2]!r}"[:60] for row in FORMATS])
def test_each_format_accepts_and_refuses(row):
    path, good, bad = row[:3]
    base = deep_merge(DEV, row[3] if len(row) > 3 else {})
    accepted(path, good, base)
    refused(path, bad, base)


@dataclass(frozen=True)
class Rule:
    """A validator or cross-section check, a config it accepts and one it refuses with ``message``."""

    identity: str
    good: dict[str, Any]
    bad: dict[str, Any]
    message: str
    model: type[BaseModel] = PlatformConfig
    base: dict[str, Any] = field(default_factory=lambda: DEV)


AZURE = {"environment": "dev", "clouds": ["azure"]}
AZURE_PROD = {**PROD, "clouds": ["azure"]}
GCP = {"environment": "dev", "clouds": ["gcp"]}
STAGING = {"environment": "staging"}
AZURE_STAGING = {**STAGING, "clouds": ["azure"], "azure": {"redisSku": "Premium"}}  # staging keeps cache snapshots
GENERAL_PURPOSE = {"azure": {"postgresTier": "GeneralPurpose", "postgresSku": "Standard_D2ds_v5"}}
IMAGE = "registry.example.com:5000/team/app:1.2.3@" + DIGEST

RULES = [
    Rule(
        "PlatformConfig._unique_clouds",
        {"clouds": ["aws", "gcp"]},
        {"clouds": ["aws", "aws"]},
        'platform:clouds = ["aws", "aws"]: each cloud may be listed once',
    ),
    Rule(
        "PlatformConfig._cross_section_rules",
        {"backup": {"copyToDr": False}},
        {"disasterRecovery": {"enabled": False}},
        "platform:backup.copyToDr = true: needs backup.enabled and disasterRecovery.enabled",
        base=PROD,
    ),
    Rule(
        "PlatformConfig._prod_runs_pinned_images",
        {"blueGreen": {"releases": {"blue": {"image": IMAGE}}}},
        {"blueGreen": {"releases": {"blue": {"image": "registry.example.com/app:1.2"}}}},
        'platform:blueGreen.releases.blue.image = "registry.example.com/app:1.2": prod needs a digest-pinned image',
        base=PROD,
    ),
    Rule(
        "PlatformConfig._prod_pages_someone",
        {"alarms": {"subscriptions": {"medium": []}}},
        {"alarms": {"subscriptions": {"high": []}}},
        'platform:alarms.subscriptions = {"critical": ["oncall@example.com"], "high": []}: prod needs at least one '
        "address for high (the on-call pager)",
        base=PROD,
    ),
    Rule(
        "AwsConfig._check_region",
        {"aws": {"region": "eu-west-1"}},
        {"aws": {"region": "mars-1"}},
        'platform:aws.region = "mars-1": unknown AWS region; allowed: af-south-1,',
    ),
    Rule(
        "AwsConfig._vpc_holds_the_subnets",
        {"aws": {"vpcCidr": "10.8.0.0/16"}},
        {"aws": {"vpcCidr": "10.0.0.0/17"}},
        'platform:aws.vpcCidr = "10.0.0.0/17": must be a /16: AWS VPCs are /16 at most, and the network carves a /20',
    ),
    Rule(
        "AwsConfig._vpc_holds_the_subnets",
        {},
        {"aws": {"drVpcCidr": "10.0.0.0/15"}},
        'platform:aws.drVpcCidr = "10.0.0.0/15": must be a /16',
    ),
    Rule(
        "AwsConfig._distinct_regions",
        {"aws": {"drRegion": "us-east-2"}},
        {"aws": {"drRegion": "us-east-1"}},
        'platform:aws.drRegion = "us-east-1": must differ from region (us-east-1)',
    ),
    Rule(
        "AwsConfig._distinct_regions",
        {"aws": {"drVpcCidr": "10.2.0.0/16"}},
        {"aws": {"drVpcCidr": "10.0.0.0/16"}},
        'platform:aws.drVpcCidr = "10.0.0.0/16": overlaps vpcCidr (10.0.0.0/16)',
    ),
    Rule(
        "aws._cloudwatch_retention",
        {"logging": {"appRetentionDays": 14}},
        {"logging": {"appRetentionDays": 8}},
        "platform:logging.appRetentionDays = 8: CloudWatch Logs accepts only 1, 3, 5, 7, 14,",
    ),
    Rule(
        "aws._cloudwatch_retention",
        {"logging": {"auditRetentionDays": 3653}},
        {"logging": {"auditRetentionDays": 3652}},
        "platform:logging.auditRetentionDays = 3652: CloudWatch Logs accepts only",
    ),
    Rule(
        "aws._snapshot_window_long_enough",
        {"cache": {"snapshotWindow": "23:30-00:30"}},
        {"cache": {"snapshotWindow": "04:00-04:59"}},
        'platform:cache.snapshotWindow = "04:00-04:59": lasts 59 minutes; ElastiCache needs a snapshot window of at '
        "least 60 minutes",
        base=STAGING,
    ),
    Rule(
        "aws._snapshot_window_long_enough",
        {"cache": {"snapshotWindow": "04:00-04:30"}},
        {"cache": {"snapshotWindow": "23:50-00:20", "snapshotRetentionDays": 1}},
        "lasts 30 minutes",
    ),
    Rule(
        "AzureConfig._check_location",
        {"azure": {"location": "uksouth", "drLocation": "ukwest"}},
        {"azure": {"location": "mars"}},
        'platform:azure.location = "mars": unknown Azure location; allowed:',
    ),
    Rule(
        "AzureConfig._every_tier_sized",
        {"vmSizes": {t: "Standard_B2s" for t in ("web", "api", "worker")}},
        {"vmSizes": {"web": "Standard_B2s"}},
        "needs a VM size for api, worker",
        model=AzureConfig,
        base={},
    ),
    Rule(
        "AzureConfig._holds_the_subnets",
        {"azure": {"addressSpace": "10.2.0.0/22"}},
        {"azure": {"addressSpace": "10.2.0.0/23"}},
        'platform:azure.addressSpace = "10.2.0.0/23": must be a /22 or larger: the network carves 4 /24 subnets',
    ),
    Rule(
        "AzureConfig._holds_the_subnets",
        {"azure": {"drAddressSpace": "10.3.0.0/22"}},
        {"azure": {"drAddressSpace": "10.3.0.0/24"}},
        'platform:azure.drAddressSpace = "10.3.0.0/24": must be a /22',
    ),
    Rule(
        "AzureConfig._rdb_frequency_azure_accepts",
        {"azure": {"redisRdbFrequencyMinutes": 60}},
        {"azure": {"redisRdbFrequencyMinutes": 45}},
        "platform:azure.redisRdbFrequencyMinutes = 45: allowed: 15, 30, 60, 360, 720, 1440 (minutes)",
    ),
    Rule(
        "AzureConfig._skus_match_tiers",
        GENERAL_PURPOSE,
        {"azure": {"postgresSku": "Standard_D2ds_v5"}},
        'platform:azure.postgresSku = "Standard_D2ds_v5": is not a Burstable size; Burstable sizes start with '
        "Standard_B",
    ),
    Rule(
        "AzureConfig._skus_match_tiers",
        {"azure": {"redisSku": "Premium", "redisCapacity": 5}},
        {"azure": {"redisSku": "Premium", "redisCapacity": 6}},
        "platform:azure.redisCapacity = 6: is not a Premium size; allowed: 1-5 (P1-P5)",
    ),
    Rule(
        "AzureConfig._distinct_locations",
        {"azure": {"drLocation": "westus2"}},
        {"azure": {"drLocation": "eastus"}},
        'platform:azure.drLocation = "eastus": must differ from location (eastus)',
    ),
    Rule(
        "AzureConfig._distinct_locations",
        {},
        {"azure": {"drAddressSpace": "10.2.128.0/17"}},
        'platform:azure.drAddressSpace = "10.2.128.0/17": overlaps addressSpace (10.2.0.0/16)',
    ),
    Rule(
        "azure._key_outlives_rotation",
        {"azure": {"keyExpiryDays": 37}},
        {"azure": {"keyExpiryDays": 36}},
        "platform:azure.keyExpiryDays = 36: must be at least 37 (security.keyRotationDays 30 + 7)",
        base=AZURE,
    ),
    Rule(
        "azure._tiers_allow_features",
        GENERAL_PURPOSE,
        {"database": {"highAvailability": True}},
        'platform:azure.postgresTier = "Burstable": cannot run database.highAvailability = true',
        base=AZURE,
    ),
    Rule(
        "azure._tiers_allow_features",
        GENERAL_PURPOSE,
        {"disasterRecovery": {"enabled": True}},
        'platform:azure.postgresTier = "Burstable": cannot host the disasterRecovery read replica',
        base=AZURE,
    ),
    Rule(
        "azure._tiers_allow_features",
        {"azure": {"zones": ["1", "2"]}},
        {"azure": {"zones": ["1"]}},
        'platform:azure.zones = ["1"]: database.highAvailability needs at least 2',
        base=AZURE_PROD,
    ),
    Rule(
        "azure._tiers_allow_features",
        {"azure": {"redisSku": "Premium"}, "cache": {"snapshotRetentionDays": 1}},
        {"cache": {"snapshotRetentionDays": 1}},
        'platform:azure.redisSku = "Standard": cannot keep cache.snapshotRetentionDays = 1',
        base=AZURE,
    ),
    Rule(
        "azure._tiers_allow_features",
        {"cache": {"replicas": 1}},
        {"cache": {"replicas": 2}},
        'platform:azure.redisSku = "Standard": cannot have cache.replicas = 2',
        base=AZURE,
    ),
    Rule(
        "azure._dr_in_the_paired_region",
        {"azure": {"drLocation": "westus"}},
        {"azure": {"drLocation": "westus2"}},
        'platform:azure.drLocation = "westus2": eastus replicates geo-redundant backups and storage to its paired '
        'region; use "westus"',
        base=AZURE_PROD,
    ),
    Rule(
        "azure._backup_once_a_day",
        {"backup": {"dailySchedule": "cron(45 23 ? * * *)"}},
        {"backup": {"dailySchedule": "cron(0 3 ? * MON *)"}},
        'platform:backup.dailySchedule = "cron(0 3 ? * MON *)": Azure Backup runs once a day at a fixed UTC time',
        base=AZURE_STAGING,
    ),
    Rule(
        "azure._backup_once_a_day",
        {"backup": {"dailySchedule": "cron(0 3 ? * MON *)"}},
        {"backup": {"dailySchedule": "cron(0 3 ? * MON *)", "enabled": True}},
        "Azure Backup runs once a day",
        base=AZURE,
    ),
    Rule(
        "azure._backup_restore_points_kept",
        {"backup": {"dailyRetentionDays": 1, "hourlyRetentionDays": 1}},
        {"backup": {"dailyRetentionDays": 0, "hourlyRetentionDays": 1}},
        "platform:backup.dailyRetentionDays = 0: on Azure the daily vault backup is the backup plan",
        base=AZURE_STAGING,
    ),
    Rule(
        "azure._backup_restore_points_kept",
        {"backup": {"hourlyRetentionDays": 14}, "database": {"backupRetentionDays": 14}},
        {"backup": {"hourlyRetentionDays": 15}, "database": {"backupRetentionDays": 14}},
        "platform:backup.hourlyRetentionDays = 15: Azure Backup has no hourly or continuous schedule for PostgreSQL; "
        "those restore points come from the server's point-in-time recovery, so raise database.backupRetentionDays "
        "(now 14 days, at most 35) to 15",
        base=AZURE_STAGING,
    ),
    Rule(
        "azure._backup_restore_points_kept",  # dev's 1-day PITR window is raised to the flexible server's 7
        {"backup": {"enabled": True, "continuousRetentionDays": 7}},
        {"backup": {"enabled": True, "continuousRetentionDays": 8}},
        "platform:backup.continuousRetentionDays = 8: Azure Backup has no hourly or continuous schedule",
        base=AZURE,
    ),
    Rule(
        "azure._backup_restore_points_kept",  # checked only for the vault a stack with backups creates
        {"backup": {"hourlyRetentionDays": 30}},
        {"backup": {"hourlyRetentionDays": 30, "enabled": True}},
        "platform:backup.hourlyRetentionDays = 30: Azure Backup has no hourly or continuous schedule",
        base=AZURE,
    ),
    Rule(
        "azure._workspaces_keep_the_logs",
        {"logging": {"appRetentionDays": 730}},
        {"logging": {"appRetentionDays": 731}},
        "platform:logging.appRetentionDays = 731: a Log Analytics workspace keeps data at most 730 days",
        base=AZURE,
    ),
    Rule(
        "azure._workspaces_keep_the_logs",
        {"logging": {"auditRetentionDays": 730}},
        {"logging": {"auditRetentionDays": 1000}},
        "platform:logging.auditRetentionDays = 1000: a Log Analytics workspace keeps data at most 730 days",
        base=AZURE,
    ),
    Rule(
        "azure._alarm_windows_evaluable",
        {"alarms": {"sustainedMinutes": 15}},
        {"alarms": {"sustainedMinutes": 7}},
        "platform:alarms.sustainedMinutes = 7: Azure metric alerts evaluate windows of 1, 5, 15, 30, 60, 360, 720, "
        "1440 minutes",
        base=AZURE,
    ),
    Rule(
        "azure._alarm_windows_evaluable",  # a metric window, but also the disk and slow-query log alerts'
        {"alarms": {"sustainedMinutes": 360}},
        {"alarms": {"sustainedMinutes": 720}},
        "platform:alarms.sustainedMinutes = 720: Azure log alerts evaluate windows of 1-6 or 1, 5, 10, 15, 30, 45, "
        "60, 120, 180, 240, 300, 360, 1440, 2880 minutes",
        base=AZURE,
    ),
    Rule(
        "azure._alarm_windows_evaluable",
        {"alarms": {"downMinutes": 5}},
        {"alarms": {"downMinutes": 2}},
        "platform:alarms.downMinutes = 2: Azure metric alerts evaluate windows of",
        base=AZURE,
    ),
    Rule(
        "azure._alarm_windows_evaluable",
        {"alarms": {"databaseConnectionsWindowMinutes": 30}},
        {"alarms": {"databaseConnectionsWindowMinutes": 10}},
        "platform:alarms.databaseConnectionsWindowMinutes = 10: Azure metric alerts evaluate windows of",
        base=AZURE,
    ),
    Rule(
        "azure._alarm_windows_evaluable",  # up to 6 minutes run as that many 1-minute windows
        {"alarms": {"pagingErrorRateWindowMinutes": 6}},
        {"alarms": {"pagingErrorRateWindowMinutes": 7}},
        "platform:alarms.pagingErrorRateWindowMinutes = 7: Azure log alerts evaluate windows of 1-6 or",
        base=AZURE,
    ),
    Rule(
        "azure._alarm_windows_evaluable",
        {"alarms": {"errorRateWindowMinutes": 45}},
        {"alarms": {"errorRateWindowMinutes": 50}},
        "platform:alarms.errorRateWindowMinutes = 50: Azure log alerts evaluate windows of 1-6 or",
        base=AZURE,
    ),
    Rule(
        "azure._app_subnet_holds_the_scale_sets",
        {"compute": {"web": {"maxSize": 100}, "api": {"maxSize": 23}, "worker": {"maxSize": 2}}},
        {"compute": {"web": {"maxSize": 100}, "api": {"maxSize": 24}, "worker": {"maxSize": 2}}},
        'platform:compute = {"web": 100, "api": 24, "worker": 2}: maxSize of web, api and worker, both colours, is '
        "252 VMs; the Azure app subnet (/24) holds 251",
        base=AZURE,
    ),
    Rule(
        "GcpConfig._check_region",
        {"gcp": {"region": "europe-west1"}},
        {"gcp": {"drRegion": "moon1"}},
        'platform:gcp.drRegion = "moon1": unknown GCP region',
    ),
    Rule(
        "GcpConfig._subnet_size",
        {"gcp": {"subnetCidr": "10.4.0.0/29"}},
        {"gcp": {"subnetCidr": "10.4.0.0/30"}},
        'platform:gcp.subnetCidr = "10.4.0.0/30": must be a /29 or larger: GCP\'s smallest subnet',
    ),
    Rule(
        "GcpConfig._subnet_size",
        {"gcp": {"drSubnetCidr": "10.5.0.0/29"}},
        {"gcp": {"drSubnetCidr": "10.5.0.0/31"}},
        'platform:gcp.drSubnetCidr = "10.5.0.0/31": must be a /29 or larger',
    ),
    Rule(
        "GcpConfig._private_services_size",
        {"gcp": {"privateServicesCidr": "10.6.0.0/24"}},
        {"gcp": {"privateServicesCidr": "10.6.0.0/25"}},
        'platform:gcp.privateServicesCidr = "10.6.0.0/25": must be a /24 or larger: the smallest range private '
        "services access allocates",
    ),
    Rule(
        "GcpConfig._every_tier_sized",
        {"machineTypes": {t: "e2-medium" for t in ("web", "api", "worker")}},
        {"machineTypes": {"api": "e2-medium"}},
        "needs a machine type for web, worker",
        model=GcpConfig,
        base={},
    ),
    Rule(
        "GcpConfig._distinct_regions_and_ranges",
        {"gcp": {"drRegion": "us-west1"}},
        {"gcp": {"drRegion": "us-central1"}},
        'platform:gcp.drRegion = "us-central1": must differ from region (us-central1)',
    ),
    Rule(
        "GcpConfig._distinct_regions_and_ranges",
        {},
        {"gcp": {"privateServicesCidr": "10.4.0.0/16"}},
        'platform:gcp.privateServicesCidr = "10.4.0.0/16": overlaps subnetCidr (10.4.0.0/20)',
    ),
    Rule(
        "gcp._tags_are_valid_labels",
        {"tags": {"owner": "platform_team-1"}},
        {"tags": {"owner": "Platform Team"}},
        'platform:tags.owner = "Platform Team": GCP label values take at most 63 lowercase letters, digits, _ and -',
        base=GCP,
    ),
    Rule(
        "gcp._tags_are_valid_labels",
        {"tags": {"costCenter": "c" * 63}},
        {"tags": {"costCenter": "c" * 64}},
        "platform:tags.costCenter = ",
        base=GCP,
    ),
    Rule(
        "gcp._tags_are_valid_labels",
        {"tags": {"owner": "Platform Team"}},
        {"clouds": ["aws", "gcp"]},
        'platform:tags.owner = "Platform Team"',
        base={**DEV, "tags": {"owner": "Platform Team"}},
    ),
    Rule(
        "gcp._subnet_holds_the_instances",
        {"gcp": {"subnetCidr": "10.4.0.0/25"}},
        {"gcp": {"subnetCidr": "10.4.0.0/26"}},
        'platform:gcp.subnetCidr = "10.4.0.0/26": holds 60 VMs, but maxSize of web, api and worker, both colours, '
        "is 66; use a /25 or larger",
        base=GCP,
    ),
    Rule(
        "gcp._subnet_holds_the_instances",
        {"gcp": {"drSubnetCidr": "10.5.0.0/28"}},
        {"gcp": {"drSubnetCidr": "10.5.0.0/29"}},
        'platform:gcp.drSubnetCidr = "10.5.0.0/29": holds 4 VMs, but maxSize of web, api and worker, both colours, '
        "is 12; use a /28 or larger",
        base={
            **PROD,
            "clouds": ["gcp"],
            "compute": {t: {"minSize": 1, "maxSize": 2} for t in ("web", "api", "worker")},
        },
    ),
    Rule(
        "gcp._subnet_holds_the_instances",
        {"gcp": {"drSubnetCidr": "10.5.0.0/29"}},
        {"gcp": {"drSubnetCidr": "10.5.0.0/29"}, "disasterRecovery": {"enabled": True}},
        'platform:gcp.drSubnetCidr = "10.5.0.0/29": holds 4 VMs',
        base=GCP,
    ),
    Rule(
        "DatabaseConfig._storage_range",
        {"database": {"allocatedStorageGb": 100, "maxAllocatedStorageGb": 100}},
        {"database": {"allocatedStorageGb": 100, "maxAllocatedStorageGb": 99}},
        "platform:database.maxAllocatedStorageGb = 99: must be >= allocatedStorageGb (100)",
    ),
    Rule(
        "CacheConfig._failover_needs_replicas",
        {"cache": {"automaticFailover": True, "replicas": 1}},
        {"cache": {"automaticFailover": True}},
        "platform:cache.automaticFailover = true: needs replicas >= 1 (replicas is 0)",
    ),
    Rule(
        "ComputeConfig._metrics_match_tiers",
        {"compute": {"metricsPort": 8081}},
        {"compute": {"metricsPort": 8080}},
        "platform:compute.metricsPort = 8080: must differ from appPort (8080)",
    ),
    Rule(
        "ComputeConfig._metrics_match_tiers",
        {},
        {"compute": {"web": {"metric": "request_count"}}},
        "platform:compute.web.metric = \"request_count\": must be 'cpu_utilization': each tier's scaling is wired",
    ),
    Rule(
        "ScalingTier._min_le_max",
        {"compute": {"web": {"minSize": 5, "maxSize": 5}}},
        {"compute": {"web": {"minSize": 5, "maxSize": 4}}},
        "platform:compute.web.minSize = 5: must be <= maxSize (4)",
    ),
    Rule(
        "ScalingTier._cpu_target_is_a_percentage",
        {"compute": {"web": {"target": 99.9}, "api": {"target": 5000}}},
        {"compute": {"web": {"target": 100}}},
        "platform:compute.web.target = 100.0: a CPU utilisation target is a percentage: above 0 and below 100",
    ),
    Rule(
        "BlueGreenConfig._steps_increase_to_100",
        {"blueGreen": {"shiftSteps": [100]}},
        {"blueGreen": {"shiftSteps": [50, 25, 100]}},
        "platform:blueGreen.shiftSteps = [50, 25, 100]: must be strictly increasing percentages ending at 100",
    ),
    Rule(
        "BlueGreenConfig._steps_increase_to_100",
        {"blueGreen": {"shiftSteps": [1, 100]}},
        {"blueGreen": {"shiftSteps": [0, 100]}},
        "platform:blueGreen.shiftSteps = [0, 100]: must be strictly",
    ),
    Rule(
        "BlueGreenConfig._steps_increase_to_100",
        {"blueGreen": {"shiftSteps": [10, 99, 100]}},
        {"blueGreen": {"shiftSteps": [10, 99]}},
        "platform:blueGreen.shiftSteps = [10, 99]: must be strictly",
    ),
    Rule(
        "BlueGreenConfig._steps_increase_to_100",
        {},
        {"blueGreen": {"shiftSteps": [10, 10, 100]}},
        "platform:blueGreen.shiftSteps = [10, 10, 100]: must be strictly",
    ),
    Rule(
        "BlueGreenConfig._both_colours",
        {"releases": {c: {"image": "a:1", "version": "1"} for c in COLORS}},
        {"releases": {"blue": {"image": "a:1", "version": "1"}}},
        "needs a release for green (each colour runs its own)",
        model=BlueGreenConfig,
        base={},
    ),
    Rule(
        "RollbackConfig._detection_fits_the_rollback_budget",
        {"blueGreen": {"rollback": {"maxRollbackSeconds": 70}}},
        {"blueGreen": {"rollback": {"maxRollbackSeconds": 69}}},
        "platform:blueGreen.rollback.windowSeconds = 60: 60 s x evaluationPeriods (1) + pollSeconds (10) = 70 s "
        "exceeds maxRollbackSeconds (69); a rollback could not finish in time",
    ),
    Rule(
        "Release._image_reference",
        {"blueGreen": {"releases": {"blue": {"image": IMAGE}}}},
        {"blueGreen": {"releases": {"blue": {"image": "nginx"}}}},
        'platform:blueGreen.releases.blue.image = "nginx": needs a tag or a digest',
    ),
    Rule(
        "Release._image_reference",
        {"blueGreen": {"releases": {"green": {"image": f"app:latest@{DIGEST}"}}}},
        {"blueGreen": {"releases": {"green": {"image": "app:latest"}}}},
        ":latest moves under a release",
    ),
    Rule(
        "Release._image_reference",
        {"blueGreen": {"releases": {"green": {"image": "a/" * 127 + "b:1"}}}},
        {"blueGreen": {"releases": {"green": {"image": "a/" * 127 + "bb:1"}}}},
        "must be an OCI image reference",
    ),
    Rule(
        "Threshold._warning_below_critical",
        {"alarms": {"latencyMs": {"warning": 4999.5}}},
        {"alarms": {"latencyMs": {"warning": 5000}}},
        "platform:alarms.latencyMs.warning = 5000.0: must be below critical (5000.0)",
    ),
    Rule(
        "PercentThreshold._warning_below_critical",
        {"alarms": {"cpuPercent": {"warning": 89.5}}},
        {"alarms": {"cpuPercent": {"warning": 90}}},
        "platform:alarms.cpuPercent.warning = 90.0: must be below critical (90.0)",
    ),
    Rule(
        "BackupConfig._enabled_needs_a_rule",
        {"backup": {"dailyRetentionDays": 1}},
        {"backup": {"dailyRetentionDays": 0}},
        "platform:backup.enabled = true: needs at least one retention above 0",
        base=STAGING,
    ),
    Rule(
        "SecurityConfig._ssh_only_from_private_range",
        {"security": {"sshCidrs": ["10.255.0.0/16"]}},
        {"security": {"sshCidrs": ["10.1.0.0/16", "11.0.0.0/8"]}},
        'platform:security.sshCidrs.1 = "11.0.0.0/8": is outside 10.0.0.0/8; SSH is allowed only from there',
    ),
    Rule(
        "KubernetesConfig._images_moved_to_releases",
        {"kubernetes": {"namespace": "apps"}},
        {"kubernetes": {"images": {"web": "repo/web:1"}}},
        'platform:kubernetes.images = {"web": "repo/web:1"}: moved to blueGreen.releases.<colour>.image',
    ),
    Rule(
        "KubernetesConfig._dns_service_ip_needs_node_local_dns",
        {"kubernetes": {"dns": "node-local-dns", "dnsServiceIp": "10.96.0.10"}},
        {"kubernetes": {"dnsServiceIp": "10.96.0.10"}},
        'platform:kubernetes.dnsServiceIp = "10.96.0.10": is only used with dns: node-local-dns (dns is kube-dns)',
    ),
    Rule(
        "KubernetesConfig._selector",
        {"kubernetes": {"workerQueueSelector": {"queue": "work"}}},
        {"kubernetes": {"workerQueueSelector": {"queue": "a b"}}},
        "platform:kubernetes.workerQueueSelector",
    ),
    Rule(
        "GatewayConfig._labels",
        {"kubernetes": {"gateway": {"dataPlaneLabels": {"app.kubernetes.io/name": "envoy"}}}},
        {"kubernetes": {"gateway": {"dataPlaneLabels": {"app": "-envoy"}}}},
        "platform:kubernetes.gateway.dataPlaneLabels",
    ),
    Rule(
        "GatewayConfig._hostnames",
        {"kubernetes": {"gateway": {"hostnames": ["*.example.com"]}}},
        {"kubernetes": {"gateway": {"hostnames": ["Example.com"]}}},
        "platform:kubernetes.gateway.hostnames",
    ),
    Rule(
        "PrometheusConfig._labels",
        {"kubernetes": {"prometheus": {"labels": {"release": "prom"}}}},
        {"kubernetes": {"prometheus": {"labels": {"release": "x" * 64}}}},
        "platform:kubernetes.prometheus.labels",
    ),
    Rule(
        "AwsConfig._maintenance_window",
        {"aws": {"cacheMaintenanceWindow": "sun:23:30-mon:00:30"}},
        {"aws": {"cacheMaintenanceWindow": "sun:06:00-sun:06:30"}},
        'platform:aws.cacheMaintenanceWindow = "sun:06:00-sun:06:30": must last at least 60 minutes',
    ),
    Rule(
        "aws._waf_rate_within_limit",
        {"app": {"rateLimitRequests": 2_000_000_000, "rateLimitWindow": 600000}},
        {"app": {"rateLimitRequests": 2_000_000_001, "rateLimitWindow": 600000}},
        "platform:app.rateLimitRequests = 2000000001: per app.rateLimitWindow = 600000 ms is",
    ),
    Rule(
        "aws._maintenance_apart_from_snapshots",
        {"aws": {"cacheMaintenanceWindow": "sun:05:00-sun:06:00"}},
        {"aws": {"cacheMaintenanceWindow": "sun:04:30-sun:05:30"}},
        'platform:aws.cacheMaintenanceWindow = "sun:04:30-sun:05:30": overlaps cache.snapshotWindow "04:00-05:00"',
    ),
    Rule(
        "azure._rollback_windows_evaluable",
        {"blueGreen": {"rollback": {"windowSeconds": 60}}},
        {"blueGreen": {"rollback": {"windowSeconds": 420, "maxRollbackSeconds": 600}}},
        "platform:blueGreen.rollback.windowSeconds = 420: with evaluationPeriods = 1: Azure log alerts",
        base=AZURE,
    ),
    Rule(
        "azure._rollback_windows_evaluable",
        {"blueGreen": {"rollback": {"windowSeconds": 300, "maxRollbackSeconds": 600}}},
        {"blueGreen": {"rollback": {"windowSeconds": 600, "maxRollbackSeconds": 700}}},
        "x evaluationPeriods (1) = 10 minutes: Azure metric alerts evaluate windows of",
        base=AZURE,
    ),
    Rule(
        "gcp._cloud_sql_retention",
        {"database": {"backupRetentionDays": 7}},
        {"database": {"backupRetentionDays": 8}},
        "platform:database.backupRetentionDays = 8: Cloud SQL (ENTERPRISE) keeps transaction logs",
        base=GCP,
    ),
    Rule(
        "gcp._cloud_sql_retention",
        {"backup": {"dailyRetentionDays": 7}, "database": {"backupRetentionDays": 7}},
        {"backup": {"dailyRetentionDays": 6}, "database": {"backupRetentionDays": 7}},
        "platform:database.backupRetentionDays = 7: exceeds backup.dailyRetentionDays (6)",
        base={**STAGING, "clouds": ["gcp"]},
    ),
    Rule(
        "gcp._cloud_sql_retention",
        {"backup": {"dailyRetentionDays": 365}},
        {"backup": {"dailyRetentionDays": 366}},
        "platform:backup.dailyRetentionDays = 366: Cloud SQL keeps at most 365 automated backups",
        base={**STAGING, "clouds": ["gcp"]},
    ),
    Rule(
        "gcp.armor_rate_limit",
        {"app": {"rateLimitWindow": 600000}},
        {"app": {"rateLimitWindow": 45000}},
        "platform:app.rateLimitWindow = 45000: Cloud Armor rate-limits over",
        base=GCP,
    ),
    Rule(
        "gcp.armor_rate_limit",
        {"app": {"rateLimitRequests": 1_000_000}},
        {"app": {"rateLimitRequests": 1_000_001}},
        "platform:app.rateLimitRequests = 1000001: Cloud Armor throttles at most 1000000 requests",
        base=GCP,
    ),
]


def _failure(rule: Rule, raw: dict[str, Any]) -> str:
    """What the rule's model says about ``raw``: "" when it is accepted."""
    data = deep_merge(rule.base, raw)
    if rule.model is PlatformConfig:
        return "\n".join(problems(data))
    try:
        rule.model.model_validate(data)
    except ValidationError as error:
        return str(error)
    return ""


@pytest.mark.parametrize("rule", RULES, ids=[f"{r.identity}-{i}" for i, r in enumerate(RULES)])
def test_each_rule_accepts_and_refuses(rule):
    assert _failure(rule, rule.good) == ""
    assert rule.message in _failure(rule, rule.bad)


# Meta-tests: the tables above cover everything the model checks.


def _models(
    model: type[BaseModel] = PlatformConfig, seen: list[type[BaseModel]] | None = None
) -> list[type[BaseModel]]:
    seen = [] if seen is None else seen
    if model not in seen:
        seen.append(model)
        for info in model.model_fields.values():
            for inner in _types(info.annotation):
                if isinstance(inner, type) and issubclass(inner, BaseModel):
                    _models(inner, seen)
    return seen


def _types(annotation: Any) -> list[Any]:
    return [annotation, *(t for arg in typing.get_args(annotation) for t in _types(arg))]


def _metadata(info: FieldInfo) -> list[Any]:
    """The field's constraints, including those on dict values and list items (``dict[Tier, Annotated[...]]``)."""
    found = list(info.metadata)
    for inner in _types(info.annotation):
        if typing.get_origin(inner) is typing.Annotated:
            for item in inner.__metadata__:
                found += item.metadata if isinstance(item, FieldInfo) else [item]
    return found


def _field_of(path: str) -> tuple[type[BaseModel], str]:
    """The model class and field a config path ends in (dict keys and list indexes are stepped over)."""
    model: type[BaseModel] = PlatformConfig
    parts = path.split(".")
    while parts:
        part = parts.pop(0)
        name, info = next((n, i) for n, i in model.model_fields.items() if part in (n, i.alias))
        inner = [t for t in _types(info.annotation) if isinstance(t, type) and issubclass(t, BaseModel)]
        if not (parts and inner):
            return model, name
        if inner[0] is not info.annotation:
            parts.pop(0)  # a dict key
        model = inner[0]
    raise AssertionError(path)


def _numeric_bounds(info: FieldInfo) -> dict[str, float]:
    bounds = {}
    for item in _metadata(info):
        for kind in ("ge", "gt", "le", "lt"):
            if isinstance(item, getattr(annotated_types, kind.capitalize())):
                bounds[kind] = getattr(item, kind)
    return bounds


def _has_check(info: FieldInfo) -> bool:
    """A constraint beyond numbers: a pattern, a length, a step or a checking function."""
    return any(
        getattr(item, "pattern", None)
        or isinstance(item, (annotated_types.MinLen, annotated_types.MultipleOf))
        or type(item).__name__ == "AfterValidator"
        for item in _metadata(info)
    )


def test_every_numeric_bound_is_in_ranges_at_its_exact_value():
    covered: dict[tuple[type[BaseModel], str], dict[str, float]] = {}
    for path, (low, high, *_) in RANGES.items():
        sides = covered.setdefault(_field_of(path), {})
        if low is not None:
            sides["gt" if isinstance(low, Above) else "ge"] = low.value if isinstance(low, Above) else low
        if high is not None:
            sides["lt" if isinstance(high, Below) else "le"] = high.value if isinstance(high, Below) else high
    for model in _models():
        for name, info in model.model_fields.items():
            bounds = _numeric_bounds(info)
            if bounds:
                assert covered.get((model, name)) == bounds, f"{model.__name__}.{name}: bounds {bounds} not in RANGES"


def test_every_pattern_and_checked_type_is_in_formats():
    covered = {_field_of(row[0]) for row in FORMATS}
    missing = [
        f"{model.__name__}.{name}"
        for model in _models()
        for name, info in model.model_fields.items()
        if _has_check(info) and (model, name) not in covered
    ]
    assert missing == []


def _rule_functions() -> set[str]:
    """Every validator method of every model, and every cross-section check function of the clouds."""
    found = set()
    for model in _models():
        decorators = model.__pydantic_decorators__
        own = {**decorators.field_validators, **decorators.model_validators}
        # The layering of defaults is not a check (test_config.py tests it key by key).
        found |= {f"{model.__name__}.{name}" for name in own if name != "_defaults_under_stack_values"}
    found |= {
        f"PlatformConfig.{name}"
        for name, member in vars(PlatformConfig).items()
        if inspect.isfunction(member) and name.startswith("_prod_")
    }
    for module in (aws_rules, azure_rules, gcp_rules):
        found |= {
            f"{module.__name__.rpartition('.')[2]}.{name}"
            for name, member in vars(module).items()
            if inspect.isfunction(member)
            and "cfg" in inspect.signature(member).parameters
            and name != "check_stack"
            and "raise" in inspect.getsource(member)  # a check, not a helper that only reads config
        }
    return found


def test_every_rule_is_in_rules():
    assert _rule_functions() == {rule.identity for rule in RULES}
