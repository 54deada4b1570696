"""The admin/developer/viewer roles: custom roles on the resource group, assigned to the configured groups."""

from __future__ import annotations

import pytest

from components.config import ConfigError
from infractl.mocks import AZURE_SUBSCRIPTION
from tests.azure.support import azure_plan, named
from tests.conftest import STACKS

ACCESS = "platform:azure:AccessRoles"
DEFINITION = "azure-native:authorization:RoleDefinition"
ASSIGNMENT = "azure-native:authorization:RoleAssignment"
ADMINS = "0b1f6471-1bf0-4dda-aec3-111122223333"
VIEWERS = "7c2a9e10-4b8d-4f6e-9a1b-222233334444"
GROUPS = f'azure.groupObjectIds={{"admin": "{ADMINS}", "viewer": "{VIEWERS}"}}'
DEVELOPERS = "5d3e8c21-6a7b-4c9d-8e0f-333344445555"
ALL_GROUPS = f'azure.groupObjectIds={{"admin": "{ADMINS}", "developer": "{DEVELOPERS}", "viewer": "{VIEWERS}"}}'


def _permissions(p) -> dict[str, dict[str, set[str]]]:
    roles = named(p, ACCESS, DEFINITION)
    assert set(roles) == {"access-admin", "access-developer", "access-viewer", "access-logs"}
    result = {}
    for name, role in roles.items():
        (block,) = role.inputs["permissions"]
        result[name.removeprefix("access-")] = {
            k: set(block.get(k, [])) for k in ("actions", "dataActions", "notActions")
        }
    return result


@pytest.mark.parametrize("stack", STACKS)
def test_roles_are_custom_roles_assignable_only_at_the_resource_group(plan, stack):
    p = azure_plan(plan, stack)
    group = f"/subscriptions/{AZURE_SUBSCRIPTION}/resourceGroups/platform-{stack}"
    for name, role in named(p, ACCESS, DEFINITION).items():
        assert role.inputs["scope"] == group
        assert role.inputs["assignableScopes"] == [group]
        assert role.inputs["roleName"] == f"platform-{stack}-{name.removeprefix('access-')}"
    outputs = p.outputs["azure_access_role_ids"].value
    assert set(outputs) == {"admin", "developer", "viewer"}
    assert all(v.startswith(f"{group}/providers/Microsoft.Authorization/roleDefinitions/") for v in outputs.values())


def test_each_role_builds_on_the_one_below_with_least_privilege(plan):
    roles = _permissions(azure_plan(plan, "prod"))
    viewer, developer, admin, logs = (roles[r] for r in ("viewer", "developer", "admin", "logs"))
    assert viewer["actions"] < developer["actions"] < admin["actions"]
    assert "Microsoft.Insights/*/read" in viewer["actions"]
    assert all(not a.endswith("/action") for a in viewer["actions"])  # reads only
    # Log queries are a role of their own (granted per workspace), never with the ingestion keys.
    assert not any(
        a.startswith("Microsoft.OperationalInsights") for r in (viewer, developer, admin) for a in r["actions"]
    )
    assert {a for a in logs["actions"] if not a.endswith("/read")} == {
        "Microsoft.OperationalInsights/workspaces/analytics/query/action",
        "Microsoft.OperationalInsights/workspaces/search/action",
    }
    assert logs["notActions"] == {"Microsoft.OperationalInsights/workspaces/sharedKeys/read"}
    assert viewer["dataActions"] == {"Microsoft.AppConfiguration/configurationStores/keyValues/read"}
    # deploy and roll back: scale set models, Front Door's origin weights, flags
    deploy = developer["actions"] - viewer["actions"]
    assert {
        "Microsoft.Compute/virtualMachineScaleSets/write",
        "Microsoft.Compute/virtualMachineScaleSets/manualUpgrade/action",
        "Microsoft.Cdn/profiles/originGroups/origins/write",
        "Microsoft.Network/loadBalancers/backendAddressPools/join/action",
    } <= deploy
    assert "Microsoft.AppConfiguration/configurationStores/keyValues/write" in developer["dataActions"]
    # manage users and roles: role assignments only, never role definitions or wildcards
    assert admin["actions"] - developer["actions"] == {
        "Microsoft.Authorization/roleAssignments/read",
        "Microsoft.Authorization/roleAssignments/write",
        "Microsoft.Authorization/roleAssignments/delete",
        "Microsoft.Authorization/roleDefinitions/read",
    }
    for role in roles.values():
        assert "*" not in role["actions"] and not any(a.endswith("/*") for a in role["actions"])
        assert not role["notActions"] - logs["notActions"]
        assert not any(a.startswith("Microsoft.KeyVault") for a in role["actions"])  # no vault, key or secret


def test_only_admins_read_the_audit_workspace(plan):
    p = azure_plan(plan, "prod", ALL_GROUPS)
    assignments = named(p, ACCESS, ASSIGNMENT)
    logs = p.named(DEFINITION, "access-logs")
    workspaces = {
        kind: p.named("azure-native:operationalinsights:Workspace", f"monitoring-{kind}") for kind in ("app", "audit")
    }
    expected = {("admin", "app"), ("admin", "audit"), ("developer", "app"), ("viewer", "app")}
    reads = {(name.split("-")[1], name.split("-")[2]) for name in assignments if name.endswith("-logs")}
    assert reads == expected
    for role, kind in expected:
        grant = assignments[f"access-{role}-{kind}-logs"]
        assert grant.property_dependencies["scope"] == [workspaces[kind].urn]
        assert grant.property_dependencies["roleDefinitionId"] == [logs.urn]
        assert grant.inputs["principalId"] == {"admin": ADMINS, "developer": DEVELOPERS, "viewer": VIEWERS}[role]
    # Reading a resource of the group opens its logs in the app workspace, never in the audit one.
    assert workspaces["app"].inputs["features"]["enableLogAccessUsingOnlyResourcePermissions"] is True
    assert workspaces["audit"].inputs["features"]["enableLogAccessUsingOnlyResourcePermissions"] is False


def test_configured_groups_get_their_roles_at_the_resource_group(plan):
    p = azure_plan(plan, "prod", GROUPS)
    assignments = {k: v for k, v in named(p, ACCESS, ASSIGNMENT).items() if not k.endswith("-logs")}
    assert set(assignments) == {"access-admin", "access-viewer"}
    role_ids = p.outputs["azure_access_role_ids"].value
    group = f"/subscriptions/{AZURE_SUBSCRIPTION}/resourceGroups/platform-prod"
    for role, principal in (("admin", ADMINS), ("viewer", VIEWERS)):
        inputs = assignments[f"access-{role}"].inputs
        assert inputs["principalId"] == principal
        assert inputs["principalType"] == "Group"
        assert inputs["scope"] == group
        assert inputs["roleDefinitionId"] == role_ids[role]
    assert "condition" not in assignments["access-viewer"].inputs


def test_admins_may_assign_only_the_platform_roles_to_users_or_groups(plan):
    p = azure_plan(plan, "staging", GROUPS)
    admin = named(p, ACCESS, ASSIGNMENT)["access-admin"].inputs
    assert admin["conditionVersion"] == "2.0"
    condition = admin["condition"]
    guids = sorted(role_id.rsplit("/", 1)[1] for role_id in p.outputs["azure_access_role_ids"].value.values())
    roles = ", ".join(guids)
    for action, source in (("write", "Request"), ("delete", "Resource")):
        attribute = f"@{source}[Microsoft.Authorization/roleAssignments"
        assert f"(!(ActionMatches{{'Microsoft.Authorization/roleAssignments/{action}'}})) OR" in condition
        assert f"{attribute}:RoleDefinitionId] ForAnyOfAnyValues:GuidEquals {{{roles}}}" in condition
        assert f"{attribute}:PrincipalType] ForAnyOfAnyValues:StringEqualsIgnoreCase {{'User', 'Group'}}" in condition


def test_no_groups_no_assignments_but_the_roles_exist(plan):
    p = azure_plan(plan, "dev")
    assert not named(p, ACCESS, ASSIGNMENT)
    assert len(named(p, ACCESS, DEFINITION)) == 4  # the three roles and the per-workspace log reader


@pytest.mark.parametrize(
    ("groups", "expected"),
    [
        (
            '{"admin": "not-a-guid"}',
            'platform:azure.groupObjectIds.admin = "not-a-guid": String should match pattern '
            "'^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'",
        ),
        (
            f'{{"owner": "{ADMINS}"}}',
            "platform:azure.groupObjectIds.owner = \"owner\": Input should be 'admin', 'developer' or 'viewer'",
        ),
    ],
)
def test_bad_group_config_is_one_clear_error(plan, groups, expected):
    with pytest.raises(ConfigError) as error:
        azure_plan(plan, "dev", f"azure.groupObjectIds={groups}")
    assert expected in str(error.value)
