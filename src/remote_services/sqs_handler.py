"""The Lambda handler of every SQS-triggered function, in one place: the context goes into the logs,
each record goes to the function's record handler, and the batch answers Powertools' partial-batch
contract, poison parked in the DLQ at once and transient failures coming back with backoff.

    handler = SqsBatchHandler(_record, logger)   # in functions/<name>/app.py
"""

from __future__ import annotations

from .dead_letter import DeadLetterQueue
from .partial_batch import process_partial_batch
from .redelivery import VisibilityBackoff

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    from .obs.logger import Logger
    from .typedefs import BatchResponse, LambdaContext


class SqsBatchHandler:
    """A callable Lambda handler for an SQS event source with ReportBatchItemFailures."""

    def __init__(self, record_handler: Callable[[dict[str, Any]], object], logger: Logger) -> None:
        self.record_handler = record_handler
        self.logger = logger
        self.dead_letter = DeadLetterQueue()
        self.backoff = VisibilityBackoff()

    def __call__(self, event: dict[str, Any], context: LambdaContext) -> BatchResponse:
        self.logger.inject_lambda_context(context)
        return process_partial_batch(event, self.record_handler, self.logger, self.dead_letter, self.backoff)
