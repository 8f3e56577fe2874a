"""Parking a poison SQS record in its function's DLQ on the first receive, with the reason.

The DLQ is the same queue the redrive policy uses (``DEAD_LETTER_QUEUE_URL``), so operators find
poison and exhausted retries in one place; the message keeps the original body and carries the
reason as String message attributes (``reason``, ``error``, ``sourceMessageId``)."""

from __future__ import annotations

from .aws import Sqs
from .settings import env

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

MAX_REASON = 1000  # characters of the error message kept as an attribute


class DeadLetterQueue:
    """`process_partial_batch(..., dead_letter=DeadLetterQueue())`."""

    def __init__(self, sqs: Sqs | None = None) -> None:
        self._sqs = sqs

    def __call__(self, record: dict[str, Any], exc: Exception) -> None:
        if self._sqs is None:
            self._sqs = Sqs()
        body = record.get("body")
        self._sqs.send_message(
            env("DEAD_LETTER_QUEUE_URL"),
            body if isinstance(body, str) and body else "<empty body>",
            attributes={
                "reason": (str(exc) or type(exc).__name__)[:MAX_REASON],
                "error": type(exc).__name__,
                "sourceMessageId": str(record.get("messageId") or ""),
            },
        )
