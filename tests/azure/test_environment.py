"""The Azure environment as a whole: outputs contract, explicit provider, component tree, tags."""

from __future__ import annotations

import importlib
import inspect
from functools import cache

import pytest

from tests.azure.support import azure_plan
from tests.conftest import STACKS
from tests.gcp.test_environment import EXPECTED

SPEC_TAGS = {"environment", "service", "owner", "cost-center", "managed-by"}


@cache
def takes_tags(type_: str) -> bool:
    """Whether the azure-native resource type accepts ``tags`` (child resources such as subnets do not)."""
    _, module, kind = type_.split(":")
    resource = getattr(importlib.import_module(f"pulumi_azure_native.{module}"), kind)
    return "tags" in inspect.signature(resource._internal_init).parameters


@pytest.mark.parametrize("stack", STACKS)
def test_outputs_contract_per_environment(plan, stack):
    p = azure_plan(plan, stack)
    azure = {name.removeprefix("azure_") for name in p.outputs if name.startswith("azure_")}
    assert azure == EXPECTED[stack]
    assert not any(name.startswith(("aws_", "gcp_")) for name in p.outputs)
    secret = {name for name, output in p.outputs.items() if output.secret}
    assert secret == {"azure_database_secret_id", "azure_cache_secret_id"}


def test_prod_outputs_carry_azure_values(plan):
    p = azure_plan(plan, "prod")
    out = {name: o.value for name, o in p.outputs.items()}
    group = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/platform-prod"
    assert out["azure_region"] == "eastus" and out["azure_dr_region"] == "westus"
    assert out["azure_network_id"] == f"{group}/providers/Microsoft.Network/virtualNetworks/platform-prod-network"
    assert out["azure_database_endpoint"].endswith(".postgres.database.azure.com")
    assert out["azure_database_port"] == 5432
    assert out["azure_cache_endpoint"].endswith(".redis.cache.windows.net")
    assert out["azure_cache_port"] == 6380  # the TLS port; the plain one is off
    assert "/providers/Microsoft.KeyVault/vaults/" in out["azure_kms_key_id"]
    assert "/Microsoft.Cdn/profiles/platform-prod-edge/afdEndpoints/" in out["azure_https_listener_id"]
    assert {tier: set(colors) for tier, colors in out["azure_target_group_ids"].items()} == {
        "web": {"blue", "green"},
        "api": {"blue", "green"},
    }
    assert out["azure_target_group_ids"]["api"]["green"].endswith("/originGroups/api/origins/green")
    assert set(out["azure_alarm_topic_ids"]) == {"critical", "high", "medium", "low"}
    assert all("/providers/Microsoft.Insights/actionGroups/" in v for v in out["azure_alarm_topic_ids"].values())
    assert set(out["azure_app_log_group_names"]) == {"web", "api", "worker"}
    assert "/queueServices/default/queues/" in out["azure_worker_queue_id"]
    assert "/providers/Microsoft.AppConfiguration/configurationStores/" in out["azure_feature_flags_id"]
    assert set(out["azure_access_role_ids"]) == {"admin", "developer", "viewer"}
    assert out["azure_public_subnet_ids"] == []  # Front Door runs at Microsoft's edge
    assert out["azure_dr_database_id"].startswith(f"{group}-dr/providers/Microsoft.DBforPostgreSQL/flexibleServers/")


@pytest.mark.parametrize("stack", STACKS)
def test_every_resource_under_the_environment_with_the_explicit_provider(plan, stack):
    p = azure_plan(plan, stack)
    (environment,) = p.of_type("platform:azure:Environment")
    (provider,) = p.of_type("pulumi:providers:azure-native")
    assert provider.inputs["location"] == "eastus"
    assert provider.parent == environment.urn
    components = {r.urn for r in p.resources if r.type.startswith("platform:azure:")}
    for r in p.resources:
        if r.type.startswith(("azure-native:", "random:")):
            assert r.parent in components, r.name
            assert r.provider.startswith(provider.urn) or r.type.startswith("random:"), r.name


@pytest.mark.parametrize("stack", STACKS)
def test_taggable_resources_carry_spec_tags(plan, stack):
    p = azure_plan(plan, stack)
    taggable = [r for r in p.resources if r.type.startswith("azure-native:") and takes_tags(r.type)]
    assert len(taggable) > 30
    for r in taggable:
        tags = r.inputs.get("tags", {})
        assert set(tags) >= SPEC_TAGS, r.name
        assert tags["environment"] == stack and tags["managed-by"] == "pulumi", r.name


def test_dr_resources_only_in_prod(plan):
    for stack in ("dev", "staging"):
        groups = azure_plan(plan, stack).of_type("azure-native:resources:ResourceGroup")
        assert [g.inputs["location"] for g in groups] == ["eastus"]
    groups = azure_plan(plan, "prod").of_type("azure-native:resources:ResourceGroup")
    assert {g.inputs["resourceGroupName"]: g.inputs["location"] for g in groups} == {
        "platform-prod": "eastus",
        "platform-prod-dr": "westus",
    }
