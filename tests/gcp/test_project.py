"""A fresh project made ready first: every API the plan uses enabled, just-in-time service agents created."""

from __future__ import annotations

import pytest

from tests.conftest import STACKS
from tests.gcp.support import gcp_plan, named

PROJECT = "platform:gcp:ProjectServices"
SERVICE = "gcp:projects/service:Service"
IDENTITY = "gcp:projects/serviceIdentity:ServiceIdentity"
KEY_GRANT = "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember"
# The API each resource module calls (the provider module of the type token, then the type where it differs).
API_OF_MODULE = {
    "compute": "compute",
    "sql": "sqladmin",
    "redis": "redis",
    "kms": "cloudkms",
    "secretmanager": "secretmanager",
    "parametermanager": "parametermanager",
    "pubsub": "pubsub",
    "logging": "logging",
    "monitoring": "monitoring",
    "storage": "storage",
    "servicenetworking": "servicenetworking",
    "serviceaccount": "iam",
    "dns": "dns",
    "projects": "cloudresourcemanager",
    "workflows": "workflows",
    "eventarc": "eventarc",
}
API_OF_TYPE = {
    "gcp:storage/transferJob:TransferJob": "storagetransfer",
    "gcp:projects/iAMCustomRole:IAMCustomRole": "iam",
}
# Agents Google creates at first use (cloud-foundation-fabric service-agents.yaml: is_primary) that the plan grants.
JUST_IN_TIME = {
    "cloud-sql": "sqladmin.googleapis.com",
    "memorystore": "redis.googleapis.com",
    "secret-manager": "secretmanager.googleapis.com",
    "pubsub": "pubsub.googleapis.com",
    "parameter-manager": "parametermanager.googleapis.com",
    "monitoring-notification": "monitoring.googleapis.com",
    "workflows": "workflows.googleapis.com",
    "eventarc": "eventarc.googleapis.com",
}


def _main_provider(p):
    return next(r for r in p.of_type("pulumi:providers:gcp") if r.name == "gcp")


@pytest.mark.parametrize("stack", STACKS)
def test_every_api_the_plan_calls_is_enabled_and_kept_on_destroy(plan, stack):
    p = gcp_plan(plan, stack)
    enabled = {s.inputs["service"]: s for s in p.of_type(SERVICE)}
    assert all(s.inputs["disableOnDestroy"] is False for s in enabled.values())  # other stacks share the project
    used = {
        API_OF_TYPE.get(r.type) or API_OF_MODULE[r.type.split(":")[1].split("/")[0]]
        for r in p.resources
        if r.type.startswith("gcp:") and r.type not in (SERVICE, IDENTITY)
    }
    assert {f"{api}.googleapis.com" for api in used} <= set(enabled)


@pytest.mark.parametrize("stack", STACKS)
def test_nothing_is_created_before_the_project_is_ready(plan, stack):
    p = gcp_plan(plan, stack)
    provider = _main_provider(p)
    ready = [r.urn for r in p.children(PROJECT) if r.type in (SERVICE, IDENTITY, "gcp:projects/iAMMember:IAMMember")]
    assert set(ready) <= set(provider.dependencies)
    project_urns = {r.urn for r in p.children(PROJECT)}
    for r in p.resources:
        if r.type.startswith("gcp:") and r.urn not in project_urns:
            assert r.provider.startswith(provider.urn), r.name


@pytest.mark.parametrize("stack", STACKS)
def test_just_in_time_agents_exist_and_hold_their_role_before_any_grant(plan, stack):
    p = gcp_plan(plan, stack)
    identities = named(p, PROJECT, IDENTITY)
    assert {name: i.inputs["service"] for name, i in identities.items() if name in JUST_IN_TIME} == JUST_IN_TIME
    apis = {s.inputs["service"]: s.urn for s in p.of_type(SERVICE)}
    for identity in identities.values():
        assert apis[identity.inputs["service"]] in identity.dependencies
    roles = {g.name: g.inputs for g in named(p, PROJECT, "gcp:projects/iAMMember:IAMMember").values()}
    assert roles["cloud-sql-agent"]["role"] == "roles/cloudsql.serviceAgent"
    assert roles["cloud-sql-agent"]["member"].endswith("@gcp-sa-cloud-sql.iam.gserviceaccount.com")
    grants = named(p, "platform:gcp:Keys", KEY_GRANT)
    for agent in ("cloud-sql", "memorystore", "secret-manager", "pubsub", "parameter-manager", "workflows"):
        assert grants[f"data-{agent}"].property_dependencies["member"] == [identities[agent].urn], agent
    publisher = p.named("gcp:pubsub/topicIAMMember:TopicIAMMember", "alerts-critical")
    assert publisher.property_dependencies["member"] == [identities["monitoring-notification"].urn]
    # The storage agent exists once looked up; its member is what the lookup answers.
    assert grants["data-storage"].inputs["member"] == (
        "serviceAccount:service-123456789012@gs-project-accounts.iam.gserviceaccount.com"
    )
