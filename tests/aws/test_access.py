"""Access roles: MFA-only trust, 1-hour sessions, least privilege building viewer -> developer -> admin."""

from __future__ import annotations

import fnmatch
import json

import pytest

from components.aws.access import stack_log_groups
from components.config import profile

ROLE = "aws:iam/role:Role"
POLICY = "aws:iam/rolePolicy:RolePolicy"
MANAGED_POLICY = "aws:iam/policy:Policy"
BOUNDARY_ARN = "arn:aws:iam::123456789012:policy/platform/prod/platform-prod-boundary"
ROLES = ("viewer", "developer", "admin")
READ_VERBS = ("Describe", "Get", "List", "FilterLogEvents", "StartQuery", "StopQuery")


def _statements(plan, role):
    return json.loads(plan.named(POLICY, role).inputs["policy"])["Statement"]


def _allowed(plan, role):
    return {
        action
        for s in _statements(plan, role)
        if s["Effect"] == "Allow"
        for action in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
    }


@pytest.mark.parametrize("role", ROLES)
def test_trust_requires_mfa_from_this_account_by_default(plan, role):
    r = plan("prod").named(ROLE, role)
    (statement,) = json.loads(r.inputs["assumeRolePolicy"])["Statement"]
    assert statement["Principal"] == {"AWS": ["arn:aws:iam::123456789012:root"]}
    assert statement["Condition"] == {"Bool": {"aws:MultiFactorAuthPresent": "true"}}
    assert r.inputs["maxSessionDuration"] == 3600
    assert r.inputs["path"] == "/platform/prod/"
    assert r.inputs["tags"]["environment"] == "prod"


def test_trusted_accounts_and_session_length_from_config(plan):
    p = plan("dev", 'aws.trustedAccountIds=["111122223333","444455556666"]', "security.roleSessionHours=2")
    r = p.named(ROLE, "developer")
    (statement,) = json.loads(r.inputs["assumeRolePolicy"])["Statement"]
    assert statement["Principal"]["AWS"] == ["arn:aws:iam::111122223333:root", "arn:aws:iam::444455556666:root"]
    assert "aws:MultiFactorAuthPresent" in statement["Condition"]["Bool"]
    assert r.inputs["maxSessionDuration"] == 7200


def test_viewer_only_reads(plan):
    actions = _allowed(plan("staging"), "viewer")
    assert {"cloudwatch:GetMetricData", "logs:FilterLogEvents", "elasticloadbalancing:Describe*"} <= actions
    for action in actions:
        assert action.split(":", 1)[1].startswith(READ_VERBS), action


def test_reads_are_scoped_to_this_stack_where_aws_authorizes_by_resource(plan):
    statements = {s["Sid"]: s for s in _statements(plan("prod"), "viewer")}
    account = "123456789012"
    # Only the reads AWS authorizes against "*" alone go unscoped: no log, alarm, database or queue read among them.
    unscoped = statements["MonitorUnscopedReads"]
    assert unscoped["Resource"] == "*"
    assert not [
        a
        for a in unscoped["Action"]
        if a.startswith(("logs:Get", "logs:Filter", "logs:StartQuery", "rds:DescribeDB", "sqs:Get"))
    ]
    assert "cloudwatch:DescribeAlarms" not in unscoped["Action"]
    alarms = statements["ReadStackAlarmsAndDashboard"]
    assert alarms["Resource"] == [
        f"arn:aws:cloudwatch:*:{account}:alarm:platform-prod-*",
        f"arn:aws:cloudwatch::{account}:dashboard/platform-prod",
    ]
    logs = statements["ReadStackLogs"]
    assert f"arn:aws:logs:*:{account}:log-group:/platform/prod/*" in logs["Resource"]
    assert f"arn:aws:logs:*:{account}:log-group:/platform/prod/*:log-stream:*" in logs["Resource"]  # GetLogEvents
    stores = statements["ReadStackDataStoresAndEdge"]["Resource"]
    assert f"arn:aws:rds:*:{account}:db:platform-prod-*" in stores
    assert f"arn:aws:wafv2:us-east-1:{account}:regional/webacl/platform-prod-*/*" in stores
    tagged = statements["ReadTaggedCacheAndFlags"]
    assert tagged["Condition"] == {"StringEquals": {"aws:ResourceTag/environment": "prod"}}


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_log_group_of_the_stack_is_readable_by_its_roles(plan, stack):
    """A log group named outside the patterns would be invisible to viewers and developers."""
    p = plan(stack)
    patterns = stack_log_groups(profile(stack))
    names = [g.inputs["name"] for g in p.of_type("aws:cloudwatch/logGroup:LogGroup")]
    assert names and all(any(fnmatch.fnmatchcase(n, pattern) for pattern in patterns) for n in names), names


def test_viewers_can_never_read_the_audit_logs(plan):
    p = plan("prod")
    (deny,) = [s for s in _statements(p, "viewer") if s["Effect"] == "Deny"]
    assert {"logs:GetLogEvents", "logs:FilterLogEvents", "logs:StartQuery", "s3:GetObject*", "s3:ListBucket*"} <= set(
        deny["Action"]
    )
    audit_group = "arn:aws:logs:us-east-1:123456789012:log-group:/platform/prod/audit"
    assert {audit_group, f"{audit_group}:*"} <= set(deny["Resource"])
    buckets = {r for r in deny["Resource"] if r.startswith("arn:aws:s3:::")}
    assert any(b.startswith("arn:aws:s3:::audit-logs-replica-") for b in buckets)  # the DR copy too
    policy = p.named(POLICY, "viewer")
    for name in ("audit-logs", "audit-logs-replica"):
        assert p.named("aws:s3/bucket:Bucket", name).urn in policy.property_dependencies["policy"]
    # Developers (view logs per SPEC.md) keep reading them.
    assert not [s for s in _statements(p, "developer") if s["Effect"] == "Deny"]


def test_each_role_builds_on_the_one_below(plan):
    p = plan("staging")
    viewer, developer, admin = (_allowed(p, role) for role in ROLES)
    assert viewer < developer < admin
    assert {"elasticloadbalancing:ModifyListener", "elasticloadbalancing:ModifyRule"} <= developer
    assert {"autoscaling:StartInstanceRefresh", "appconfig:StartDeployment"} <= developer
    assert not any(action.startswith("iam:") for action in developer)
    assert {"iam:CreateRole", "iam:CreateUser", "iam:PutRolePolicy"} <= admin


def test_only_admin_runs_shell_commands_on_instances(plan):
    p = plan("staging")
    assert "ssm:SendCommand" not in _allowed(p, "developer") | _allowed(p, "viewer")
    assert "ssm:SendCommand" in _allowed(p, "admin")
    statements = {s["Sid"]: s for s in _statements(p, "admin")}
    on_instances = statements["RunCommandsOnTaggedInstances"]
    assert on_instances["Condition"] == {"StringEquals": {"aws:ResourceTag/environment": "staging"}}
    assert statements["RunCommandsWithShellDocument"]["Resource"] == (
        "arn:aws:ssm:us-east-1::document/AWS-RunShellScript"
    )


def test_deploy_actions_only_on_this_environments_resources(plan):
    statements = {s["Sid"]: s for s in _statements(plan("staging"), "developer")}
    assert statements["DeployTaggedResources"]["Condition"] == {
        "StringEquals": {"aws:ResourceTag/environment": "staging"}
    }
    assert statements["DeployTaggedResources"]["Resource"] == "*"


def test_admin_manages_identities_only_under_the_environment_path_and_tag(plan):
    statements = {s["Sid"]: s for s in _statements(plan("prod"), "admin")}
    paths = ["arn:aws:iam::123456789012:role/platform/prod/*", "arn:aws:iam::123456789012:user/platform/prod/*"]
    manage, create = statements["ManageEnvironmentIdentities"], statements["CreateEnvironmentIdentities"]
    tag, grant = statements["TagEnvironmentIdentities"], statements["GrantWithinBoundary"]
    assert manage["Resource"] == create["Resource"] == tag["Resource"] == grant["Resource"] == paths
    assert manage["Condition"] == {"StringEquals": {"aws:ResourceTag/environment": "prod"}}
    assert tag["Condition"] == {"StringEquals": {"aws:RequestTag/environment": "prod"}}
    assert create["Condition"]["StringEquals"]["aws:RequestTag/environment"] == "prod"
    assert grant["Condition"]["StringEquals"]["aws:ResourceTag/environment"] == "prod"
    deny = statements["DenyChangingAccessRoles"]
    assert deny["Effect"] == "Deny"
    assert deny["Resource"] == [f"arn:aws:iam::123456789012:role/platform/prod/platform-prod-{r}" for r in ROLES]
    assert not any(
        a.startswith("iam:")
        for s in statements.values()
        if s["Effect"] == "Allow" and s["Resource"] == "*"
        for a in s["Action"]
    )


def test_admin_creates_and_grants_only_within_the_boundary(plan):
    p = plan("prod")
    boundary = p.named(MANAGED_POLICY, "boundary")
    assert boundary.inputs["path"] == "/platform/prod/"
    admin = p.named(POLICY, "admin")
    assert boundary.urn in admin.property_dependencies["policy"]
    statements = {s["Sid"]: s for s in _statements(p, "admin")}
    bounded = {
        action
        for s in statements.values()
        if s["Effect"] == "Allow"
        and s.get("Condition", {}).get("StringEquals", {}).get("iam:PermissionsBoundary") == BOUNDARY_ARN
        for action in s["Action"]
    }
    assert bounded == {
        "iam:CreateRole",
        "iam:CreateUser",
        "iam:PutRolePolicy",
        "iam:PutUserPolicy",
        "iam:AttachRolePolicy",
        "iam:AttachUserPolicy",
        "iam:PutRolePermissionsBoundary",
        "iam:PutUserPermissionsBoundary",
    }
    # No other allow statement grants any of them without the boundary.
    for s in statements.values():
        if s["Effect"] == "Allow" and "iam:PermissionsBoundary" not in s.get("Condition", {}).get("StringEquals", {}):
            assert not bounded & set([s["Action"]] if isinstance(s["Action"], str) else s["Action"]), s["Sid"]


def test_admin_cannot_remove_or_edit_the_boundary(plan):
    statements = {s["Sid"]: s for s in _statements(plan("prod"), "admin")}
    remove, edit = statements["DenyRemovingBoundary"], statements["DenyEditingBoundary"]
    assert remove["Effect"] == edit["Effect"] == "Deny"
    assert set(remove["Action"]) == {"iam:DeleteRolePermissionsBoundary", "iam:DeleteUserPermissionsBoundary"}
    assert remove["Resource"] == "*"
    assert set(edit["Action"]) == {
        "iam:CreatePolicyVersion",
        "iam:DeletePolicy",
        "iam:DeletePolicyVersion",
        "iam:SetDefaultPolicyVersion",
    }
    assert edit["Resource"] == BOUNDARY_ARN


def test_boundary_caps_created_identities_at_developer_level(plan):
    p = plan("prod")
    ceiling = json.loads(p.named(MANAGED_POLICY, "boundary").inputs["policy"])["Statement"]
    assert ceiling == _statements(p, "developer")


def test_role_arns_are_exported(plan):
    exported = plan("prod").outputs["aws_access_role_ids"].value
    assert exported == {role: f"arn:aws:iam::123456789012:role/platform/prod/platform-prod-{role}" for role in ROLES}
