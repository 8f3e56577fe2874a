"""disclosure (extension module): events of the configured countries and service types (the subscription's
MessageBody filter selects them) -> a disclosure record POSTed to DISCLOSURE_URL; partial batch failures."""

from __future__ import annotations

from remote_services.clock import now_ms
from remote_services.envelope import from_sqs_record
from remote_services.http_post import post_json
from remote_services.obs.logger import Logger
from remote_services.settings import env, env_opt
from remote_services.sqs_handler import SqsBatchHandler

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from remote_services.typedefs import Envelope

logger = Logger()


def disclosure_record(event: Envelope, reported_ms: int) -> dict[str, Any]:
    """What the authority receives (recordId is stable, so a retried POST can be de-duplicated there)."""
    record: dict[str, Any] = {
        "recordId": f"{event['eventId']}#{event['status']}",
        "eventId": event["eventId"],
        "vin": event["vin"],
        "serviceType": event["serviceType"],
        "status": event["status"],
        "source": event["source"],
        "country": event.get("vehicle", {}).get("country"),
        "occurredMs": event["updatedMs"],
        "firstSeenMs": event["firstSeenMs"],
        "reportedMs": reported_ms,
    }
    if "failureReason" in event:
        record["failureReason"] = event["failureReason"]
    return record


def _record(record: dict[str, Any]) -> None:
    event = from_sqs_record(record)
    post_json(
        env("DISCLOSURE_URL"),
        disclosure_record(event, now_ms()),
        timeout_s=1.0,
        attempts=3,
        auth=env_opt("DISCLOSURE_AUTH"),  # AWS_IAM: the test harness's subscription mock (a Function URL)
    )
    logger.info(f"disclosed {event['status']}", eventId=event["eventId"], serviceType=event["serviceType"])


handler = SqsBatchHandler(_record, logger)
