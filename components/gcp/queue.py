"""The worker tier's queue: a Pub/Sub topic and subscription, encrypted, with a dead-letter topic.

Messages that fail ``compute.queueMaxReceiveCount`` deliveries move to the dead-letter topic,
which needs Pub/Sub's service agent to publish there and to acknowledge on the subscription.
"""

from __future__ import annotations

import pulumi
import pulumi_gcp as gcp

from ..config import PlatformConfig
from .keys import Keys
from .project import ProjectServices, gcp_labels

ACK_DEADLINE_SECONDS = 60
RETENTION = "604800s"  # 7 days, Pub/Sub's maximum for unacknowledged messages


class WorkQueue(pulumi.ComponentResource):
    topic: gcp.pubsub.Topic
    dead_letter: gcp.pubsub.Topic
    subscription: gcp.pubsub.Subscription

    def __init__(
        self,
        name: str,
        cfg: PlatformConfig,
        keys: Keys,
        agents: ProjectServices,
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__("platform:gcp:WorkQueue", name, None, opts)
        labels = gcp_labels(cfg, "worker")
        encrypted = pulumi.ResourceOptions(parent=self, depends_on=keys.grants)
        self.topic, self.dead_letter = (
            gcp.pubsub.Topic(
                topic,
                name=cfg.name(topic),
                kms_key_name=keys.data.id,
                message_storage_policy=keys.data_region_only,
                message_retention_duration=RETENTION,
                labels=labels,
                opts=encrypted,
            )
            for topic in ("worker", "worker-dead-letter")
        )
        self.subscription = gcp.pubsub.Subscription(
            "worker",
            name=cfg.name("worker"),
            topic=self.topic.id,
            ack_deadline_seconds=ACK_DEADLINE_SECONDS,
            message_retention_duration=RETENTION,
            expiration_policy={"ttl": ""},  # never expires for lack of activity
            dead_letter_policy={
                "dead_letter_topic": self.dead_letter.id,
                "max_delivery_attempts": cfg.compute.queue_max_receive_count,
            },
            labels=labels,
            opts=pulumi.ResourceOptions(parent=self),
        )
        agent, child = agents.member("pubsub"), pulumi.ResourceOptions(parent=self)
        gcp.pubsub.TopicIAMMember(
            "dead-letter-publisher",
            topic=self.dead_letter.name,
            role="roles/pubsub.publisher",
            member=agent,
            opts=child,
        )
        gcp.pubsub.SubscriptionIAMMember(
            "dead-letter-subscriber",
            subscription=self.subscription.name,
            role="roles/pubsub.subscriber",
            member=agent,
            opts=child,
        )
        self.register_outputs({"subscription_id": self.subscription.id})
