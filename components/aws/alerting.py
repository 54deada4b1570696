"""One SNS topic per alarm severity: the notification channels other teams subscribe to.

SPEC.md routes critical and high to on-call paging, medium to the operations team and low
to the dashboard and daily report. Topics are encrypted with the alerts key, which the
publishing services (CloudWatch alarms, EventBridge, AWS Backup, RDS events) may use; the
topic policy lets exactly those services publish (those that name their account: only from
this one), and only over TLS.
"""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from ..config import SEVERITIES, PlatformConfig, Severity
from .iam import policy_document

ROUTING: dict[Severity, str] = {
    "critical": "on-call paging",
    "high": "on-call paging",
    "medium": "operations team",
    "low": "dashboard and daily report",
}
# Services that publish from this account and say so (aws:SourceAccount). AWS Backup's vault notifications
# are published as AWS Backup documents them: its principal, without a condition.
PUBLISHERS = ("cloudwatch.amazonaws.com", "events.amazonaws.com", "events.rds.amazonaws.com")
VAULT_NOTIFIER = "backup.amazonaws.com"
# What the account itself may do on its topics (SNS's default owner rights, minus Publish over plain HTTP).
OWNER_ACTIONS = [
    "sns:Publish",
    "sns:Subscribe",
    "sns:ListSubscriptionsByTopic",
    "sns:GetTopicAttributes",
    "sns:SetTopicAttributes",
    "sns:AddPermission",
    "sns:RemovePermission",
    "sns:DeleteTopic",
]


class Alerting(pulumi.ComponentResource):
    topics: dict[Severity, aws.sns.Topic]

    def __init__(self, name: str, cfg: PlatformConfig, key: aws.kms.Key, opts: pulumi.ResourceOptions | None = None):
        super().__init__("platform:aws:Alerting", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        account_id = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=self)).account_id
        self.topics = {}
        for severity in SEVERITIES:
            topic = aws.sns.Topic(
                severity,
                name=cfg.name("alerts", severity),
                display_name=f"{cfg.name()} {severity} alerts ({ROUTING[severity]})",
                kms_master_key_id=key.arn,
                tags={**cfg.tags_for("alerting"), "severity": severity, "routing": ROUTING[severity]},
                opts=child,
            )
            aws.sns.TopicPolicy(severity, arn=topic.arn, policy=_topic_policy(topic.arn, account_id), opts=child)
            for email in cfg.alarms.subscriptions.get(severity, []):
                aws.sns.TopicSubscription(
                    f"{severity}-{email}", topic=topic.arn, protocol="email", endpoint=email, opts=child
                )
            self.topics[severity] = topic
        self.register_outputs({severity: topic.arn for severity, topic in self.topics.items()})


def _topic_policy(topic_arn: pulumi.Output[str], account_id: pulumi.Output[str]) -> pulumi.Output[str]:
    """The account manages the topic; the alerting services publish from this account only; never without TLS."""
    return policy_document(
        {
            "Sid": "AccountManages",
            "Effect": "Allow",
            "Principal": {"AWS": pulumi.Output.concat("arn:aws:iam::", account_id, ":root")},
            "Action": OWNER_ACTIONS,
            "Resource": topic_arn,
        },
        {
            "Sid": "AlertingServicesPublish",
            "Effect": "Allow",
            "Principal": {"Service": list(PUBLISHERS)},
            "Action": "sns:Publish",
            "Resource": topic_arn,
            "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
        },
        {
            "Sid": "BackupVaultNotifications",
            "Effect": "Allow",
            "Principal": {"Service": VAULT_NOTIFIER},
            "Action": "sns:Publish",
            "Resource": topic_arn,
        },
        {
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "sns:Publish",
            "Resource": topic_arn,
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        },
    )
