"""distributor (final events only): claim the push (sk="PUSH", idempotent), push the subscriber format
(1 s timeout, retry), emit EMF EndToEndLatency (ms) with dimensions ServiceType and Colour.
A push that finally fails releases the claim and fails the record (SQS retries it, then the DLQ)."""

from __future__ import annotations

from remote_services.aws import ConditionalCheckFailed, DynamoDB
from remote_services.aws.attrs import serialize, to_item
from remote_services.envelope import from_sqs_record
from remote_services.obs.batch import process_partial_batch
from remote_services.obs.http import PostError, post_json
from remote_services.obs.logger import Logger
from remote_services.obs.metrics import Metrics
from remote_services.settings import env, env_int, now_ms
from remote_services.status import is_final

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from remote_services.typedefs import BatchResponse, Envelope, LambdaContext

logger = Logger()
metrics = Metrics(service="")  # dimensions: exactly ServiceType and Colour
dynamodb = DynamoDB()


def subscriber_message(event: Envelope, pushed_ms: int) -> dict[str, Any]:
    """The external subscriber's format."""
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
    """Push one final event once; returns "pushed" or "duplicate"; raises PostError if the push failed."""
    table = env("EVENTS_TABLE")
    key = {"eventId": event["eventId"], "sk": "PUSH"}
    claim = {
        **key,
        "status": event["status"],
        "claimId": claim_id,
        "claimedMs": now_ms(),
        "expiresAt": now_ms() // 1000 + env_int("EVENT_TTL_DAYS", 30) * 86400,
    }
    try:
        dynamodb.call(
            "PutItem",
            {"TableName": table, "Item": to_item(claim), "ConditionExpression": "attribute_not_exists(sk)"},
        )
    except ConditionalCheckFailed:
        return "duplicate"
    pushed_ms = now_ms()
    try:
        post_json(env("SUBSCRIBER_URL"), subscriber_message(event, pushed_ms), timeout_s=1.0, attempts=3)
    except PostError:
        try:
            dynamodb.call(
                "DeleteItem",
                {
                    "TableName": table,
                    "Key": to_item(key),
                    "ConditionExpression": "claimId = :c",
                    "ExpressionAttributeValues": {":c": serialize(claim_id)},
                },
            )
        except ConditionalCheckFailed:
            logger.warning("push claim already replaced", eventId=event["eventId"])
        raise
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


def handler(event: dict[str, Any], context: LambdaContext) -> BatchResponse:
    logger.inject_lambda_context(context)
    return process_partial_batch(event, _record, context, logger)
