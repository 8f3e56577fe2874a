"""distributor (final events only): push the subscriber format at least once, with one notificationId
per event (remote_services.push), and emit the final event's metrics (remote_services.final_metrics:
EndToEndLatency, CommandsFinal, CommandsTimedOut)."""

from __future__ import annotations

from remote_services.aws import DynamoDB
from remote_services.envelope import from_sqs_record
from remote_services.events_table import EventsTable
from remote_services.final_metrics import emit_final
from remote_services.obs.logger import Logger
from remote_services.obs.metrics import Metrics
from remote_services.push import push
from remote_services.settings import env, env_int
from remote_services.sqs_handler import SqsBatchHandler

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

logger = Logger()
metrics = Metrics(service="")  # dimensions: exactly those of obs.catalog
dynamodb = DynamoDB()


def _record(record: dict[str, Any]) -> None:
    event = from_sqs_record(record)
    table = EventsTable(dynamodb, env("EVENTS_TABLE"))
    result = push(table, event, record["messageId"], env("SUBSCRIBER_URL"), env_int("EVENT_TTL_DAYS", 30))
    if result.taken_over:
        logger.warning("push claim was taken over while pushing", eventId=event["eventId"])
    if result.pushed_ms is not None:
        emit_final(metrics, event, result.pushed_ms)
    log = logger.warning if result.outcome == "not-final" else logger.info  # a final-only subscription
    log(f"{result.outcome}: {event['status']}", eventId=event["eventId"], outcome=result.outcome)


handler = SqsBatchHandler(_record, logger)
