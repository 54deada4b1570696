"""The config model: SPEC.md defaults per environment, and one clear error for bad config."""

from __future__ import annotations

import typing
from typing import Any

import pulumi
import pytest
from pydantic import BaseModel

from components.config import COLORS, ConfigError, PlatformConfig, load, parse, profile


def test_spec_defaults_per_environment():
    dev, staging, prod = (profile(env) for env in ("dev", "staging", "prod"))
    assert [c.logging.app_retention_days for c in (dev, staging, prod)] == [7, 30, 90]
    assert [c.logging.audit_retention_days for c in (dev, staging, prod)] == [30, 90, 365]
    assert [c.database.high_availability for c in (dev, staging, prod)] == [False, False, True]
    assert [c.cache.snapshot_retention_days > 0 for c in (dev, staging, prod)] == [False, True, True]
    assert [c.backup.enabled for c in (dev, staging, prod)] == [False, True, True]
    assert [c.disaster_recovery.enabled for c in (dev, staging, prod)] == [False, False, True]
    assert (prod.backup.daily_retention_days, prod.backup.hourly_retention_days) == (30, 7)
    assert (prod.backup.continuous_retention_days, prod.backup.config_retention_days) == (7, 90)
    assert prod.disaster_recovery.rto_hours == 4 and prod.disaster_recovery.rpo_hours == 1


def test_spec_scaling_and_alarm_numbers():
    cfg = parse({"environment": "dev"})
    tiers = {name: cfg.compute.tier(name) for name in ("web", "api", "worker")}
    assert {n: (t.target, t.min_size, t.max_size, t.cpu, t.memory) for n, t in tiers.items()} == {
        "web": (70, 2, 10, "1", "2Gi"),
        "api": (1000, 3, 15, "2", "4Gi"),
        "worker": (100, 2, 8, "1", "2Gi"),
    }
    alarms = cfg.alarms
    assert (alarms.cpu_percent.warning, alarms.cpu_percent.critical) == (70, 90)
    assert (alarms.memory_percent.warning, alarms.memory_percent.critical) == (80, 95)
    assert (alarms.disk_percent.warning, alarms.disk_percent.critical) == (85, 95)
    assert (alarms.latency_ms.warning, alarms.latency_ms.critical) == (1000, 5000)
    assert (alarms.paging_error_rate_percent, alarms.paging_error_rate_window_minutes) == (10, 2)
    assert (alarms.database_connections, alarms.replica_lag_seconds) == (100, 300)
    assert cfg.blue_green.shift_steps == [10, 25, 50, 100]
    assert cfg.blue_green.rollback.p95_latency_ms == 500
    assert cfg.blue_green.rollback.max_rollback_seconds == 120
    assert cfg.app.as_env() == {  # SPEC.md's names and values, exactly
        "DATABASE_POOL_SIZE": "20",
        "DATABASE_TIMEOUT": "30000",
        "CACHE_TTL": "300",
        "RATE_LIMIT_REQUESTS": "1000",
        "RATE_LIMIT_WINDOW": "60000",
        "LOG_LEVEL": "info",
        "METRICS_ENABLED": "true",
        "AUDIT_RETENTION_DAYS": "365",
        "TENANT_ISOLATION_LEVEL": "strict",
        "MAX_TENANTS_PER_INSTANCE": "1000",
    }
    assert (cfg.compute.app_port, cfg.compute.metrics_port, cfg.compute.scrape_interval_seconds) == (8080, 9090, 15)
    rollback = cfg.blue_green.rollback
    assert (rollback.cpu_percent, rollback.memory_percent, rollback.error_rate_percent) == (90, 90, 1)


DIGEST = "sha256:" + "ab" * 32
# What only a prod stack file can supply: digest-pinned releases and someone to page.
PROD = {
    "environment": "prod",
    "blueGreen": {"releases": {c: {"image": f"registry.example.com/app@{DIGEST}", "version": "1"} for c in COLORS}},
    "alarms": {"subscriptions": {"critical": ["oncall@example.com"], "high": ["oncall@example.com"]}},
}


def test_stack_values_override_environment_defaults_key_by_key():
    cfg = parse({**PROD, "backup": {"hourlyRetentionDays": 3}})
    assert cfg.backup.hourly_retention_days == 3
    assert cfg.backup.daily_retention_days == 30  # the rest of prod's profile stays


# How errors read: one line per problem, ``platform:<key> = <value as JSON>: <what is allowed>``.
@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ({}, "platform:environment: required but not set"),
        ({"environment": "qa"}, "platform:environment = \"qa\": Input should be 'dev', 'staging' or 'prod'"),
        (
            {"environment": "dev", "databse": {}},
            "platform:databse: unknown key; allowed keys here: alarms, app, aws, azure, backup, blueGreen, cache, "
            "clouds, compute, database, disasterRecovery, environment, featureFlags, gcp, kubernetes, logging, "
            "security, tags",
        ),
        (
            {"environment": "dev", "database": {"prot": 1}},
            "platform:database.prot: unknown key; allowed keys here: allocatedStorageGb, backupRetentionDays, "
            "deletionProtection, engineVersion, highAvailability, maxAllocatedStorageGb, monitoringIntervalSeconds, "
            "name, performanceInsightsRetentionDays, port, slowQueryMs, username",
        ),
        (
            {"environment": "dev", "database": {"port": "x"}},
            'platform:database.port = "x": Input should be a valid integer, unable to parse string as an integer',
        ),
        (
            {"environment": "dev", "database": "big"},
            'platform:database = "big": Input should be a valid dictionary or instance of DatabaseConfig',
        ),
        (  # a path deeper than any real key
            {"environment": "dev", "security": {"roleSessionHours": {"max": 2}}},
            'platform:security.roleSessionHours = {"max": 2}: Input should be a valid integer; '
            "platform:security.roleSessionHours is a single value, so nothing can be set inside it",
        ),
        (
            {"environment": "dev", "clouds": ["aws", "ibm"]},
            "platform:clouds.1 = \"ibm\": Input should be 'aws', 'azure' or 'gcp'",
        ),
        (
            {"environment": "dev", "aws": {"instanceTypes": {"web": " "}}},
            'platform:aws.instanceTypes.web = " ": must be an EC2 instance type such as t3.medium',
        ),
        (
            {"environment": "dev", "aws": {"instanceTypes": {"gpu": "p5.48xlarge"}}},
            "platform:aws.instanceTypes.gpu = \"gpu\": Input should be 'web', 'api' or 'worker'",
        ),
        (  # cross-field: both values
            {"environment": "dev", "compute": {"web": {"minSize": 5, "maxSize": 2}}},
            "platform:compute.web.minSize = 5: must be <= maxSize (2)",
        ),
        (
            {"environment": "dev", "alarms": {"latencyMs": {"warning": 6000}}},
            "platform:alarms.latencyMs.warning = 6000.0: must be below critical (5000.0)",
        ),
        (  # cross-section: named by its key, not "platform:"
            {"environment": "dev", "logging": {"appRetentionDays": 8}},
            "platform:logging.appRetentionDays = 8: CloudWatch Logs accepts only 1, 3, 5, 7, 14, 30, 60, 90, 120, "
            "150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653",
        ),
        (
            {"environment": "prod"},
            'platform:blueGreen.releases.blue.image = "us-docker.pkg.dev/google-samples/containers/gke/hello-app:1.0": '
            "prod needs a digest-pinned image, e.g. registry.example.com/team/app:1.2.3@sha256:<64 hex>",
        ),
        (
            {"environment": "dev", "azure": {"redisCapacity": -1}},
            "platform:azure.redisCapacity = -1: Input should be greater than or equal to 0",
        ),
        (  # a long value is shortened in the middle
            {"environment": "dev", "tags": {"owner": "o" * 300}},
            f'platform:tags.owner = "{"o" * 36} ... {"o" * 36}": '
            "must be 1-256 letters, digits, spaces or _ . : / = + - @, not blank (AWS and Azure tag values)",
        ),
    ],
)
def test_errors_name_the_key_the_value_and_what_is_allowed(raw, expected):
    with pytest.raises(ConfigError) as error:
        parse(raw)
    assert expected in error.value.problems
    assert str(error.value).startswith("Invalid stack configuration:\n  platform:")


def _float_paths(model: type[BaseModel] = PlatformConfig, prefix: str = "") -> list[str]:
    """Every float setting of the model, by config path (one concrete key for dict entries)."""
    paths = []
    for name, info in model.model_fields.items():
        path = f"{prefix}{info.alias or name}"
        inner = [t for t in _types(info.annotation) if isinstance(t, type) and issubclass(t, BaseModel)]
        if inner:
            key = (
                next(iter(info.default)) if isinstance(info.default, dict) and inner[0] is not info.annotation else None
            )
            paths += _float_paths(inner[0], f"{path}.{key}." if key else f"{path}.")
        elif float in _types(info.annotation):
            paths.append(path)
    return paths


def _types(annotation: Any) -> list[Any]:
    return [annotation, *(t for arg in typing.get_args(annotation) for t in _types(arg))]


FLOAT_PATHS = _float_paths()


def test_every_float_setting_is_found():
    assert len(FLOAT_PATHS) >= 15
    assert {"alarms.cpuPercent.warning", "compute.web.target", "featureFlags.rolloutGrowthPercent"} <= set(FLOAT_PATHS)


@pytest.mark.parametrize("value", ["inf", "-inf", "nan", "Infinity", float("inf"), float("nan")])
@pytest.mark.parametrize("path", FLOAT_PATHS)
def test_non_finite_numbers_are_refused_everywhere(path, value):
    raw: dict[str, Any] = {"environment": "dev"}
    node = raw
    *parents, last = path.split(".")
    for part in parents:
        node = node.setdefault(part, {})
    node[last] = value
    with pytest.raises(ConfigError) as error:
        parse(raw)
    assert any(p.startswith(f"platform:{path} = ") and "finite number" in p for p in error.value.problems)


def test_a_misspelt_namespace_is_refused_by_the_program_itself():
    """Under the real engine nothing reads the stack file first: the program refuses a typo of platform."""
    pulumi.runtime.set_all_config({"platform:environment": "dev", "platfrom:database": "{}", "aws:region": "x"})
    try:
        with pytest.raises(ConfigError) as error:
            load()
    finally:
        pulumi.runtime.set_all_config({})
    assert error.value.problems == ["platfrom:database: unknown namespace; did you mean platform:database?"]


def test_all_problems_are_reported_together():
    with pytest.raises(ConfigError) as error:
        parse({"environment": "dev", "database": {"port": 1, "nope": 1}})
    assert len(error.value.problems) == 2


def test_partial_tier_override_keeps_spec_values():
    cfg = parse({"environment": "dev", "compute": {"api": {"maxSize": 20}}})
    assert (cfg.compute.api.min_size, cfg.compute.api.max_size, cfg.compute.api.target) == (3, 20, 1000)


def test_weights_always_sum_to_100():
    for color in ("blue", "green"):
        for canary in (0, 10, 100):
            cfg = parse({"environment": "dev", "blueGreen": {"activeColor": color, "canaryWeight": canary}})
            weights = cfg.blue_green.weights
            assert sum(weights.values()) == 100
            assert weights[color] == 100 - canary


def test_each_colour_has_its_own_release_and_prod_takes_a_pinned_one():
    dev = parse({"environment": "dev"}).blue_green.releases
    assert dev["blue"].image.endswith("hello-app:1.0") and dev["green"].image.endswith("hello-app:2.0")
    assert not dev["blue"].pinned
    prod = parse(PROD).blue_green.releases
    assert all(release.pinned and release.image.endswith(DIGEST) for release in prod.values())
    tagged_and_pinned = f"registry.example.com:5000/team/app:1.2.3@{DIGEST}"
    releases = {color: {"image": tagged_and_pinned, "version": "1.2.3"} for color in COLORS}
    assert parse({**PROD, "blueGreen": {"releases": releases}}).blue_green.releases["green"].pinned


def test_shipped_prod_stack_pins_its_images_and_pages_on_call(plan):
    prod = plan("prod")
    assert all("@sha256:" in release["image"] for release in prod.outputs["aws_releases"].value.values())


def test_numbers_set_by_path_are_taken_as_text_where_text_is_expected():
    """``pulumi config set --path database.engineVersion 14`` stores the integer 14."""
    cfg = parse({"environment": "dev", "database": {"engineVersion": 14}, "kubernetes": {"quotaCpu": 20}})
    assert (cfg.database.engine_version, cfg.kubernetes.quota_cpu) == ("14", "20")
