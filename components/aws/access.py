"""The people-facing IAM roles of SPEC.md: viewer, developer and admin.

Each role builds on the one below: viewer monitors this stack (its alarms and dashboard, its log
groups, its database, cache, queue, flags, backups and web ACL, by ARN or by the environment tag;
only reads AWS authorizes against "*" alone are unscoped, ``UNSCOPED_VIEW_ACTIONS``) and may never
read the audit logs (CloudTrail's bucket, its DR replica and its log group: explicitly denied);
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
# Reads that AWS authorizes only against "*" (the Service Authorization Reference lists no resource type for
# them): metric queries, inventories of instances, groups and load balancers, log group and query listings.
UNSCOPED_VIEW_ACTIONS = [
    "cloudwatch:GetMetricData",
    "cloudwatch:GetMetricStatistics",
    "cloudwatch:GetMetricWidgetImage",
    "cloudwatch:ListMetrics",
    "cloudwatch:ListDashboards",
    "cloudwatch:DescribeAlarmsForMetric",
    "autoscaling:Describe*",
    "ec2:Describe*",
    "elasticloadbalancing:Describe*",
    "logs:DescribeLogGroups",
    "logs:DescribeQueries",
    "logs:StopQuery",
    "rds:DescribeEvents",
    "sqs:ListQueues",
    "backup:ListBackupJobs",
    "backup:DescribeBackupJob",
    "backup:ListBackupPlans",
    "ssm:GetCommandInvocation",
    "ssm:ListCommands",
    "ssm:ListCommandInvocations",
]
LOG_READ_ACTIONS = [
    "logs:GetLogEvents",
    "logs:FilterLogEvents",
    "logs:StartQuery",
    "logs:GetQueryResults",
    "logs:GetLogGroupFields",
    "logs:GetLogRecord",
    "logs:DescribeLogStreams",
    "logs:DescribeMetricFilters",
    "logs:ListTagsForResource",
]
AUDIT_OBJECT_READS = ["s3:GetObject*", "s3:ListBucket*"]
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


class AccessRoles(pulumi.ComponentResource):
    roles: dict[str, aws.iam.Role]
    boundary: aws.iam.Policy

    def __init__(
        self,
        name: str,
        cfg: PlatformConfig,
        audit_log_group: aws.cloudwatch.LogGroup,
        audit_buckets: list[aws.s3.Bucket],
        opts: pulumi.ResourceOptions | None = None,
    ):
        """``audit_log_group`` and ``audit_buckets`` (with any DR replica): what viewers may not read."""
        super().__init__("platform:aws:AccessRoles", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        account_id = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=self)).account_id
        path = f"/platform/{cfg.environment}/"
        names = {role: cfg.name(role) for role in ROLES}
        trusted: list[pulumi.Input[str]] = [*cfg.aws.trusted_account_ids] or [account_id]
        trust = _trust_policy(trusted)
        view = _view_statements(cfg, account_id)
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
        not_audit = _deny_audit_statement(audit_log_group, audit_buckets)
        statements = {"viewer": [*view, not_audit], "developer": deploy, "admin": manage}

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


def stack_log_groups(cfg: PlatformConfig) -> list[str]:
    """Name patterns of every log group this stack writes (app tiers, flow logs, audit, RDS, ElastiCache, WAF, the
    rotation functions)."""
    return [
        f"/platform/{cfg.environment}/*",
        f"/aws/rds/instance/{cfg.name()}-*",
        f"/aws/elasticache/{cfg.name()}-*",
        f"/aws/lambda/{cfg.name()}-*",
        f"aws-waf-logs-{cfg.name()}",
    ]


def _view_statements(cfg: PlatformConfig, account_id: pulumi.Output[str]) -> list[dict[str, Any]]:
    """Monitor this stack: its resources by ARN (any region: prod's DR copies too) or by the environment tag."""

    def arn(service: str, resource: str, region: str = "*") -> pulumi.Output[str]:
        return pulumi.Output.concat("arn:aws:", service, ":", region, ":", account_id, ":", resource)

    groups = [arn("logs", f"log-group:{pattern}") for pattern in stack_log_groups(cfg)]
    return [
        {"Sid": "MonitorUnscopedReads", "Effect": "Allow", "Action": UNSCOPED_VIEW_ACTIONS, "Resource": "*"},
        {
            "Sid": "ReadStackAlarmsAndDashboard",
            "Effect": "Allow",
            "Action": ["cloudwatch:DescribeAlarms", "cloudwatch:DescribeAlarmHistory", "cloudwatch:GetDashboard"],
            "Resource": [
                arn("cloudwatch", f"alarm:{cfg.name()}-*"),
                pulumi.Output.concat("arn:aws:cloudwatch::", account_id, ":dashboard/", cfg.name()),
            ],
        },
        {
            "Sid": "ReadStackLogs",
            "Effect": "Allow",
            "Action": LOG_READ_ACTIONS,
            "Resource": [*groups, *(pulumi.Output.concat(g, ":log-stream:*") for g in groups)],
        },
        {
            "Sid": "ReadStackDataStoresAndEdge",
            "Effect": "Allow",
            "Action": [
                "rds:DescribeDBInstances",
                "rds:DescribeDBLogFiles",
                "sqs:GetQueueAttributes",
                "backup:DescribeBackupVault",
                "backup:ListRecoveryPointsByBackupVault",
                "wafv2:GetWebACL",
                "wafv2:GetSampledRequests",
            ],
            "Resource": [
                arn("rds", f"db:{cfg.name()}-*"),
                arn("sqs", f"{cfg.name()}-*"),
                arn("backup", f"backup-vault:{cfg.name()}-*"),
                arn("wafv2", f"regional/webacl/{cfg.name()}-*/*", cfg.aws.region),
            ],
        },
        {
            # Their resources carry the environment tag, and these reads honour aws:ResourceTag.
            "Sid": "ReadTaggedCacheAndFlags",
            "Effect": "Allow",
            "Action": ["elasticache:Describe*", "appconfig:Get*", "appconfig:List*"],
            "Resource": "*",
            "Condition": {"StringEquals": _tagged(cfg)},
        },
    ]


def _deny_audit_statement(log_group: aws.cloudwatch.LogGroup, buckets: list[aws.s3.Bucket]) -> dict[str, Any]:
    """Viewers never read the audit trail, whatever else grants it."""
    return {
        "Sid": "DenyAuditLogs",
        "Effect": "Deny",
        "Action": [*LOG_READ_ACTIONS, *AUDIT_OBJECT_READS],
        "Resource": [
            log_group.arn,
            pulumi.Output.concat(log_group.arn, ":*"),
            *(b.arn for b in buckets),
            *(pulumi.Output.concat(b.arn, "/*") for b in buckets),
        ],
    }


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
