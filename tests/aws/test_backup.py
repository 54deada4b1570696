"""AWS Backup: SPEC.md's rules per environment, DR copies, vault lock and the selection."""

from __future__ import annotations

import pytest

from components.config import ConfigError

PLAN = "aws:backup/plan:Plan"
VAULT = "aws:backup/vault:Vault"
LOCK = "aws:backup/vaultLockConfiguration:VaultLockConfiguration"


def _rules(plan):
    """Every rule of every backup plan, by rule name (names are unique across the plans)."""
    rules = [rule for backup_plan in plan.of_type(PLAN) for rule in backup_plan.inputs["rules"]]
    assert len({rule["ruleName"] for rule in rules}) == len(rules)
    return {rule["ruleName"]: rule for rule in rules}


def _retentions(plan):
    return {name: rule["lifecycle"]["deleteAfter"] for name, rule in _rules(plan).items()}


def test_dev_has_no_backups(plan):
    p = plan("dev")
    assert not p.of_type(PLAN) and not p.of_type(VAULT)
    assert not p.children("platform:aws:Backups")
    assert "aws_backup_vault_name" not in p.outputs


def test_staging_keeps_daily_backups_30_days_only(plan):
    p = plan("staging")
    assert _retentions(p) == {"daily": 30}
    assert "copyActions" not in _rules(p)["daily"]
    assert [v.name for v in p.of_type(VAULT)] == ["vault"]
    assert not p.of_type(LOCK)


def test_prod_rules_match_spec(plan):
    p = plan("prod")
    rules = _rules(p)
    assert _retentions(p) == {"daily": 30, "hourly": 7, "continuous": 7, "config": 90}
    assert rules["continuous"]["enableContinuousBackup"] is True  # point-in-time recovery
    assert not any(rules[name]["enableContinuousBackup"] for name in ("daily", "hourly", "config"))
    assert rules["hourly"]["schedule"] == "cron(0 * * * ? *)"
    assert rules["daily"]["schedule"] == "cron(0 3 * * ? *)"
    assert {rule["targetVaultName"] for rule in rules.values()} == {"platform-prod-backup"}


def test_hourly_jobs_start_within_the_hour_and_finish_or_are_reported(plan):
    """With AWS Backup's default 8-hour start window hourly jobs queue up behind each other for hours."""
    rules = _rules(plan("prod"))
    assert (rules["hourly"]["startWindow"], rules["hourly"]["completionWindow"]) == (60, 120)
    assert "startWindow" not in rules["daily"]  # a daily job may take the default window


def test_daily_copies_go_to_the_dr_region_vault(plan):
    p = plan("prod")
    (copy,) = _rules(p)["daily"]["copyActions"]
    dr_vault = p.named(VAULT, "dr-vault")
    assert copy["destinationVaultArn"] == "arn:aws:backup:us-west-2:123456789012:backup-vault:platform-prod-backup-dr"
    assert copy["lifecycle"]["deleteAfter"] == 30
    assert "aws-dr" in dr_vault.provider and "aws-dr" not in p.named(VAULT, "vault").provider
    assert dr_vault.inputs["kmsKeyArn"].startswith("arn:aws:kms:us-west-2:")
    assert dr_vault.urn in p.named(PLAN, "database-plan").property_dependencies["rules"]
    (config_copy,) = _rules(p)["config"]["copyActions"]
    assert config_copy["destinationVaultArn"] == copy["destinationVaultArn"]
    assert config_copy["lifecycle"]["deleteAfter"] == 90


def test_retention_overrides_flow_through_and_zero_turns_a_rule_off(plan):
    assert _retentions(plan("staging", "backup.dailyRetentionDays=14")) == {"daily": 14}
    prod = _retentions(plan("prod", "backup.hourlyRetentionDays=0", "backup.configRetentionDays=120"))
    assert prod == {"daily": 30, "continuous": 7, "config": 120}


def test_backups_need_a_rule(plan):
    with pytest.raises(ConfigError, match="at least one retention above 0"):
        plan("staging", "backup.dailyRetentionDays=0")


def test_prod_vaults_are_locked_between_shortest_and_longest_retention(plan):
    p = plan("prod")
    locks = {lock.name: lock for lock in p.of_type(LOCK)}
    assert set(locks) == {"vault", "dr-vault"}
    for lock in locks.values():
        assert (lock.inputs["minRetentionDays"], lock.inputs["maxRetentionDays"]) == (7, 90)
        assert "changeableForDays" not in lock.inputs  # governance mode
    assert "aws-dr" in locks["dr-vault"].provider
    assert plan("prod", "backup.configRetentionDays=365").named(LOCK, "vault").inputs["maxRetentionDays"] == 365


def test_vault_is_encrypted_and_notifies_the_critical_topic(plan):
    p = plan("prod")
    vault = p.named(VAULT, "vault")
    assert vault.inputs["kmsKeyArn"].startswith("arn:aws:kms:us-east-1:")
    assert vault.protect
    notifications = p.named("aws:backup/vaultNotifications:VaultNotifications", "vault")
    assert notifications.inputs["snsTopicArn"].endswith(":platform-prod-alerts-critical")
    assert {"COPY_JOB_FAILED", "S3_BACKUP_OBJECT_FAILED"} <= set(notifications.inputs["backupVaultEvents"])
    assert "BACKUP_JOB_FAILED" not in notifications.inputs["backupVaultEvents"]  # deprecated, never delivered


def test_database_and_config_bucket_each_get_only_their_own_rules(plan):
    p = plan("prod")
    database_rules = [r["ruleName"] for r in p.named(PLAN, "database-plan").inputs["rules"]]
    config_rules = [r["ruleName"] for r in p.named(PLAN, "config-plan").inputs["rules"]]
    assert (database_rules, config_rules) == (["daily", "hourly", "continuous"], ["config"])
    database = next(r for r in p.of_type("aws:rds/instance:Instance") if r.parent.endswith("::database"))
    selection = p.named("aws:backup/selection:Selection", "database-selection")
    assert selection.inputs["resources"] == ["arn:aws:rds:us-east-1:123456789012:db:platform-prod-postgres"]
    assert database.urn in selection.property_dependencies["resources"]
    (bucket_arn,) = p.named("aws:backup/selection:Selection", "config-selection").inputs["resources"]
    assert bucket_arn.startswith("arn:aws:s3:::config-")


def test_config_bucket_is_backed_up_only_where_spec_asks(plan):
    assert [r.name for r in plan("staging").of_type(PLAN)] == ["database-plan"]
    assert "config-plan" not in {r.name for r in plan("prod", "backup.configRetentionDays=0").of_type(PLAN)}


def test_selection_role_uses_backup_and_restore_service_policies(plan):
    p = plan("staging")
    role = p.named("aws:iam/role:Role", "backup")
    assert '"Service": "backup.amazonaws.com"' in role.inputs["assumeRolePolicy"]
    attached = {
        a.inputs["policyArn"].rsplit("/", 1)[-1]
        for a in p.children("platform:aws:Backups")
        if a.type == "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
    }
    assert attached == {
        "AWSBackupServiceRolePolicyForBackup",
        "AWSBackupServiceRolePolicyForRestores",
        "AWSBackupServiceRolePolicyForS3Backup",
        "AWSBackupServiceRolePolicyForS3Restore",
    }
    selection = p.named("aws:backup/selection:Selection", "database-selection")
    assert role.urn in selection.property_dependencies["iamRoleArn"]
    assert {a.urn for a in p.children("platform:aws:Backups") if a.type.endswith("RolePolicyAttachment")} <= set(
        selection.dependencies
    )
