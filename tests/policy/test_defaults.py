"""The pack's mirrored SPEC.md numbers equal the program's config defaults, and the env files use them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from components import config
from policies.rules import defaults

CONFIG_DIR = Path(__file__).resolve().parents[2] / "policies" / "config"


@pytest.mark.parametrize("environment", ["dev", "staging", "prod"])
def test_environment_defaults_match_program(environment: str) -> None:
    settings = config.profile(environment)
    expected = defaults.ENVIRONMENTS[environment]
    assert expected["minAppRetentionDays"] == settings.logging.app_retention_days
    assert expected["minAuditRetentionDays"] == settings.logging.audit_retention_days
    assert expected["minBackupRetentionDays"] == settings.database.backup_retention_days
    assert expected["minCacheSnapshotDays"] == settings.cache.snapshot_retention_days
    assert set(settings.tags_for("x")) == set(defaults.TAG_KEYS)


def test_spec_numbers_match_program() -> None:
    settings = config.profile("prod")
    for tier, caps in defaults.TIERS.items():
        scaling = settings.compute.tier(tier)  # type: ignore[arg-type]
        assert caps == {"maxSize": scaling.max_size, "cpu": scaling.cpu, "memory": scaling.memory}
    assert settings.security.key_rotation_days == defaults.KEY_ROTATION_DAYS
    assert settings.security.min_tls_version == defaults.MIN_TLS_VERSION
    assert settings.aws.tls_policy.startswith(defaults.TLS13_POLICY_PREFIX)
    assert str(config.SSH_ALLOWED_RANGE) == defaults.SSH_ALLOWED_CIDR
    assert settings.backup.continuous_retention_days == defaults.PITR_DAYS


@pytest.mark.parametrize("environment", ["dev", "staging", "prod"])
def test_config_files_use_defaults(environment: str) -> None:
    file = json.loads((CONFIG_DIR / f"{environment}.json").read_text())
    params = {k: v for policy in file.values() if isinstance(policy, dict) for k, v in policy.items()}
    assert params == defaults.ENVIRONMENTS[environment]
