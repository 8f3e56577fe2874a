"""lifecycle_scheduler (non-final events): put {"event","expectStatus","dueMs"} on the delay queue, due at
updatedMs + expected time (catalog) * LIFECYCLE_TIME_SCALE; SQS delay = min(900, remaining seconds)."""

from __future__ import annotations

from remote_services.aws import Sqs
from remote_services.clock import now_ms
from remote_services.envelope import from_sqs_record
from remote_services.lifecycle import delay_seconds, dump_message, new_message
from remote_services.obs.logger import Logger
from remote_services.settings import env, env_float
from remote_services.sqs_handler import SqsBatchHandler
from remote_services.status import is_final

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


logger = Logger()
sqs = Sqs()


def _record(record: dict[str, Any]) -> None:
    event = from_sqs_record(record)
    if is_final(event["status"]):
        logger.warning(f"final event ({event['status']}): nothing to schedule", eventId=event["eventId"])
        return
    message = new_message(event, env_float("LIFECYCLE_TIME_SCALE", 1.0))
    delay = delay_seconds(message["dueMs"], now_ms())
    sqs.send_message(env("LIFECYCLE_DELAY_QUEUE_URL"), dump_message(message), delay_seconds=delay)
    logger.info(
        f"check of {event['status']} scheduled in {delay} s", eventId=event["eventId"], dueMs=message["dueMs"]
    )


handler = SqsBatchHandler(_record, logger)
