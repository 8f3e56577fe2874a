"""persister (SQS, batch 10, partial failures): every status change -> a history item; the STATE item
only if the status rank is higher (first final wins); on a final status, release the vehicle lock.
Idempotent: a duplicate history item or a stale status is success."""

from __future__ import annotations

from remote_services.aws import ConditionalCheckFailed, DynamoDB
from remote_services.aws.attrs import serialize, to_item
from remote_services.envelope import from_sqs_record
from remote_services.obs.batch import process_partial_batch
from remote_services.obs.logger import Logger
from remote_services.settings import env, env_int, now_ms
from remote_services.status import is_final, rank

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from remote_services.typedefs import BatchResponse, Envelope, LambdaContext

logger = Logger()
dynamodb = DynamoDB()


def history_sk(event: Envelope) -> str:
    return f"H#{event['updatedMs']:013d}#{event['status']}"


def state_fields(event: Envelope, expires_at: int) -> dict[str, Any]:
    """The STATE item's attributes (the envelope flattened)."""
    fields: dict[str, Any] = {
        "vin": event["vin"],
        "serviceType": event["serviceType"],
        "status": event["status"],
        "statusRank": rank(event["status"]),
        "source": event["source"],
        "colour": event["colour"],
        "firstSeenMs": event["firstSeenMs"],
        "updatedMs": event["updatedMs"],
        "traceId": event["traceId"],
        "parameters": event["parameters"],
        "expiresAt": expires_at,
    }
    for key in ("owner", "failureReason"):
        if key in event:
            fields[key] = event[key]
    if "vehicle" in event:
        fields["generation"] = event["vehicle"]["generation"]
        fields["country"] = event["vehicle"]["country"]
    return fields


def persist(event: Envelope) -> str:
    """Store one event; returns what happened: "new", "stale" or "duplicate" (for the log)."""
    table = env("EVENTS_TABLE")
    expires_at = now_ms() // 1000 + env_int("EVENT_TTL_DAYS", 30) * 86400
    history: dict[str, Any] = {
        "eventId": event["eventId"],
        "sk": history_sk(event),
        "status": event["status"],
        "updatedMs": event["updatedMs"],
        "expiresAt": expires_at,
    }
    if "failureReason" in event:
        history["failureReason"] = event["failureReason"]
    outcome = "new"
    try:
        dynamodb.call(
            "PutItem",
            {"TableName": table, "Item": to_item(history), "ConditionExpression": "attribute_not_exists(sk)"},
        )
    except ConditionalCheckFailed:
        outcome = "duplicate"  # still (re)try the STATE update: a previous attempt may have stopped here
    fields = state_fields(event, expires_at)
    names = {f"#a{i}": name for i, name in enumerate(fields)}
    values = {f":a{i}": serialize(value) for i, value in enumerate(fields.values())}
    values[":rank"] = serialize(rank(event["status"]))
    rank_name = next(k for k, v in names.items() if v == "statusRank")
    try:
        dynamodb.call(
            "UpdateItem",
            {
                "TableName": table,
                "Key": to_item({"eventId": event["eventId"], "sk": "STATE"}),
                "UpdateExpression": "SET " + ", ".join(f"{n} = :{n[1:]}" for n in names),
                "ConditionExpression": f"attribute_not_exists({rank_name}) OR {rank_name} < :rank",
                "ExpressionAttributeNames": names,
                "ExpressionAttributeValues": values,
            },
        )
    except ConditionalCheckFailed:
        outcome = "duplicate" if outcome == "duplicate" else "stale"
    if is_final(event["status"]) and event["source"] == "APP":
        try:
            dynamodb.call(
                "DeleteItem",
                {
                    "TableName": env("LOCK_TABLE"),
                    "Key": to_item({"vin": event["vin"]}),
                    "ConditionExpression": "eventId = :eventId",
                    "ExpressionAttributeValues": {":eventId": serialize(event["eventId"])},
                },
            )
        except ConditionalCheckFailed:  # the lock is gone already or held by another event: fine
            logger.debug("lock not held by this event", eventId=event["eventId"], vin=event["vin"])
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


def handler(event: dict[str, Any], context: LambdaContext) -> BatchResponse:
    logger.inject_lambda_context(context)
    return process_partial_batch(event, _record, context, logger)
