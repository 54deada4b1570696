"""One notification channel per alert severity, each publishing to its own Pub/Sub topic.

SPEC.md routes critical and high to on-call paging, medium to the operations team and low to
the dashboard and daily report. Other teams subscribe to a severity's topic (encrypted with the
data key); Cloud Monitoring's service agent may publish there. Addresses in
``alarms.subscriptions`` also get an email channel of their severity.
"""

from __future__ import annotations

import pulumi
import pulumi_gcp as gcp

from ..config import SEVERITIES, PlatformConfig, Severity
from .keys import Keys
from .project import ProjectServices, gcp_labels

ROUTING: dict[Severity, str] = {
    "critical": "on-call paging",
    "high": "on-call paging",
    "medium": "operations team",
    "low": "dashboard and daily report",
}


class Alerting(pulumi.ComponentResource):
    topics: dict[Severity, gcp.pubsub.Topic]
    channels: dict[Severity, gcp.monitoring.NotificationChannel]
    recipients: dict[Severity, list[pulumi.Output[str]]]

    def __init__(
        self,
        name: str,
        cfg: PlatformConfig,
        keys: Keys,
        agents: ProjectServices,
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__("platform:gcp:Alerting", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        labels = gcp_labels(cfg, "monitoring")
        self.topics, self.channels, self.recipients = {}, {}, {}
        for severity in SEVERITIES:
            topic = gcp.pubsub.Topic(
                f"alerts-{severity}",
                name=cfg.name("alerts", severity),
                kms_key_name=keys.data.id,
                message_storage_policy=keys.data_region_only,
                labels={**labels, "severity": severity},
                opts=pulumi.ResourceOptions(parent=self, depends_on=keys.grants),
            )
            gcp.pubsub.TopicIAMMember(
                f"alerts-{severity}",
                topic=topic.name,
                role="roles/pubsub.publisher",
                member=agents.member("monitoring-notification"),
                opts=child,
            )
            self.topics[severity] = topic
            self.channels[severity] = gcp.monitoring.NotificationChannel(
                f"alerts-{severity}",
                display_name=f"{cfg.name()} {severity}: {ROUTING[severity]}",
                type="pubsub",
                labels={"topic": topic.id},
                user_labels={**labels, "severity": severity},
                opts=child,
            )
            emails = [
                gcp.monitoring.NotificationChannel(
                    f"alerts-{severity}-email-{i}",
                    display_name=f"{cfg.name()} {severity}: {address}",
                    type="email",
                    labels={"email_address": address},
                    user_labels={**labels, "severity": severity},
                    opts=child,
                )
                for i, address in enumerate(cfg.alarms.subscriptions.get(severity, []))
            ]
            self.recipients[severity] = [self.channels[severity].id, *(c.id for c in emails)]
        self.register_outputs({severity: channel.id for severity, channel in self.channels.items()})
