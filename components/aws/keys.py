"""Customer-managed KMS keys, one per purpose, with rotation on.

Separate keys keep grants narrow: storage services use ``data``, CloudWatch Logs and
CloudTrail use ``logs``, and SNS alert topics use ``alerts`` (which the services that
publish alarms and events must be able to use). DR-region copies exist when DR is on.
"""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from ..config import PlatformConfig

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
        self.data = self._key("data", account_id, region, ["rds", "elasticache", "s3", "backup", "sqs"])
        self.logs = self._key("logs", account_id, region, ["logs", "cloudtrail"])
        self.alerts = self._key("alerts", account_id, region, ["cloudwatch", "events", "backup", "events.rds"])
        self.dr_data = self.dr_logs = None
        if dr_provider is not None:
            self.dr_data = self._key("dr-data", account_id, dr_region, ["rds", "s3", "backup"], dr_provider)
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
            policy=pulumi.Output.json_dumps(_key_policy(account_id, region, services)),
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


def _key_policy(account_id: pulumi.Output[str], region: str, services: list[str]) -> dict:
    """The account administers the key; the named AWS services may use it in this account only."""
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
    service_principals = [f"logs.{region}.amazonaws.com" if s == "logs" else f"{s}.amazonaws.com" for s in services]
    statements.append(
        {
            "Sid": "ServicesUseInThisAccount",
            "Effect": "Allow",
            "Principal": {"Service": service_principals},
            "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"],
            "Resource": "*",
            "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
        }
    )
    return {"Version": "2012-10-17", "Statement": statements}
