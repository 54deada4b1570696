"""Work queue: KMS-encrypted with the data key, dead-letter queue wired, TLS-only."""

from __future__ import annotations

import json

QUEUE = "aws:sqs/queue:Queue"
POLICY = "aws:sqs/queuePolicy:QueuePolicy"
DATA_KEY_URN_SUFFIX = "aws:kms/key:Key::data"


def _queues(p):
    return {r.name: r for r in p.children("platform:aws:WorkQueue") if r.type == QUEUE}


def test_both_queues_encrypted_with_the_data_key(plan):
    p = plan("staging")
    data_key_arn = p.outputs["aws_kms_key_id"].value
    queues = _queues(p)
    assert set(queues) == {"work", "dead-letter"}
    for queue in queues.values():
        assert queue.inputs["kmsMasterKeyId"] == data_key_arn
        assert any(urn.endswith(DATA_KEY_URN_SUFFIX) for urn in queue.property_dependencies["kmsMasterKeyId"])
        assert queue.inputs["tags"]["service"] == "queue"


def test_failed_messages_go_to_the_dead_letter_queue(plan):
    queues = _queues(plan("dev"))
    redrive = json.loads(queues["work"].inputs["redrivePolicy"])
    assert (
        redrive["deadLetterTargetArn"] == f"arn:aws:sqs:us-east-1:123456789012:{queues['dead-letter'].inputs['name']}"
    )
    assert redrive["maxReceiveCount"] == 5
    assert queues["dead-letter"].urn in queues["work"].property_dependencies["redrivePolicy"]
    assert "redrivePolicy" not in queues["dead-letter"].inputs
    assert queues["dead-letter"].inputs["messageRetentionSeconds"] == 14 * 24 * 3600


def test_max_receive_count_follows_config(plan):
    redrive = json.loads(_queues(plan("dev", "compute.queueMaxReceiveCount=3"))["work"].inputs["redrivePolicy"])
    assert redrive["maxReceiveCount"] == 3


def test_queues_deny_requests_without_tls(plan):
    p = plan("prod")
    queues = _queues(p)
    policies = [r for r in p.children("platform:aws:WorkQueue") if r.type == POLICY]
    covered = set()
    for policy in policies:
        (queue_urn,) = policy.property_dependencies["queueUrl"]
        queue = p.by_urn(queue_urn)
        covered.add(queue.name)
        (statement,) = json.loads(policy.inputs["policy"])["Statement"]
        assert statement["Effect"] == "Deny"
        assert statement["Principal"] == "*"
        assert statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
        assert statement["Resource"] == f"arn:aws:sqs:us-east-1:123456789012:{queue.inputs['name']}"
        assert policy.inputs["queueUrl"].endswith("/" + queue.inputs["name"])
    assert covered == set(queues)
