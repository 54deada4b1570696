"""The GCP environment as a whole: outputs contract, explicit provider, component tree, labels."""

from __future__ import annotations

import pytest

from tests.conftest import STACKS
from tests.gcp.support import gcp_plan

COMMON = {
    "region",
    "network_id",
    "public_subnet_ids",
    "private_subnet_ids",
    "database_endpoint",
    "database_port",
    "database_name",
    "database_secret_id",
    "cache_endpoint",
    "cache_port",
    "cache_secret_id",
    "load_balancer_dns_name",
    "https_listener_id",
    "api_listener_rule_id",
    "target_group_ids",
    "worker_queue_id",
    "alarm_topic_ids",
    "kms_key_id",
    "app_log_group_names",
    "audit_log_group_name",
    "config_bucket_name",
    "feature_flags_id",
    "access_role_ids",
    "releases",
    "rollback_alarm_ids",
}
BACKUP = {"backup_vault_name"}
DR = {"dr_region", "dr_database_endpoint", "dr_database_id", "dr_backup_vault_name", "dr_config_bucket_name"}
EXPECTED = {"dev": COMMON, "staging": COMMON | BACKUP, "prod": COMMON | BACKUP | DR}
# Types GCP lets carry labels, and where (the policy pack's required-tags reads the same places).
LABELLED = {
    "gcp:kms/cryptoKey:CryptoKey": "labels",
    "gcp:secretmanager/secret:Secret": "labels",
    "gcp:redis/instance:Instance": "labels",
    "gcp:pubsub/topic:Topic": "labels",
    "gcp:pubsub/subscription:Subscription": "labels",
    "gcp:compute/instanceTemplate:InstanceTemplate": "labels",
    "gcp:compute/globalAddress:GlobalAddress": "labels",
    "gcp:compute/globalForwardingRule:GlobalForwardingRule": "labels",
    "gcp:storage/bucket:Bucket": "labels",
    "gcp:parametermanager/regionalParameter:RegionalParameter": "labels",
    "gcp:backupdisasterrecovery/backupVault:BackupVault": "labels",
    "gcp:monitoring/notificationChannel:NotificationChannel": "userLabels",
    "gcp:monitoring/alertPolicy:AlertPolicy": "userLabels",
}


@pytest.mark.parametrize("stack", STACKS)
def test_outputs_contract_per_environment(plan, stack):
    p = gcp_plan(plan, stack)
    gcp = {name.removeprefix("gcp_") for name in p.outputs if name.startswith("gcp_")}
    assert gcp == EXPECTED[stack]
    assert not any(name.startswith("aws_") for name in p.outputs)
    secret = {name for name, output in p.outputs.items() if output.secret}
    assert secret == {"gcp_database_secret_id", "gcp_cache_secret_id"}


def test_prod_outputs_carry_gcp_values(plan):
    out = {name: o.value for name, o in gcp_plan(plan, "prod").outputs.items()}
    assert out["gcp_region"] == "us-central1" and out["gcp_dr_region"] == "us-east1"
    assert out["gcp_database_port"] == 5432
    assert out["gcp_cache_port"] == 6378  # Memorystore's TLS port
    assert out["gcp_kms_key_id"].endswith("/keyRings/platform-prod-primary/cryptoKeys/platform-prod-data")
    assert out["gcp_https_listener_id"].endswith("/global/forwardingRules/platform-prod-https")
    assert out["gcp_api_listener_rule_id"].endswith("/urlMaps/platform-prod-https/pathMatchers/routes")
    assert {tier: set(colors) for tier, colors in out["gcp_target_group_ids"].items()} == {
        "web": {"blue", "green"},
        "api": {"blue", "green"},
    }
    assert out["gcp_target_group_ids"]["api"]["green"].endswith("/backendServices/platform-prod-api-green")
    assert set(out["gcp_alarm_topic_ids"]) == {"critical", "high", "medium", "low"}
    assert all("/notificationChannels/" in v for v in out["gcp_alarm_topic_ids"].values())
    assert set(out["gcp_app_log_group_names"]) == {"web", "api", "worker"}
    assert out["gcp_audit_log_group_name"].endswith("/buckets/platform-prod-audit")
    assert out["gcp_worker_queue_id"].endswith("/subscriptions/platform-prod-worker")
    assert out["gcp_feature_flags_id"].endswith("/parameters/platform-prod-feature-flags")
    assert out["gcp_access_role_ids"]["viewer"].endswith("/roles/platform_prod_viewer")
    assert out["gcp_public_subnet_ids"] == []  # the global load balancer is in no subnet
    assert len(out["gcp_private_subnet_ids"]) == 2  # primary and DR regions
    assert out["gcp_dr_database_id"] == "platform-prod-postgres-dr"
    assert out["gcp_dr_config_bucket_name"].endswith("-config-dr")


@pytest.mark.parametrize("stack", STACKS)
def test_every_resource_under_the_environment_with_an_explicit_provider(plan, stack):
    p = gcp_plan(plan, stack)
    (environment,) = p.of_type("platform:gcp:Environment")
    providers = {r.name: r for r in p.of_type("pulumi:providers:gcp")}
    assert set(providers) == {"gcp", "project"}  # the project's APIs and agents have their own (test_project.py)
    for provider in providers.values():
        assert provider.inputs["project"] == "platform-example" and provider.inputs["region"] == "us-central1"
    assert providers["gcp"].parent == environment.urn
    components = {r.urn for r in p.resources if r.type.startswith("platform:gcp:") and r.parent == environment.urn}
    for r in p.resources:
        if r.type.startswith("gcp:"):
            assert r.parent in components, r.name
            assert any(r.provider.startswith(provider.urn) for provider in providers.values()), r.name


@pytest.mark.parametrize("stack", STACKS)
def test_labelled_resources_carry_spec_labels(plan, stack):
    p = gcp_plan(plan, stack)
    checked = 0
    for r in p.resources:
        path = LABELLED.get(r.type)
        if path is None:
            continue
        labels = r.inputs[path]
        assert {"environment", "service", "owner", "cost-center", "managed-by"} <= set(labels), r.name
        assert labels["environment"] == stack and labels["managed-by"] == "pulumi"
        assert all(k == k.lower() and v == v.lower() and len(v) <= 63 for k, v in labels.items())
        checked += 1
    assert checked > 20
    db = p.named("gcp:sql/databaseInstance:DatabaseInstance", "postgres")
    assert db.inputs["settings"]["userLabels"]["service"] == "database"


def test_labels_are_made_valid_for_gcp(plan):
    p = gcp_plan(plan, "dev", "tags.owner=Platform Team", "tags.costCenter=CC.42")
    labels = p.named("gcp:redis/instance:Instance", "redis").inputs["labels"]
    assert labels["owner"] == "platform-team" and labels["cost-center"] == "cc-42"
