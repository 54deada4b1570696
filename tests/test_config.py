"""The config model: SPEC.md defaults per environment, and one clear error for bad config."""

from __future__ import annotations

import pytest

from components.config import COLORS, ConfigError, parse, profile


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


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ({"environment": "qa"}, "platform:environment = \"qa\": Input should be 'dev', 'staging' or 'prod'"),
        ({}, "platform:environment: required but not set"),
        ({"environment": "dev", "clouds": ["aws", "ibm"]}, 'platform:clouds.1 = "ibm"'),
        ({"environment": "dev", "clouds": ["aws", "aws"]}, "each cloud may be listed once"),
        ({"environment": "dev", "databse": {}}, "platform:databse: unknown key; allowed keys here: alarms,"),
        ({"environment": "dev", "database": {"backupRetentionDays": 0}}, "platform:database.backupRetentionDays = 0"),
        ({"environment": "dev", "database": {"port": "x"}}, 'platform:database.port = "x": Input should be a valid'),
        ({"environment": "dev", "aws": {"region": "mars-1"}}, 'platform:aws.region = "mars-1": unknown AWS region'),
        ({"environment": "dev", "aws": {"drRegion": "us-east-1"}}, "drRegion must differ from region"),
        (
            {**PROD, "clouds": ["azure"], "azure": {"drLocation": "westus2"}},
            'azure.drLocation = "westus2": eastus replicates geo-redundant backups and storage to its paired region; '
            'use "westus"',
        ),
        ({"environment": "dev", "compute": {"web": {"minSize": 5, "maxSize": 2}}}, "minSize (5) must be <= maxSize"),
        ({"environment": "dev", "security": {"sshCidrs": ["0.0.0.0/0"]}}, "0.0.0.0/0 is outside 10.0.0.0/8"),
        ({"environment": "dev", "logging": {"appRetentionDays": 8}}, "CloudWatch Logs accepts only 1, 3, 5, 7"),
        ({"environment": "dev", "blueGreen": {"canaryWeight": 101}}, "platform:blueGreen.canaryWeight = 101"),
        ({"environment": "dev", "blueGreen": {"shiftSteps": [50, 25, 100]}}, "strictly increasing"),
        ({"environment": "dev", "alarms": {"cpuPercent": {"warning": 95}}}, "warning (95.0) must be below critical"),
        ({"environment": "dev", "cache": {"automaticFailover": True}}, "automaticFailover needs replicas >= 1"),
        (
            {"environment": "dev", "blueGreen": {"releases": {"blue": {"image": "nginx", "version": "1"}}}},
            'platform:blueGreen.releases.blue.image = "nginx": needs a tag or a digest',
        ),
        (
            {"environment": "dev", "blueGreen": {"releases": {"blue": {"image": "app:latest", "version": "1"}}}},
            ":latest moves under a release",
        ),
        (
            {"environment": "dev", "blueGreen": {"releases": {"green": {"image": "Bad Image:1", "version": "1"}}}},
            "must be an OCI image reference",
        ),
        (
            {"environment": "dev", "blueGreen": {"releases": {"blue": {"image": "app:1", "version": "a b"}}}},
            'platform:blueGreen.releases.blue.version = "a b"',
        ),
        (
            {"environment": "dev", "blueGreen": {"rollback": {"windowSeconds": 120}}},
            "windowSeconds (120) x evaluationPeriods (1) + pollSeconds (10) = 130 s exceeds maxRollbackSeconds (120)",
        ),
        ({"environment": "dev", "compute": {"appPort": 80}}, "platform:compute.appPort = 80"),
        ({"environment": "dev", "compute": {"appPort": 9090}}, "metricsPort and appPort must differ (both 9090)"),
        (
            {**PROD, "blueGreen": {"releases": {"blue": {"image": "registry.example.com/app:1.2", "version": "1"}}}},
            'blueGreen.releases.blue.image = "registry.example.com/app:1.2": prod needs a digest-pinned image',
        ),
        (
            {**PROD, "alarms": {"subscriptions": {"critical": ["oncall@example.com"]}}},
            "alarms.subscriptions needs at least one address for high in prod",
        ),
        ({"environment": "prod"}, "prod needs a digest-pinned image"),
        ({**PROD, "disasterRecovery": {"enabled": False}}, "backup.copyToDr needs backup.enabled and"),
    ],
)
def test_bad_config_gets_one_clear_error(raw, expected):
    with pytest.raises(ConfigError) as error:
        parse(raw)
    assert expected in str(error.value)
    assert str(error.value).startswith("Invalid stack configuration:")


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
