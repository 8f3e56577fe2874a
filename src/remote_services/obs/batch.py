"""SQS partial batch responses (ReportBatchItemFailures), like Powertools' process_partial_response."""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    from ..typedefs import BatchResponse, LambdaContext
    from .logger import Logger


def process_partial_batch(
    event: Any,
    record_handler: Callable[[dict[str, Any]], object],
    context: LambdaContext | None = None,
    logger: Logger | None = None,
) -> BatchResponse:
    """Call `record_handler` on every SQS record; report each record that raised as a batch item failure.

    A malformed batch (no ``Records`` list) raises ValueError: Lambda then retries the whole batch.
    """
    records = event.get("Records") if isinstance(event, dict) else None
    if not isinstance(records, list):
        raise ValueError('not an SQS event: expected an object with a "Records" list')
    failures: list[dict[str, str]] = []
    for index, record in enumerate(records):
        message_id = record.get("messageId") if isinstance(record, dict) else None
        if not isinstance(message_id, str) or not message_id:
            raise ValueError(f"SQS record #{index} has no messageId: cannot report it")
        try:
            record_handler(record)
        except Exception as exc:
            failures.append({"itemIdentifier": message_id})
            if logger is not None:
                logger.exception(
                    f"record failed: {type(exc).__name__}: {exc}",
                    messageId=message_id,
                    error=type(exc).__name__,
                )
    if logger is not None and failures:
        logger.warning(f"{len(failures)} of {len(records)} records failed", failed=len(failures))
    return {"batchItemFailures": failures}  # type: ignore[typeddict-item]
