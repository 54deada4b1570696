"""Customer-managed KMS keys, one per purpose, with rotation on.

Separate keys keep grants narrow: storage services use ``data``, CloudWatch Logs and
CloudTrail use ``logs``, and SNS alert topics use ``alerts`` (which the services that
publish alarms and events must be able to use). DR-region copies exist when DR is on.
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_aws as aws

from ..config import PlatformConfig
from .audit import home_trail_arn

# AWS KMS rotates at most every 90 days; SPEC.md asks for 30, so we use the shortest allowed.
KMS_MIN_ROTATION_DAYS = 90


class Keys(pulumi.ComponentResource):
    data: aws.kms.Key
    logs: aws.kms.Key
    alerts: aws.kms.Key
    dr_data: aws.kms.Key | None
    dr_logs: aws.kms.Key | None

    def __init__(
        self,
        name: str,
        cfg: PlatformConfig,
        dr_provider: aws.Provider | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__("platform:aws:Keys", name, None, opts)
        self._cfg = cfg
        account_id = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=self)).account_id
        region, dr_region = cfg.aws.region, cfg.aws.dr_region
        self._trail_arn = home_trail_arn(cfg, self)
        # Storage services (RDS, ElastiCache, S3, SQS, Backup) use a key on behalf of IAM principals,
        # which the account statement covers; only services acting as themselves are named.
        self.data = self._key("data", account_id, region, ["autoscaling"])
        self.logs = self._key("logs", account_id, region, ["logs", "cloudtrail"])
        self.alerts = self._key("alerts", account_id, region, ["cloudwatch", "events", "events.rds", "backup"])
        self.dr_data = self.dr_logs = None
        if dr_provider is not None:
            self.dr_data = self._key("dr-data", account_id, dr_region, [], dr_provider)
            self.dr_logs = self._key("dr-logs", account_id, dr_region, ["logs"], dr_provider)
        self.register_outputs({})

    def _key(
        self,
        purpose: str,
        account_id: pulumi.Output[str],
        region: str,
        services: list[str],
        provider: aws.Provider | None = None,
    ) -> aws.kms.Key:
        cfg = self._cfg
        key = aws.kms.Key(
            purpose,
            description=f"{cfg.name()} {purpose} encryption key",
            key_usage="ENCRYPT_DECRYPT",
            customer_master_key_spec="SYMMETRIC_DEFAULT",  # AES-256-GCM
            enable_key_rotation=True,
            rotation_period_in_days=max(cfg.security.key_rotation_days, KMS_MIN_ROTATION_DAYS),
            deletion_window_in_days=30 if cfg.environment == "prod" else 7,
            policy=pulumi.Output.json_dumps(_key_policy(account_id, region, services, self._trail_arn)),
            tags=cfg.tags_for(f"kms-{purpose}"),
            opts=pulumi.ResourceOptions(parent=self, provider=provider, protect=cfg.environment == "prod"),
        )
        aws.kms.Alias(
            f"{purpose}-alias",
            name=f"alias/{cfg.name(purpose)}",
            target_key_id=key.key_id,
            opts=pulumi.ResourceOptions(parent=self, provider=provider),
        )
        return key


USE = ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"]
# Services that publish to KMS-encrypted SNS topics. EventBridge, RDS events and Backup do not
# send aws:SourceAccount to KMS, so a condition on it would silently drop their notifications.
TOPIC_PUBLISHERS = ("events", "events.rds", "backup")
AUTOSCALING_ROLE = "role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling"


def _key_policy(
    account_id: pulumi.Output[str], region: str, services: list[str], trail_arn: pulumi.Output[str]
) -> dict:
    """The account administers the key; each named service may use it, scoped as that service documents."""
    root = pulumi.Output.concat("arn:aws:iam::", account_id, ":root")
    statements: list[dict] = [
        {
            "Sid": "AccountAdministers",
            "Effect": "Allow",
            "Principal": {"AWS": root},
            "Action": "kms:*",
            "Resource": "*",
        },
    ]
    for service in services:
        statements += _service_statements(service, account_id, region, trail_arn)
    return {"Version": "2012-10-17", "Statement": statements}


def _service_statements(
    service: str, account_id: pulumi.Output[str], region: str, trail_arn: pulumi.Output[str]
) -> list[dict]:
    def allow(sid: str, principal: Any, actions: list[str], condition: dict | None = None) -> dict:
        statement = {"Sid": sid, "Effect": "Allow", "Principal": principal, "Action": actions, "Resource": "*"}
        return {**statement, "Condition": condition} if condition else statement

    if service == "logs":  # CloudWatch Logs names the log group in the encryption context
        log_groups = pulumi.Output.concat("arn:aws:logs:", region, ":", account_id, ":log-group:*")
        return [
            allow(
                "CloudWatchLogsInThisAccount",
                {"Service": f"logs.{region}.amazonaws.com"},
                USE,
                {"ArnLike": {"kms:EncryptionContext:aws:logs:arn": log_groups}},
            )
        ]
    if service == "cloudtrail":
        # As CloudTrail documents its key policy: encrypt for this trail (which names itself in the encryption
        # context), and describe the key in a statement of its own, since DescribeKey carries no context.
        trails = pulumi.Output.concat("arn:aws:cloudtrail:*:", account_id, ":trail/*")
        cloudtrail = {"Service": "cloudtrail.amazonaws.com"}
        return [
            allow(
                "CloudTrailInThisAccount",
                cloudtrail,
                ["kms:GenerateDataKey*"],
                {
                    "StringEquals": {"aws:SourceArn": trail_arn},
                    "StringLike": {"kms:EncryptionContext:aws:cloudtrail:arn": trails},
                },
            ),
            allow("CloudTrailDescribesKey", cloudtrail, ["kms:DescribeKey"]),
        ]
    if service == "cloudwatch":  # alarm notifications to encrypted topics
        return [
            allow(
                "CloudWatchAlarmsInThisAccount",
                {"Service": "cloudwatch.amazonaws.com"},
                ["kms:Decrypt", "kms:GenerateDataKey*"],
                {"StringEquals": {"aws:SourceAccount": account_id}},
            )
        ]
    if service in TOPIC_PUBLISHERS:
        sid = "".join(part.capitalize() for part in service.split(".")) + "PublishesToTopics"
        return [allow(sid, {"Service": f"{service}.amazonaws.com"}, ["kms:Decrypt", "kms:GenerateDataKey*"])]
    if service == "autoscaling":
        # Auto Scaling launches instances with encrypted volumes as its service-linked role. Matching
        # the role by aws:PrincipalArn (not as Principal) keeps the policy valid in an account where
        # that role does not exist yet; AWS creates it on first use.
        in_account = {
            "StringEquals": {"kms:CallerAccount": account_id},
            "ArnEquals": {"aws:PrincipalArn": pulumi.Output.concat("arn:aws:iam::", account_id, ":", AUTOSCALING_ROLE)},
        }
        return [
            allow("AutoScalingUsesForVolumes", {"AWS": "*"}, USE, in_account),
            allow(
                "AutoScalingGrantsForVolumes",
                {"AWS": "*"},
                ["kms:CreateGrant"],
                {**in_account, "Bool": {"kms:GrantIsForAWSResource": "true"}},
            ),
        ]
    raise ValueError(f"no key-policy statement for service {service!r}")
