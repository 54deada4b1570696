"""The stack outputs contract: exact names per environment, secrets marked, documented in README."""

from __future__ import annotations

import re

import pytest

from tests.conftest import ROOT, STACKS

EVERY_STACK = {
    "environment",
    "contract_version",
    "active_color",
    "traffic_weights",
    "aws_region",
    "aws_network_id",
    "aws_public_subnet_ids",
    "aws_private_subnet_ids",
    "aws_database_endpoint",
    "aws_database_port",
    "aws_database_name",
    "aws_database_secret_id",
    "aws_cache_endpoint",
    "aws_cache_port",
    "aws_cache_secret_id",
    "aws_load_balancer_dns_name",
    "aws_https_listener_id",
    "aws_api_listener_rule_id",
    "aws_target_group_ids",
    "aws_worker_queue_id",
    "aws_alarm_topic_ids",
    "aws_kms_key_id",
    "aws_app_log_group_names",
    "aws_audit_log_group_name",
    "aws_config_bucket_name",
    "aws_feature_flags_id",
    "aws_access_role_ids",
    "aws_releases",
    "aws_rollback_alarm_ids",
}
WITH_BACKUPS = {"aws_backup_vault_name"}
WITH_DR = {
    "aws_dr_region",
    "aws_dr_database_endpoint",
    "aws_dr_database_id",
    "aws_dr_backup_vault_name",
    "aws_dr_config_bucket_name",
}
EXPECTED = {"dev": EVERY_STACK, "staging": EVERY_STACK | WITH_BACKUPS, "prod": EVERY_STACK | WITH_BACKUPS | WITH_DR}


@pytest.mark.parametrize("stack", STACKS)
def test_exact_output_names(plan, stack):
    assert set(plan(stack).outputs) == EXPECTED[stack]


@pytest.mark.parametrize("stack", STACKS)
def test_only_credential_references_are_secret(plan, stack):
    secret = {name for name, output in plan(stack).outputs.items() if output.secret}
    assert secret == {"aws_database_secret_id", "aws_cache_secret_id"}


def test_outputs_carry_resource_values(plan):
    outputs = plan("prod").outputs
    (db,) = [r for r in plan("prod").children("platform:aws:Database") if r.type == "aws:rds/instance:Instance"]
    assert outputs["aws_database_port"].value == 5432
    assert outputs["aws_database_endpoint"].value.endswith(".us-east-1.rds.amazonaws.com")
    assert outputs["aws_database_endpoint"].value.startswith(db.inputs["identifier"])
    assert outputs["aws_dr_database_endpoint"].value.endswith(".us-west-2.rds.amazonaws.com")
    assert outputs["aws_dr_region"].value == "us-west-2"
    assert set(outputs["aws_alarm_topic_ids"].value) == {"critical", "high", "medium", "low"}
    assert set(outputs["aws_target_group_ids"].value) == {"web", "api"}
    assert all(set(pools) == {"blue", "green"} for pools in outputs["aws_target_group_ids"].value.values())
    assert set(outputs["aws_access_role_ids"].value) == {"admin", "developer", "viewer"}


def test_active_color_and_weights_follow_config(plan):
    outputs = plan("dev", "blueGreen.activeColor=green", "blueGreen.canaryWeight=10").outputs
    assert outputs["active_color"].value == "green"
    assert outputs["traffic_weights"].value == {"green": 90, "blue": 10}


def test_every_output_is_documented_in_readme():
    readme = (ROOT / "README.md").read_text()
    table = readme[readme.index("## Stack outputs") :]
    table = table[: table.index("\n## ", 1)]  # the outputs section only (other tables list commands)
    documented = set(re.findall(r"^\| `([a-z_]+)` \|", table, re.MULTILINE))
    assert documented == set().union(*EXPECTED.values())
