"""vehicle_connector (OutgoingQueue): encode the command for the vehicle's generation, POST
{topic, payload, correlationId} to the broker API (1 s timeout, retry with jitter).

A command whose event is already final (timed out or refused while it waited on the queue) is not
sent: the owner has been told it failed, so the car must not act on it. When the broker retries run
out, FAILED/BROKER_UNAVAILABLE is decided on STATE (unless the vehicle answered meanwhile) and
published only if that decision won; the vehicle is freed."""

from __future__ import annotations

from remote_services.aws import DynamoDB, Sns
from remote_services.clock import now_ms
from remote_services.envelope import dumps, from_sqs_record, sns_attributes, with_status
from remote_services.errors import ValidationError
from remote_services.events_table import EventsTable, expires_at, release_lock
from remote_services.http_post import PostError, post_json
from remote_services.obs.logger import Logger
from remote_services.settings import env, env_int
from remote_services.sqs_handler import SqsBatchHandler
from remote_services.status import FailureReason, Status, is_final, rank
from remote_services.vehicles import encode_command

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from remote_services.typedefs import Envelope

logger = Logger()
dynamodb = DynamoDB()
sns = Sns()


def _publish_failed(table: EventsTable, failed: Envelope, expires: int) -> bool:
    """Decide FAILED/BROKER_UNAVAILABLE unless the vehicle answered meanwhile; publish it if it won."""
    if not table.decide(failed, rank(Status.PENDING), expires):
        return False
    sns.publish(env("EVENTS_TOPIC_ARN"), dumps(failed), sns_attributes(failed))
    release_lock(dynamodb, env("LOCK_TABLE"), failed["vin"], failed["eventId"])
    return True


def connect(event: Envelope) -> str:
    """Hand one command to the broker; returns "sent", "already-final", "broker-unavailable" or
    "lost-race" (the broker failed, but another status reached STATE first)."""
    if event["status"] != Status.PENDING:
        raise ValidationError("status", f"the outgoing queue carries PENDING commands, got {event['status']}")
    topic, payload = encode_command(event)
    table = EventsTable(dynamodb, env("EVENTS_TABLE"))
    current = table.read_state(event["eventId"])
    if current is not None and is_final(current["status"]):
        if current.get("failureReason") == FailureReason.BROKER_UNAVAILABLE:  # our own decision: a retry
            failed = with_status(event, Status.FAILED, current["updatedMs"], FailureReason.BROKER_UNAVAILABLE)
            _publish_failed(table, failed, current["expiresAt"])
            return "broker-unavailable"
        return "already-final"
    body = {"topic": topic, "payload": payload, "correlationId": event["traceId"] or event["eventId"]}
    try:
        post_json(env("BROKER_URL"), body, timeout_s=1.0, attempts=3)
    except PostError as exc:
        logger.error(f"broker unavailable: {exc}", eventId=event["eventId"], reason=exc.reason)
        now = now_ms()
        failed = with_status(
            event, Status.FAILED, max(now, event["updatedMs"]), FailureReason.BROKER_UNAVAILABLE
        )
        if not _publish_failed(table, failed, expires_at(now, env_int("EVENT_TTL_DAYS", 30))):
            return "lost-race"
        return "broker-unavailable"
    return "sent"


def _record(record: dict[str, Any]) -> None:
    event = from_sqs_record(record)
    outcome = connect(event)
    logger.info(
        f"command {outcome}",
        eventId=event["eventId"],
        serviceType=event["serviceType"],
        generation=event.get("vehicle", {}).get("generation"),
        outcome=outcome,
    )


handler = SqsBatchHandler(_record, logger)
