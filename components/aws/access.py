"""The people-facing IAM roles of SPEC.md: viewer, developer and admin.

Each role builds on the one below: viewer monitors (CloudWatch, logs, describe calls);
developer also deploys (instance refreshes, blue-green listener weights, feature-flag
deployments), and a rollback is the same actions run backwards; admin also runs SSM shell
commands on the instances (root there, so it reads every secret the instance role can) and
manages IAM roles and users, but only under ``/platform/<env>/`` and tagged with this
environment, and never the access roles themselves.

Admin cannot escalate: every role or user it creates, and every policy it puts on one, must
carry the ``boundary`` managed policy as permissions boundary, which caps them at developer
level; admin may neither remove that boundary nor edit the boundary policy. Only the access
roles and admin-created (so bounded) identities live under the path, so editing trust
policies there gains nothing either. Humans assume the roles from the trusted accounts (this
one by default) with MFA, for at most ``security.roleSessionHours``.
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_aws as aws

from ..config import PlatformConfig
from .iam import policy_document

ROLES = ("viewer", "developer", "admin")
VIEW_ACTIONS = [
    "cloudwatch:Describe*",
    "cloudwatch:Get*",
    "cloudwatch:List*",
    "logs:Describe*",
    "logs:Get*",
    "logs:List*",
    "logs:FilterLogEvents",
    "logs:StartQuery",
    "logs:StopQuery",
    "autoscaling:Describe*",
    "ec2:Describe*",
    "elasticloadbalancing:Describe*",
    "rds:Describe*",
    "elasticache:Describe*",
    "sqs:GetQueueAttributes",
    "sqs:ListQueues",
    "appconfig:Get*",
    "appconfig:List*",
    "backup:Describe*",
    "backup:List*",
    "ssm:GetCommandInvocation",
    "ssm:ListCommands",
    "ssm:ListCommandInvocations",
]
DEPLOY_ACTIONS = [
    "autoscaling:StartInstanceRefresh",
    "autoscaling:CancelInstanceRefresh",
    "autoscaling:RollbackInstanceRefresh",
    "autoscaling:UpdateAutoScalingGroup",
    "autoscaling:SetDesiredCapacity",
    "elasticloadbalancing:ModifyListener",
    "elasticloadbalancing:ModifyRule",
    "appconfig:StartDeployment",
    "appconfig:StopDeployment",
]
SECONDS_PER_HOUR = 3600
# Runs commands on the instances only through this AWS-owned document.
SSM_DOCUMENT = "AWS-RunShellScript"
IDENTITY_ACTIONS = [
    "iam:GetRole",
    "iam:GetRolePolicy",
    "iam:ListRolePolicies",
    "iam:ListAttachedRolePolicies",
    "iam:UpdateRole",
    "iam:UpdateAssumeRolePolicy",
    "iam:DeleteRolePolicy",
    "iam:DetachRolePolicy",
    "iam:UntagRole",
    "iam:DeleteRole",
    "iam:GetUser",
    "iam:ListUserPolicies",
    "iam:ListAttachedUserPolicies",
    "iam:UpdateUser",
    "iam:DeleteUserPolicy",
    "iam:DetachUserPolicy",
    "iam:CreateLoginProfile",
    "iam:UpdateLoginProfile",
    "iam:DeleteLoginProfile",
    "iam:UntagUser",
    "iam:DeleteUser",
]
CREATE_IDENTITY_ACTIONS = ["iam:CreateRole", "iam:CreateUser"]
TAG_IDENTITY_ACTIONS = ["iam:TagRole", "iam:TagUser"]
# Actions that set what an identity may do: allowed only with the boundary policy as its boundary.
GRANT_ACTIONS = [
    "iam:PutRolePolicy",
    "iam:PutUserPolicy",
    "iam:AttachRolePolicy",
    "iam:AttachUserPolicy",
    "iam:PutRolePermissionsBoundary",
    "iam:PutUserPermissionsBoundary",
]
REMOVE_BOUNDARY_ACTIONS = ["iam:DeleteRolePermissionsBoundary", "iam:DeleteUserPermissionsBoundary"]
EDIT_POLICY_ACTIONS = [
    "iam:CreatePolicyVersion",
    "iam:DeletePolicy",
    "iam:DeletePolicyVersion",
    "iam:SetDefaultPolicyVersion",
]
MONITOR_STATEMENT = {"Sid": "Monitor", "Effect": "Allow", "Action": VIEW_ACTIONS, "Resource": "*"}


class AccessRoles(pulumi.ComponentResource):
    roles: dict[str, aws.iam.Role]
    boundary: aws.iam.Policy

    def __init__(self, name: str, cfg: PlatformConfig, opts: pulumi.ResourceOptions | None = None):
        super().__init__("platform:aws:AccessRoles", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        account_id = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=self)).account_id
        path = f"/platform/{cfg.environment}/"
        names = {role: cfg.name(role) for role in ROLES}
        trusted: list[pulumi.Input[str]] = [*cfg.aws.trusted_account_ids] or [account_id]
        trust = _trust_policy(trusted)
        view = [MONITOR_STATEMENT]
        deploy = [*view, _deploy_statement(cfg)]
        self.boundary = aws.iam.Policy(
            "boundary",
            name=cfg.name("boundary"),
            path=path,
            description=f"{cfg.name()} ceiling of every identity the admin role creates: developer level",
            policy=policy_document(*deploy),
            tags=cfg.tags_for("access"),
            opts=child,
        )
        manage = [
            *deploy,
            *_run_command_statements(cfg, account_id),
            *_identity_statements(cfg, account_id, path, list(names.values()), self.boundary.arn),
        ]
        statements = {"viewer": view, "developer": deploy, "admin": manage}

        self.roles = {}
        for role in ROLES:
            self.roles[role] = aws.iam.Role(
                role,
                name=names[role],
                path=path,
                description=f"{cfg.name()} {role}",
                assume_role_policy=trust,
                max_session_duration=cfg.security.role_session_hours * SECONDS_PER_HOUR,
                tags=cfg.tags_for("access"),
                opts=child,
            )
            aws.iam.RolePolicy(
                role,
                role=self.roles[role].id,
                policy=policy_document(*statements[role]),
                opts=child,
            )
        self.register_outputs({})


def _trust_policy(account_ids: list[pulumi.Input[str]]) -> pulumi.Output[str]:
    """Principals of the trusted accounts may assume the role, only when signed in with MFA."""
    return policy_document(
        {
            "Effect": "Allow",
            "Principal": {"AWS": [pulumi.Output.concat("arn:aws:iam::", account, ":root") for account in account_ids]},
            "Action": "sts:AssumeRole",
            "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}},
        }
    )


def _tagged(cfg: PlatformConfig) -> dict[str, str]:
    """Condition key and value: the resource acted on is tagged with this environment."""
    return {"aws:ResourceTag/environment": cfg.environment}


def _deploy_statement(cfg: PlatformConfig) -> dict[str, Any]:
    """Deploy and roll back, only on resources tagged with this environment."""
    return {
        "Sid": "DeployTaggedResources",
        "Effect": "Allow",
        "Action": DEPLOY_ACTIONS,
        "Resource": "*",
        "Condition": {"StringEquals": _tagged(cfg)},
    }


def _run_command_statements(cfg: PlatformConfig, account_id: pulumi.Output[str]) -> list[dict[str, Any]]:
    """Shell commands on this environment's instances: root there, so admin only."""
    return [
        {
            "Sid": "RunCommandsOnTaggedInstances",
            "Effect": "Allow",
            "Action": "ssm:SendCommand",
            "Resource": pulumi.Output.concat("arn:aws:ec2:", cfg.aws.region, ":", account_id, ":instance/*"),
            "Condition": {"StringEquals": _tagged(cfg)},
        },
        {
            "Sid": "RunCommandsWithShellDocument",
            "Effect": "Allow",
            "Action": "ssm:SendCommand",
            "Resource": f"arn:aws:ssm:{cfg.aws.region}::document/{SSM_DOCUMENT}",
        },
    ]


def _identity_statements(
    cfg: PlatformConfig,
    account_id: pulumi.Output[str],
    path: str,
    access_roles: list[str],
    boundary_arn: pulumi.Output[str],
) -> list[dict[str, Any]]:
    """Manage roles and users under this environment's path and tag, always within the boundary.

    Not the access roles, and never by removing the boundary or editing the boundary policy.
    """
    iam = pulumi.Output.concat("arn:aws:iam::", account_id, ":")
    under_path = [pulumi.Output.concat(iam, kind, path, "*") for kind in ("role", "user")]
    bounded = {"iam:PermissionsBoundary": boundary_arn}
    requested_tag = {"aws:RequestTag/environment": cfg.environment}
    return [
        {
            "Sid": "ManageEnvironmentIdentities",
            "Effect": "Allow",
            "Action": IDENTITY_ACTIONS,
            "Resource": under_path,
            "Condition": {"StringEquals": _tagged(cfg)},
        },
        {
            "Sid": "GrantWithinBoundary",
            "Effect": "Allow",
            "Action": GRANT_ACTIONS,
            "Resource": under_path,
            "Condition": {"StringEquals": {**_tagged(cfg), **bounded}},
        },
        {
            "Sid": "CreateEnvironmentIdentities",
            "Effect": "Allow",
            "Action": CREATE_IDENTITY_ACTIONS,
            "Resource": under_path,
            "Condition": {"StringEquals": {**requested_tag, **bounded}},
        },
        {
            "Sid": "TagEnvironmentIdentities",
            "Effect": "Allow",
            "Action": TAG_IDENTITY_ACTIONS,
            "Resource": under_path,
            "Condition": {"StringEquals": requested_tag},
        },
        {
            "Sid": "DenyRemovingBoundary",
            "Effect": "Deny",
            "Action": REMOVE_BOUNDARY_ACTIONS,
            "Resource": "*",
        },
        {
            "Sid": "DenyEditingBoundary",
            "Effect": "Deny",
            "Action": EDIT_POLICY_ACTIONS,
            "Resource": boundary_arn,
        },
        {
            "Sid": "DenyChangingAccessRoles",
            "Effect": "Deny",
            "NotAction": ["iam:GetRole", "iam:GetRolePolicy", "iam:ListRolePolicies", "iam:ListAttachedRolePolicies"],
            "Resource": [pulumi.Output.concat(iam, "role", path, role) for role in access_roles],
        },
    ]
