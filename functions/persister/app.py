"""persister (SQS, batch 10, partial failures): every published status change -> one history item;
on a final status, release the vehicle lock (a safety net: the deciders release it too).

It never writes STATE: STATE is advanced by the component that decides a status, before it publishes
(remote_services.events_table), so nothing reads our own backlog as the vehicle's silence.
Idempotent: a repeated history item is success."""

from __future__ import annotations

from remote_services.aws import DynamoDB
from remote_services.clock import now_ms
from remote_services.envelope import from_sqs_record
from remote_services.events_table import EventsTable, expires_at, release_lock
from remote_services.obs.logger import Logger
from remote_services.settings import env, env_int
from remote_services.sqs_handler import SqsBatchHandler
from remote_services.status import is_final

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from remote_services.typedefs import Envelope

logger = Logger()
dynamodb = DynamoDB()


def persist(event: Envelope) -> str:
    """Store one event; returns "new" or "duplicate" (for the log)."""
    table = EventsTable(dynamodb, env("EVENTS_TABLE"))
    outcome = (
        "new"
        if table.put_history(event, expires_at(now_ms(), env_int("EVENT_TTL_DAYS", 30)))
        else "duplicate"
    )
    if is_final(event["status"]) and event["source"] == "APP":
        release_lock(dynamodb, env("LOCK_TABLE"), event["vin"], event["eventId"])
    return outcome


def _record(record: dict[str, Any]) -> None:
    event = from_sqs_record(record)
    outcome = persist(event)
    logger.info(
        f"persisted {event['status']} ({outcome})",
        eventId=event["eventId"],
        serviceType=event["serviceType"],
        status=event["status"],
        outcome=outcome,
    )


handler = SqsBatchHandler(_record, logger)
