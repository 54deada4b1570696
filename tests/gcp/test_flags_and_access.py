"""Feature flags in Parameter Manager, and the admin/developer/viewer roles bound to groups."""

from __future__ import annotations

import hashlib
import json
import re

import pytest

from components.config import PlatformConfig, profile
from components.gcp.feature_flags import flags_document
from tests.conftest import STACKS
from tests.gcp.support import gcp_plan, named

ACCESS = "platform:gcp:AccessRoles"
VERSION = "gcp:parametermanager/regionalParameterVersion:RegionalParameterVersion"
RANDOM_ID = "random:index/randomId:RandomId"


def _cfg(stack: str) -> PlatformConfig:
    return profile(stack)


@pytest.mark.parametrize("stack", STACKS)
def test_flags_are_a_cmek_json_parameter(plan, stack):
    p = gcp_plan(plan, stack)
    parameter = p.named("gcp:parametermanager/regionalParameter:RegionalParameter", "flags").inputs
    assert parameter["format"] == "JSON" and parameter["location"] == "us-central1"
    assert parameter["kmsKey"].endswith(f"/cryptoKeys/platform-{stack}-data")
    version = p.named(VERSION, "flags")
    assert version.inputs["parameterData"] == "[secret]"  # the provider treats parameter data as sensitive
    version_id = p.named(RANDOM_ID, "flags-version")
    assert version_id.inputs["keepers"] == {
        "document": hashlib.sha256(flags_document(_cfg(stack)).encode()).hexdigest()
    }
    assert version.property_dependencies["parameterVersionId"] == [version_id.urn]
    assert re.fullmatch(r"v-[0-9a-f]{16}", version.inputs["parameterVersionId"])


def test_flags_document_carries_spec_fields_and_rollout():
    document = json.loads(flags_document(_cfg("prod")))
    assert set(document["flags"]) == {"NEW_COMPANY_MANAGEMENT", "ADVANCED_MONITORING", "REAL_TIME_ALERTS"}
    assert document["flags"]["NEW_COMPANY_MANAGEMENT"] == {
        "enabled": False,
        "rolloutPercentage": 0,
        "allowlist": ["company1", "company2"],
    }
    assert document["rollout"] == {"minutes": 30, "growthPercent": 10}


def test_a_flag_change_is_a_new_version_and_the_old_one_is_kept(plan):
    before = gcp_plan(plan, "dev")
    after = gcp_plan(plan, "dev", "featureFlags.flags.REAL_TIME_ALERTS.rolloutPercentage=25")
    old, new = (p.named(VERSION, "flags").inputs["parameterVersionId"] for p in (before, after))
    assert old != new  # versions are immutable: the change replaces the version resource...
    assert after.named(VERSION, "flags").retain_on_delete  # ...and the replaced version stays for rollback


@pytest.mark.parametrize("stack", STACKS)
def test_roles_are_custom_roles_by_capability(plan, stack):
    roles = named(gcp_plan(plan, stack), ACCESS, "gcp:projects/iAMCustomRole:IAMCustomRole")
    assert set(roles) == {"admin", "developer", "developer-resources", "viewer"}
    held = {name: set(r.inputs["permissions"]) for name, r in roles.items()}
    permissions = {**held, "developer": held["developer"] | held.pop("developer-resources")}
    assert permissions["viewer"] < permissions["developer"] < permissions["admin"]
    assert "compute.urlMaps.update" in permissions["developer"] - permissions["viewer"]  # deploy / roll back
    assert "resourcemanager.projects.setIamPolicy" in permissions["admin"] - permissions["developer"]
    assert "monitoring.timeSeries.list" in permissions["viewer"]
    assert roles["admin"].inputs["roleId"] == f"platform_{stack}_admin"
    assert roles["developer-resources"].inputs["roleId"] == f"platform_{stack}_developer_resources"


def test_groups_from_config_are_bound_to_their_role(plan):
    p = gcp_plan(
        plan, "prod", 'gcp.groupEmails={"admin":["ops@example.com"],"viewer":["a@example.com","b@example.com"]}'
    )
    bindings = named(p, ACCESS, "gcp:projects/iAMMember:IAMMember")
    assert {name: b.inputs["member"] for name, b in bindings.items()} == {
        "admin-0": "group:ops@example.com",
        "viewer-0": "group:a@example.com",
        "viewer-1": "group:b@example.com",
    }  # viewers hold no Compute Engine permission, so no resource-scoped role
    assert bindings["viewer-1"].inputs["role"] == "projects/platform-example/roles/platform_prod_viewer"
    assert not named(gcp_plan(plan, "prod"), ACCESS, "gcp:projects/iAMMember:IAMMember")


def test_deployers_may_act_as_the_app_account_only(plan):
    """Project-wide actAs would let a developer start a VM as any account in the project."""
    p = gcp_plan(plan, "prod", 'gcp.groupEmails={"developer":["dev@example.com"],"viewer":["v@example.com"]}')
    roles = named(p, ACCESS, "gcp:projects/iAMCustomRole:IAMCustomRole")
    assert not any("iam.serviceAccounts.actAs" in r.inputs["permissions"] for r in roles.values())
    act_as = named(p, ACCESS, "gcp:serviceaccount/iAMMember:IAMMember")
    assert set(act_as) == {"developer-0-act-as-app"}  # viewers deploy nothing
    grant = act_as["developer-0-act-as-app"]
    app = p.named("gcp:serviceaccount/account:Account", "app")
    assert (grant.inputs["role"], grant.inputs["member"]) == ("roles/iam.serviceAccountUser", "group:dev@example.com")
    assert grant.property_dependencies["serviceAccountId"] == [app.urn]
    assert grant.inputs["serviceAccountId"] == (
        "projects/platform-example/serviceAccounts/platform-prod-app@platform-example.iam.gserviceaccount.com"
    )
