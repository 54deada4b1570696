"""The worker tier's SQS queue: KMS-encrypted, TLS-only, with a dead-letter queue.

Messages a worker fails to process ``compute.queueMaxReceiveCount`` times move to the
dead-letter queue instead of blocking the backlog (the worker tier scales on that backlog).
"""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from ..config import PlatformConfig
from .iam import policy_document

# Failed messages are kept as long as SQS allows (14 days), so they can be inspected and redriven.
SQS_MAX_RETENTION_SECONDS = 14 * 24 * 3600


class WorkQueue(pulumi.ComponentResource):
    queue: aws.sqs.Queue
    dead_letter_queue: aws.sqs.Queue

    def __init__(
        self,
        name: str,
        cfg: PlatformConfig,
        key: aws.kms.Key,
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__("platform:aws:WorkQueue", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        tags = cfg.tags_for("queue")
        self.dead_letter_queue = aws.sqs.Queue(
            "dead-letter",
            name=cfg.name("work-dlq"),
            kms_master_key_id=key.arn,
            message_retention_seconds=SQS_MAX_RETENTION_SECONDS,
            tags=tags,
            opts=child,
        )
        self.queue = aws.sqs.Queue(
            "work",
            name=cfg.name("work"),
            kms_master_key_id=key.arn,
            redrive_policy=pulumi.Output.json_dumps(
                {
                    "deadLetterTargetArn": self.dead_letter_queue.arn,
                    "maxReceiveCount": cfg.compute.queue_max_receive_count,
                }
            ),
            tags=tags,
            opts=child,
        )
        for label, queue in (("work", self.queue), ("dead-letter", self.dead_letter_queue)):
            aws.sqs.QueuePolicy(label, queue_url=queue.url, policy=_tls_only(queue.arn), opts=child)
        self.register_outputs({"queue_url": self.queue.url})


def _tls_only(queue_arn: pulumi.Input[str]) -> pulumi.Output[str]:
    """Deny every request to the queue that does not use TLS."""
    return policy_document(
        {
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "sqs:*",
            "Resource": queue_arn,
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        }
    )
