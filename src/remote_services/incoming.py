"""Vehicle reports read from the incoming queue -> one entry each for the incoming workflow:
- ``update``: a report on a command (it names the event id), with ``statusRank`` for the STATE
  condition; the workflow applies it only if the event's VIN is the reporting vehicle's;
- ``vehicle-event``: an event the vehicle raised itself (only service types the catalog marks as
  vehicle-initiated, e.g. THEFT_ALARM) with a stable event id (VIN, type, the vehicle's timestamp),
  so a repeated message is the same event;
- ``undecodable``: anything else, with ``reason`` and ``error``: the workflow parks it in the incoming
  DLQ (nothing is lost). Decoding never raises for a bad record.
The decoder emits VehicleReportsRejected (EMF, by Reason) for the undecodable ones (`emit_rejected`).
Every entry carries ``expiresAt`` (epoch s, the events table's TTL) for the items the workflow writes.
"""

from __future__ import annotations

from lambda_runtime import jsonlite

from .errors import DecodeError, ValidationError
from .events_table import expires_at
from .obs import catalog
from .status import rank
from .vehicles import decode_vehicle_message

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from .obs.metrics import Metrics


def _received_ms(message: dict[str, Any], record: object) -> int:
    """The broker's receivedMs; else the queue's SentTimestamp."""
    value = message.get("receivedMs")
    if value is None and isinstance(record, dict):
        sent = (record.get("attributes") or {}).get("SentTimestamp")
        value = int(sent) if isinstance(sent, str) and sent.isdigit() else None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise DecodeError(f"receivedMs must be a non-negative integer (epoch ms), got {value!r}")
    return value


def _undecodable(reason: str, error: str, body: object, record: object) -> dict[str, Any]:
    return {
        "kind": "undecodable",
        "reason": reason,
        "error": error,
        "body": body if isinstance(body, str) else jsonlite.dumps(record),
    }


def decode_record(record: object, ttl_days: int) -> dict[str, Any]:
    """One Pipes SQS record -> {"kind": "update" | "vehicle-event", ...} or {"kind": "undecodable", ...}."""
    body = record.get("body") if isinstance(record, dict) else None
    try:
        if not isinstance(body, str):
            raise DecodeError("the record has no string body")
        try:
            message = jsonlite.loads(body)
        except (ValueError, RecursionError) as exc:
            raise DecodeError(f"body is not JSON: {type(exc).__name__}: {exc}") from None
        if not isinstance(message, dict) or "topic" not in message or "payload" not in message:
            raise DecodeError('body must be {"topic", "payload", "receivedMs"}')
        update = decode_vehicle_message(message["topic"], message["payload"])
        received_ms = _received_ms(message, record)
    except (DecodeError, ValidationError) as exc:
        return _undecodable("UNDECODABLE", str(exc), body, record)
    entry: dict[str, Any] = {
        **update,
        "receivedMs": received_ms,
        "expiresAt": expires_at(received_ms, ttl_days),
    }
    # decode_vehicle_message guarantees: an event id on a command report, none on a vehicle-initiated one
    if "eventId" in update:
        return {"kind": "update", **entry, "statusRank": rank(update["status"])}
    event_id = f"{update['vin']}-{update['serviceType']}-{update['vehicleTs']}"
    return {"kind": "vehicle-event", **entry, "eventId": event_id}


def emit_rejected(metrics: Metrics, reasons: list[str]) -> None:
    """EMF VehicleReportsRejected: one document per reason, the count of the batch's records with it."""
    for reason in sorted(set(reasons)):
        metrics.add_dimension("Reason", reason)
        metrics.add_metric(catalog.VEHICLE_REPORTS_REJECTED, "Count", reasons.count(reason))
        metrics.flush(catalog.REJECTED_DIMENSIONS)
