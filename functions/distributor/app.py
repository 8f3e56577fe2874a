"""distributor (final events only): push the subscriber format at least once, with one notificationId
per event, and emit EMF EndToEndLatency (ms) with dimensions ServiceType and Colour.

The push is two-phase (remote_services.events_table): claim it with a lease, POST (1 s timeout,
retry), then mark it DONE. A consumer killed between the claim and DONE leaves a claim that expires:
the redelivered record takes it over and pushes again (same notificationId: the receiver drops the
repeat). A push that finally fails gives the claim back and fails the record (SQS retries, then DLQ)."""

from __future__ import annotations

from remote_services.aws import DynamoDB
from remote_services.clock import now_ms
from remote_services.envelope import from_sqs_record
from remote_services.events_table import EventsTable, expires_at
from remote_services.http_post import PostError, post_json
from remote_services.obs.logger import Logger
from remote_services.obs.metrics import Metrics
from remote_services.settings import env, env_int
from remote_services.sqs_handler import SqsBatchHandler
from remote_services.status import is_final

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from remote_services.typedefs import Envelope

logger = Logger()
metrics = Metrics(service="")  # dimensions: exactly ServiceType and Colour
dynamodb = DynamoDB()
PUSH_TIMEOUT_S = 1.0
PUSH_ATTEMPTS = 3
# A claim outlives its holder by at most this: longer than the whole push (3 x 1 s + backoff).
LEASE_MS = 10_000


class PushInProgress(RuntimeError):
    """Another consumer holds a live claim on this push: retry the record later (transient)."""


def subscriber_message(event: Envelope, pushed_ms: int) -> dict[str, Any]:
    """The external subscriber's format (notificationId = eventId: the same for every repeat)."""
    message: dict[str, Any] = {
        "notificationId": event["eventId"],
        "vin": event["vin"],
        "service": event["serviceType"],
        "result": event["status"],
        "source": event["source"],
        "firstSeenMs": event["firstSeenMs"],
        "pushedMs": pushed_ms,
    }
    if "failureReason" in event:
        message["reason"] = event["failureReason"]
    return message


def distribute(event: Envelope, claim_id: str) -> str:
    """Push one final event; returns "pushed" or "duplicate"; raises PostError if the push failed and
    PushInProgress while another consumer's claim is live."""
    table = EventsTable(dynamodb, env("EVENTS_TABLE"))
    now = now_ms()
    claim = table.claim_push(event, claim_id, now, LEASE_MS, expires_at(now, env_int("EVENT_TTL_DAYS", 30)))
    if claim == "done":
        return "duplicate"
    if claim == "leased":
        raise PushInProgress(f"the push of {event['eventId']} is claimed by another consumer")
    pushed_ms = now_ms()
    try:
        post_json(
            env("SUBSCRIBER_URL"),
            subscriber_message(event, pushed_ms),
            timeout_s=PUSH_TIMEOUT_S,
            attempts=PUSH_ATTEMPTS,
        )
    except PostError:
        table.release_push(event["eventId"], claim_id)
        raise
    if not table.finish_push(event["eventId"], claim_id, pushed_ms):
        logger.warning("push claim was taken over while pushing", eventId=event["eventId"])
    metrics.add_dimension("ServiceType", event["serviceType"])
    metrics.add_dimension("Colour", event["colour"])
    metrics.add_metric("EndToEndLatency", "Milliseconds", pushed_ms - event["firstSeenMs"])
    metrics.add_metadata("eventId", event["eventId"])
    metrics.flush()
    return "pushed"


def _record(record: dict[str, Any]) -> None:
    event = from_sqs_record(record)
    if not is_final(event["status"]):
        logger.warning(f"not a final event ({event['status']}): skipped", eventId=event["eventId"])
        return
    outcome = distribute(event, f"{record['messageId']}")
    logger.info(f"{outcome}: {event['status']}", eventId=event["eventId"], outcome=outcome)


handler = SqsBatchHandler(_record, logger)
