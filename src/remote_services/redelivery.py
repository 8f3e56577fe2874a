"""Transient failures come back with exponential backoff: a record the handler failed (throttling, a
5xx, a timeout, a live push lease) is made visible again after ``VisibilityTimeout * 2**(n-1)``
seconds with equal jitter (n = its ApproximateReceiveCount; capped at 15 minutes), instead of the
queue's fixed visibility timeout. The first retry is as SQS's own; the ones after it spread out.

Best effort: if the change fails, SQS's own visibility timeout applies (nothing is lost)."""

from __future__ import annotations

from .aws import Sqs
from .backoff import equal_jitter
from .settings import env

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

MAX_DELAY_S = 900


def delay_s(visibility_timeout_s: int, receive_count: int) -> int:
    """Seconds until the record is visible again after its `receive_count`-th receive failed."""
    return max(1, int(equal_jitter(float(visibility_timeout_s), receive_count - 1, float(MAX_DELAY_S))))


class VisibilityBackoff:
    """`process_partial_batch(..., backoff=VisibilityBackoff())`: reads SOURCE_QUEUE_URL."""

    def __init__(self, sqs: Sqs | None = None) -> None:
        self._sqs = sqs

    def __call__(self, failed: list[dict[str, Any]]) -> None:
        if self._sqs is None:
            self._sqs = Sqs()
        url = env("SOURCE_QUEUE_URL")
        reply = self._sqs.call(
            "GetQueueAttributes", {"QueueUrl": url, "AttributeNames": ["VisibilityTimeout"]}
        )
        visibility = int((reply.get("Attributes") or {}).get("VisibilityTimeout", "30"))
        entries = []
        for index, record in enumerate(failed[:10]):  # a batch is at most 10 records here
            count = str((record.get("attributes") or {}).get("ApproximateReceiveCount", "1"))
            entries.append(
                {
                    "Id": str(index),
                    "ReceiptHandle": record["receiptHandle"],
                    "VisibilityTimeout": delay_s(visibility, int(count) if count.isdigit() else 1),
                }
            )
        if entries:
            self._sqs.call("ChangeMessageVisibilityBatch", {"QueueUrl": url, "Entries": entries})
