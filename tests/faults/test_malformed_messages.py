"""Poison on every queue: a message that can never succeed reaches its DLQ on the FIRST receive, with
the reason, and the consumer's batch is not failed for it (no retry every visibility timeout)."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import pytest

from localcloud.cloud import LocalCloud

# queue -> its DLQ (the function parks poison in the DLQ its redrive policy also uses)
QUEUES = {
    "PersisterQueue": "PersisterDeadLetterQueue",
    "DistributorQueue": "DistributorDeadLetterQueue",
    "LifecycleQueue": "LifecycleDeadLetterQueue",
    "LifecycleDelayQueue": "LifecycleDelayDeadLetterQueue",
    "OutgoingQueue": "OutgoingDeadLetterQueue",
    "DisclosureQueue": "DisclosureDeadLetterQueue",
}


def wait_parked(cloud: LocalCloud, dlq: str, marker: str, want: int, timeout_s: float = 30.0) -> list[Any]:
    sqs = cloud.client("sqs")
    url = cloud.physical(dlq)
    got: list[Any] = []
    deadline = time.monotonic() + timeout_s
    while len(got) < want and time.monotonic() < deadline:
        reply = sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1,
            MessageAttributeNames=["All"], AttributeNames=["ApproximateReceiveCount"],
        )  # fmt: skip
        for message in reply.get("Messages", []):
            if marker in message["Body"]:
                got.append(message)
                sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return got


@pytest.mark.parametrize("queue", sorted(QUEUES))
def test_poison_goes_to_the_dlq_on_the_first_receive(cloud: LocalCloud, queue: str) -> None:
    marker = uuid.uuid4().hex
    bodies = [
        f"not json {{ {marker}",
        json.dumps({"specVersion": "1.0", "eventId": 42, "marker": marker}),
        json.dumps([marker, 1]),
    ]
    poller = next(p for p in cloud.pollers if p.batcher.queue_url == cloud.physical(queue))
    failed_before = poller.stats["failed_records"]
    sqs = cloud.client("sqs")
    ids = {sqs.send_message(QueueUrl=cloud.physical(queue), MessageBody=b)["MessageId"] for b in bodies}
    parked = wait_parked(cloud, QUEUES[queue], marker, len(bodies))
    assert sorted(m["Body"] for m in parked) == sorted(bodies)
    for message in parked:
        attrs = {k: v["StringValue"] for k, v in message["MessageAttributes"].items()}
        assert attrs["sourceMessageId"] in ids and attrs["error"] in ("ValidationError", "DecodeError")
        assert attrs["reason"]
    assert poller.stats["failed_records"] == failed_before  # handled, not retried


def test_garbage_from_the_broker_goes_to_the_incoming_dlq_with_its_reason(cloud: LocalCloud) -> None:
    marker = uuid.uuid4().hex
    cloud.mocks.send_raw(f"vehicles/{marker}/nowhere", "???")  # as the broker puts it on the queue
    sqs = cloud.client("sqs")
    sqs.send_message(QueueUrl=cloud.physical("IncomingQueue"), MessageBody=f"not json {marker}")
    parked = wait_parked(cloud, "IncomingDeadLetterQueue", marker, 2)
    assert sorted(m["MessageAttributes"]["reason"]["StringValue"] for m in parked) == ["UNDECODABLE"] * 2
