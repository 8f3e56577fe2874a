"""Transient failures come back with exponential backoff and jitter (remote_services.redelivery), and
process_partial_batch hands only the transiently failed records to it."""

from __future__ import annotations

from typing import Any

import pytest

from remote_services.errors import ValidationError
from remote_services.partial_batch import process_partial_batch
from remote_services.redelivery import MAX_DELAY_S, VisibilityBackoff, delay_s


@pytest.mark.parametrize("count", [1, 2, 3, 4, 5, 9])
def test_the_delay_doubles_per_receive_within_half_a_step_and_the_cap(count: int) -> None:
    step = min(MAX_DELAY_S, 60 * 2 ** (count - 1))
    for _ in range(200):
        assert step / 2 - 1 <= delay_s(60, count) <= step


class FakeSqs:
    """Answers GetQueueAttributes and records ChangeMessageVisibilityBatch."""

    def __init__(self, visibility: str = "60") -> None:
        self.visibility = visibility
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def call(self, operation: str, request: dict[str, Any]) -> dict[str, Any]:
        self.calls.append((operation, request))
        if operation == "GetQueueAttributes":
            return {"Attributes": {"VisibilityTimeout": self.visibility}}
        return {"Successful": [{"Id": e["Id"]} for e in request["Entries"]], "Failed": []}


def record(message_id: str, receives: int) -> dict[str, Any]:
    return {
        "messageId": message_id,
        "receiptHandle": f"rh-{message_id}",
        "body": "{}",
        "attributes": {"ApproximateReceiveCount": str(receives)},
    }


def test_only_the_transient_failures_are_delayed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_QUEUE_URL", "https://sqs.example/123/q")
    sqs = FakeSqs(visibility="10")
    parked: list[str] = []

    def handle(rec: dict[str, Any]) -> None:
        if rec["messageId"] == "poison":
            raise ValidationError("body", "never valid")
        if rec["messageId"].startswith("flaky"):
            raise TimeoutError("the subscriber did not answer")

    event = {"Records": [record("ok", 1), record("flaky-1", 1), record("poison", 1), record("flaky-3", 3)]}
    result = process_partial_batch(
        event,
        handle,
        dead_letter=lambda rec, exc: parked.append(rec["messageId"]),
        backoff=VisibilityBackoff(sqs),  # type: ignore[arg-type]
    )
    assert result == {"batchItemFailures": [{"itemIdentifier": "flaky-1"}, {"itemIdentifier": "flaky-3"}]}
    assert parked == ["poison"]
    (get, change) = sqs.calls
    assert get == (
        "GetQueueAttributes",
        {"QueueUrl": "https://sqs.example/123/q", "AttributeNames": ["VisibilityTimeout"]},
    )
    entries = change[1]["Entries"]
    assert [e["ReceiptHandle"] for e in entries] == ["rh-flaky-1", "rh-flaky-3"]
    assert 5 <= entries[0]["VisibilityTimeout"] <= 10 and 20 <= entries[1]["VisibilityTimeout"] <= 40


def test_a_backoff_that_fails_changes_nothing_else(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(records: list[dict[str, Any]]) -> None:
        raise ConnectionError("no SQS")

    def handle(rec: dict[str, Any]) -> None:
        raise TimeoutError("slow")

    event = {"Records": [record("a", 1)]}
    assert process_partial_batch(event, handle, backoff=broken) == {
        "batchItemFailures": [{"itemIdentifier": "a"}]
    }
