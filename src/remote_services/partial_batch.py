"""SQS partial batch responses (ReportBatchItemFailures), like Powertools' process_partial_response,
plus fail-fast for poison: a record that can never succeed goes to its DLQ on the first receive."""

from __future__ import annotations

from .errors import DomainError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    from .obs.logger import Logger
    from .typedefs import BatchResponse

    # (record, the permanent error) -> None; raises if the record could not be parked
    DeadLetter = Callable[[dict[str, Any], Exception], None]
    # the records that failed transiently -> None (when they come back); best effort
    Backoff = Callable[[list[dict[str, Any]]], None]


def is_permanent(exc: Exception) -> bool:
    """A record that raised this can never succeed (bad input, not a hiccup): retrying only delays it."""
    return isinstance(exc, DomainError)


def process_partial_batch(
    event: Any,
    record_handler: Callable[[dict[str, Any]], object],
    logger: Logger | None = None,
    dead_letter: DeadLetter | None = None,
    backoff: Backoff | None = None,
) -> BatchResponse:
    """Call `record_handler` on every SQS record; report each record that raised as a batch item failure
    (SQS redelivers it after the visibility timeout: transient failures are retried, then redriven).

    With `dead_letter`, a record that raised a permanent error (``is_permanent``) is handed to it at
    once and counts as handled; if parking it fails, it is reported as a failure like any other.
    With `backoff`, the failed records are handed to it (to come back later the more often they
    failed); its own failure is logged and changes nothing else.
    A malformed batch (no ``Records`` list) raises ValueError: Lambda then retries the whole batch.
    """
    records = event.get("Records") if isinstance(event, dict) else None
    if not isinstance(records, list):
        raise ValueError('not an SQS event: expected an object with a "Records" list')
    failures: list[dict[str, str]] = []
    failed_records: list[dict[str, Any]] = []
    for index, record in enumerate(records):
        message_id = record.get("messageId") if isinstance(record, dict) else None
        if not isinstance(message_id, str) or not message_id:
            raise ValueError(f"SQS record #{index} has no messageId: cannot report it")
        try:
            record_handler(record)
        except Exception as exc:
            if dead_letter is not None and is_permanent(exc) and _park(dead_letter, record, exc, logger):
                continue
            failures.append({"itemIdentifier": message_id})
            failed_records.append(record)
            if logger is not None:
                logger.exception(
                    f"record failed: {type(exc).__name__}: {exc}",
                    messageId=message_id,
                    error=type(exc).__name__,
                )
    if logger is not None and failures:
        logger.warning(f"{len(failures)} of {len(records)} records failed", failed=len(failures))
    if backoff is not None and failed_records:
        try:
            backoff(failed_records)
        except Exception as exc:  # SQS's own visibility timeout applies
            if logger is not None:
                logger.warning(f"retry backoff not applied: {type(exc).__name__}: {exc}")
    return {"batchItemFailures": failures}  # type: ignore[typeddict-item]


def _park(dead_letter: DeadLetter, record: dict[str, Any], exc: Exception, logger: Logger | None) -> bool:
    try:
        dead_letter(record, exc)
    except Exception as park_exc:
        if logger is not None:
            logger.error(
                f"poison record could not be parked, left for redrive: {park_exc}",
                messageId=record.get("messageId"),
            )
        return False
    if logger is not None:
        logger.error(
            f"poison record parked in the DLQ: {type(exc).__name__}: {exc}",
            messageId=record.get("messageId"),
            error=type(exc).__name__,
            poison=True,
        )
    return True
