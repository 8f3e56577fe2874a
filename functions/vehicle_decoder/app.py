"""vehicle_decoder (Pipes enrichment): the SQS records of vehicle reports -> one entry per record for
the incoming workflow: ``update``, ``vehicle-event`` or ``undecodable`` (remote_services.incoming).
It never raises for a bad record: the workflow parks an undecodable one in the incoming DLQ (EMF
VehicleReportsRejected by Reason)."""

from __future__ import annotations

from remote_services.errors import ValidationError
from remote_services.incoming import decode_record, emit_rejected
from remote_services.obs.logger import Logger
from remote_services.obs.metrics import Metrics
from remote_services.settings import env_int

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from remote_services.typedefs import LambdaContext

logger = Logger()
metrics = Metrics(service="")  # dimensions: exactly those of obs.catalog


def handler(event: list[Any], context: LambdaContext) -> list[dict[str, Any]]:
    logger.inject_lambda_context(context)
    if not isinstance(event, list):
        got = type(event).__name__
        raise ValidationError("event", f"must be the list of SQS records Pipes sends, got {got}")
    out = [decode_record(record, env_int("EVENT_TTL_DAYS", 30)) for record in event]
    for record, result in zip(event, out, strict=True):
        if result["kind"] == "undecodable":
            message_id = record.get("messageId") if isinstance(record, dict) else None
            reason = result["reason"]
            text = f"vehicle message parked ({reason}): {result['error']}"
            logger.warning(text, messageId=message_id, reason=reason)
    emit_rejected(metrics, [r["reason"] for r in out if r["kind"] == "undecodable"])
    return out
