"""harness_relay (HarnessDelayQueue, test harness only): a vehicle message due past SQS's 900 s cap
goes on to its queue when due, or back to the delay queue for the rest (remote_services.harness.schedule)."""

from __future__ import annotations

from remote_services.aws import Sqs
from remote_services.clock import now_ms
from remote_services.harness.schedule import relay
from remote_services.obs.logger import Logger
from remote_services.settings import env
from remote_services.sqs_handler import SqsBatchHandler

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

logger = Logger()
sqs = Sqs()


def _send(queue_url: str, body: str, delay_seconds: int) -> None:
    sqs.send_message(queue_url, body, delay_seconds=delay_seconds)


def _record(record: dict[str, Any]) -> None:
    delay_url, incoming_url = env("HARNESS_DELAY_QUEUE_URL"), env("INCOMING_QUEUE_URL")
    outcome = relay(record.get("body"), now_ms(), delay_url, _send, allowed=(incoming_url,))
    logger.info(f"delayed message {outcome}", messageId=record.get("messageId"), outcome=outcome)


handler = SqsBatchHandler(_record, logger)
