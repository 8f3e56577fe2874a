"""lifecycle_checker (delay queue): a command must leave `expectStatus` by `dueMs`, or it times out
(remote_services.lifecycle_check: re-delay, drop, wait for our own backlog, or decide TIMEOUT)."""

from __future__ import annotations

from remote_services.aws import DynamoDB, Sns, Sqs
from remote_services.envelope import loads
from remote_services.lifecycle import parse_message
from remote_services.lifecycle_check import LifecycleCheck
from remote_services.obs.logger import Logger
from remote_services.sqs_handler import SqsBatchHandler

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

logger = Logger()
lifecycle = LifecycleCheck(DynamoDB(), Sqs(), Sns())


def _record(record: dict[str, Any]) -> None:
    message = parse_message(loads(record.get("body") or ""))
    outcome = lifecycle.check(message)
    event_id, expect = message["event"]["eventId"], message["expectStatus"]
    logger.info(f"lifecycle check: {outcome}", eventId=event_id, outcome=outcome, expectStatus=expect)


handler = SqsBatchHandler(_record, logger)
