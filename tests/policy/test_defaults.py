"""The pack's mirrored SPEC.md numbers equal the program's config defaults, and the env files use them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from components import config
from components.aws.database import PGAUDIT_CLASSES as AWS
from components.azure.database import PGAUDIT_CLASSES as AZURE
from components.gcp.database import PGAUDIT_LOG as GCP
from policies.rules import defaults
from policies.rules.catalog import POLICIES

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
    assert settings.security.secret_rotation_days == defaults.SECRET_ROTATION_DAYS


def test_every_cloud_audits_the_classes_the_pack_requires() -> None:
    """The pack's pgaudit.log classes are what each cloud's database sets (AWS, Azure, GCP)."""
    assert AWS == AZURE == defaults.PGAUDIT_LOG_CLASSES
    assert tuple(GCP.split(",")) == defaults.PGAUDIT_LOG_CLASSES


@pytest.mark.parametrize("environment", ["dev", "staging", "prod"])
def test_config_files_use_defaults(environment: str) -> None:
    file = json.loads((CONFIG_DIR / f"{environment}.json").read_text())
    params = {k: v for policy in file.values() if isinstance(policy, dict) for k, v in policy.items()}
    assert params == defaults.ENVIRONMENTS[environment]


# Rules SPEC.md asks of prod only; dev and staging turn exactly these off.
PROD_ONLY = {
    "point-in-time-recovery",
    "deletion-protection",
    "zone-redundancy",
    "prod-database-backup-plan",
    "prod-database-cross-region-replica",
    "load-balancer-waf-and-access-logs",
    "postgres-pgaudit",
    "secret-rotation",
    "k8s-no-secret-env-vars",
    "k8s-image-digest",
}


def _level(entry: object) -> object:
    return entry.get("enforcementLevel") if isinstance(entry, dict) else entry


def test_every_rule_is_mandatory_in_prod_and_only_prod_rules_are_off_elsewhere() -> None:
    names = {policy.name for policy in POLICIES}
    assert names >= PROD_ONLY
    for environment in ("dev", "staging", "prod"):
        file = json.loads((CONFIG_DIR / f"{environment}.json").read_text())
        assert file["all"] == "mandatory"
        off = {name for name, entry in file.items() if _level(entry) == "disabled"}
        assert off == (set() if environment == "prod" else PROD_ONLY), environment
        assert set(file) - {"all"} <= names
