"""lifecycle_checker (delay queue): re-delay while now < dueMs (SQS caps a delay at 900 s); then read the
STATE item: if the status moved past expectStatus, drop; else publish FAILED/TIMEOUT."""

from __future__ import annotations

from lambda_runtime import jsonlite

from remote_services.aws import DynamoDB, Sns, Sqs
from remote_services.aws.attrs import to_item
from remote_services.envelope import dumps, loads, parse_event, sns_attributes, with_status
from remote_services.errors import ValidationError
from remote_services.lifecycle import delay_seconds
from remote_services.obs.batch import process_partial_batch
from remote_services.obs.logger import Logger
from remote_services.settings import env, now_ms
from remote_services.status import RANKS, FailureReason, Status, is_final, rank

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from remote_services.typedefs import BatchResponse, LambdaContext

logger = Logger()
dynamodb = DynamoDB()
sqs = Sqs()
sns = Sns()


def current_status(event_id: str) -> str | None:
    """The STATE item's status (strongly consistent read), None if there is no STATE item."""
    reply = dynamodb.call(
        "GetItem",
        {
            "TableName": env("EVENTS_TABLE"),
            "ConsistentRead": True,
            "Key": to_item({"eventId": event_id, "sk": "STATE"}),
            "ProjectionExpression": "#s",
            "ExpressionAttributeNames": {"#s": "status"},
        },
    )
    status = reply.get("Item", {}).get("status", {}).get("S")
    return status if isinstance(status, str) else None


def check(message: object) -> str:
    """Handle one delay-queue message; returns "redelayed", "moved-on" or "timed-out"."""
    if not isinstance(message, dict):
        raise ValidationError("body", 'must be {"event", "expectStatus", "dueMs"}')
    event = parse_event(message.get("event"))
    expect, due = message.get("expectStatus"), message.get("dueMs")
    if expect not in RANKS:
        raise ValidationError("expectStatus", f"must be a status, got {expect!r}")
    if isinstance(due, bool) or not isinstance(due, int):
        raise ValidationError("dueMs", f"must be an integer (epoch ms), got {due!r}")
    now = now_ms()
    if now < due:
        sqs.send_message(
            env("LIFECYCLE_DELAY_QUEUE_URL"),
            jsonlite.dumps(message, separators=(",", ":")),
            delay_seconds=delay_seconds(due, now),
        )
        return "redelayed"
    current = current_status(event["eventId"])
    if current is not None and (is_final(current) or rank(current) > rank(str(expect))):
        return "moved-on"
    failed = with_status(event, Status.FAILED, max(now, event["updatedMs"]), FailureReason.TIMEOUT)
    sns.publish(env("EVENTS_TOPIC_ARN"), dumps(failed), sns_attributes(failed))
    return "timed-out"


def _record(record: dict[str, Any]) -> None:
    message = loads(record.get("body") or "")
    outcome = check(message)
    event_id = message["event"]["eventId"]
    logger.info(
        f"lifecycle check: {outcome}", eventId=event_id, outcome=outcome, expectStatus=message["expectStatus"]
    )


def handler(event: dict[str, Any], context: LambdaContext) -> BatchResponse:
    logger.inject_lambda_context(context)
    return process_partial_batch(event, _record, context, logger)
