"""vehicle_connector (OutgoingQueue): encode the command for the vehicle's generation, POST
{topic, payload, correlationId} to the broker API (1 s timeout, retry with jitter); when the retries
run out, publish FAILED/BROKER_UNAVAILABLE (the record is then handled)."""

from __future__ import annotations

from remote_services.aws import Sns
from remote_services.envelope import dumps, from_sqs_record, sns_attributes, with_status
from remote_services.errors import ValidationError
from remote_services.obs.batch import process_partial_batch
from remote_services.obs.http import PostError, post_json
from remote_services.obs.logger import Logger
from remote_services.settings import env, now_ms
from remote_services.status import FailureReason, Status
from remote_services.vehicles import encode_command

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from remote_services.typedefs import BatchResponse, Envelope, LambdaContext

logger = Logger()
sns = Sns()


def connect(event: Envelope) -> str:
    """Hand one command to the broker; returns "sent" or "broker-unavailable"."""
    if event["status"] != Status.PENDING:
        raise ValidationError("status", f"the outgoing queue carries PENDING commands, got {event['status']}")
    topic, payload = encode_command(event)
    body = {"topic": topic, "payload": payload, "correlationId": event["traceId"] or event["eventId"]}
    try:
        post_json(env("BROKER_URL"), body, timeout_s=1.0, attempts=3)
    except PostError as exc:
        logger.error(f"broker unavailable: {exc}", eventId=event["eventId"], reason=exc.reason)
        failed = with_status(
            event, Status.FAILED, max(now_ms(), event["updatedMs"]), FailureReason.BROKER_UNAVAILABLE
        )
        sns.publish(env("EVENTS_TOPIC_ARN"), dumps(failed), sns_attributes(failed))
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


def handler(event: dict[str, Any], context: LambdaContext) -> BatchResponse:
    logger.inject_lambda_context(context)
    return process_partial_batch(event, _record, context, logger)
