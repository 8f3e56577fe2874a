"""A function that fails mid-batch loses no message: the real SQS poller retries it, then moto's redrive
moves it to the DLQ. Uses a dedicated queue pair (visibility 1 s, maxReceiveCount 2) so the test is quick,
the real persister, and a crashing copy of it (a handler that does not exist: every invoke errors)."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest

from localcloud.cloud import LocalCloud
from localcloud.eventsources.sqs import SqsEventSource
from localcloud.lambda_host import FunctionSpec
from remote_services.envelope import dumps, new_event

pytestmark = pytest.mark.e2e
MAX_RECEIVES = 2


def queue_pair(cloud: LocalCloud, name: str) -> tuple[str, str]:
    sqs = cloud.client("sqs")
    dlq = sqs.create_queue(QueueName=f"{name}-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    redrive = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": MAX_RECEIVES})
    url = sqs.create_queue(QueueName=name, Attributes={"VisibilityTimeout": "1", "RedrivePolicy": redrive})[
        "QueueUrl"
    ]
    return url, dlq


def drain_dlq(
    cloud: LocalCloud, dlq: str, want: int, match: str = "", timeout: float = 60.0
) -> list[dict[str, Any]]:
    """Up to `want` messages of the DLQ whose body contains `match` (deleted once read)."""
    sqs = cloud.client("sqs")
    got: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    while len(got) < want and time.monotonic() < deadline:
        resp = sqs.receive_message(
            QueueUrl=dlq,
            MaxNumberOfMessages=10,
            WaitTimeSeconds=1,
            AttributeNames=["ApproximateReceiveCount"],
            MessageAttributeNames=["All"],
        )
        for m in resp.get("Messages", []):
            if match in m["Body"]:
                got.append(m)
                sqs.delete_message(QueueUrl=dlq, ReceiptHandle=m["ReceiptHandle"])
    return got


@pytest.fixture
def source(cloud: LocalCloud) -> Iterator[list[SqsEventSource]]:
    started: list[SqsEventSource] = []
    yield started
    for s in started:
        s.stop(timeout_s=10)


def envelope(event_id: str) -> str:
    now = int(time.time() * 1000)
    return dumps(
        new_event(
            event_id=event_id,
            vin="WVWZZZ1JZXW000001",
            service_type="HORN_BLOW",
            status="CREATED",
            colour="blue",
            first_seen_ms=now,
            updated_ms=now,
            trace_id="Root=1-e2e",
        )
    )


def test_poison_message_in_a_batch_goes_to_the_dlq_and_the_rest_is_persisted(
    cloud: LocalCloud, source: list[SqsEventSource]
) -> None:
    url, dlq = queue_pair(cloud, f"e2e-poison-{uuid.uuid4().hex[:8]}")
    persister = cloud.resources.functions["PersisterFunction"] if cloud.resources else None
    assert persister is not None
    good = [f"e2e-{uuid.uuid4()}" for _ in range(3)]
    sqs = cloud.client("sqs")
    entries = [{"Id": str(i), "MessageBody": envelope(eid)} for i, eid in enumerate(good)]
    poison = json.dumps({"specVersion": "1.0", "eventId": 42, "marker": uuid.uuid4().hex})
    entries.insert(1, {"Id": "poison", "MessageBody": poison})
    assert not sqs.send_message_batch(QueueUrl=url, Entries=entries).get("Failed")
    source.append(
        SqsEventSource(
            endpoint_url=cloud.endpoint_url,
            queue_url=url,
            function_name=persister.name,
            host=cloud.host,
            batch_size=10,
            report_batch_item_failures=True,
            region=cloud.region,
            concurrency=1,
        ).start()
    )
    # poison fails fast: parked by the persister in ITS dead-letter queue on the first receive, with
    # the reason; never retried (the source queue's redrive sees nothing)
    parked = drain_dlq(cloud, cloud.physical("PersisterDeadLetterQueue"), 1, poison)
    assert [m["Body"] for m in parked] == [poison]
    reason = parked[0]["MessageAttributes"]["reason"]["StringValue"]
    assert parked[0]["MessageAttributes"]["error"]["StringValue"] == "ValidationError"
    assert "unknown field" in reason
    deadline = time.monotonic() + 10
    while any(cloud.events.history(eid) != ["CREATED"] for eid in good) and time.monotonic() < deadline:
        time.sleep(0.1)
    for eid in good:
        assert cloud.events.history(eid) == ["CREATED"], eid
    assert source[0].stats["failed_batches"] == 0 and drain_dlq(cloud, dlq, 1, timeout=2) == []


def test_crashing_function_loses_nothing(cloud: LocalCloud, source: list[SqsEventSource]) -> None:
    url, dlq = queue_pair(cloud, f"e2e-crash-{uuid.uuid4().hex[:8]}")
    spec: FunctionSpec | None = cloud.host.resolve("PersisterFunction")
    assert spec is not None
    crashing = replace(
        spec,
        logical_id="E2eCrashingFunction",
        function_name="e2e-crashing",
        arn=spec.arn.rsplit(":", 1)[0] + ":e2e-crashing",
        handler="functions.persister.app.no_such_handler",
    )
    cloud.host.register(crashing)
    bodies = sorted(envelope(f"e2e-{uuid.uuid4()}") for _ in range(4))
    sqs = cloud.client("sqs")
    sqs.send_message_batch(
        QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": b} for i, b in enumerate(bodies)]
    )
    source.append(
        SqsEventSource(
            endpoint_url=cloud.endpoint_url,
            queue_url=url,
            function_name="e2e-crashing",
            host=cloud.host,
            batch_size=10,
            report_batch_item_failures=True,
            region=cloud.region,
            concurrency=1,
        ).start()
    )
    dead = drain_dlq(cloud, dlq, len(bodies))
    assert sorted(m["Body"] for m in dead) == bodies
    assert all(int(m["Attributes"]["ApproximateReceiveCount"]) >= MAX_RECEIVES for m in dead)
    assert source[0].stats["failed_batches"] >= MAX_RECEIVES
