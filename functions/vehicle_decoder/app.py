"""vehicle_decoder (Pipes enrichment): SQS records -> one update or "undecodable" entry per record.

Never raises for a bad record: it becomes {"kind": "undecodable", "error", "body"} and the workflow
sends it to the incoming DLQ, so nothing is lost.
"""

from __future__ import annotations

from lambda_runtime import jsonlite

from remote_services.errors import DecodeError, ValidationError
from remote_services.obs.logger import Logger
from remote_services.vehicles import decode_vehicle_message

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from remote_services.typedefs import LambdaContext

logger = Logger()


def _received_ms(message: dict[str, Any], record: object) -> int:
    """The broker's receivedMs; else the queue's SentTimestamp."""
    value = message.get("receivedMs")
    if value is None and isinstance(record, dict):
        sent = (record.get("attributes") or {}).get("SentTimestamp")
        value = int(sent) if isinstance(sent, str) and sent.isdigit() else None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise DecodeError(f"receivedMs must be a non-negative integer (epoch ms), got {value!r}")
    return value


def decode_record(record: object) -> dict[str, Any]:
    """One Pipes SQS record -> {"kind": "update", ..., "receivedMs"} or {"kind": "undecodable", ...}."""
    body = record.get("body") if isinstance(record, dict) else None
    try:
        if not isinstance(body, str):
            raise DecodeError("the record has no string body")
        try:
            message = jsonlite.loads(body)
        except ValueError as exc:
            raise DecodeError(f"body is not JSON: {exc}") from None
        if not isinstance(message, dict) or "topic" not in message or "payload" not in message:
            raise DecodeError('body must be {"topic", "payload", "receivedMs"}')
        update = decode_vehicle_message(message["topic"], message["payload"])
        received_ms = _received_ms(message, record)
    except (DecodeError, ValidationError) as exc:
        return {
            "kind": "undecodable",
            "error": str(exc),
            "body": body if isinstance(body, str) else jsonlite.dumps(record),
        }
    return {"kind": "update", **update, "receivedMs": received_ms}


def handler(event: list[Any], context: LambdaContext) -> list[dict[str, Any]]:
    logger.inject_lambda_context(context)
    if not isinstance(event, list):
        raise ValidationError(
            "event", f"must be the list of SQS records Pipes sends, got {type(event).__name__}"
        )
    out = [decode_record(record) for record in event]
    for record, result in zip(event, out, strict=True):
        if result["kind"] == "undecodable":
            message_id = record.get("messageId") if isinstance(record, dict) else None
            logger.warning(f"undecodable vehicle message: {result['error']}", messageId=message_id)
    return out
