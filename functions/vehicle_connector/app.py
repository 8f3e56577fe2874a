"""vehicle_connector (OutgoingQueue): hand each PENDING command to the broker API, encoded for the
vehicle's generation (remote_services.outgoing: never a command that already ended; a broker that
refuses every attempt decides FAILED/BROKER_UNAVAILABLE, one that does not answer in time decides
nothing: it may have delivered)."""

from __future__ import annotations

from remote_services.aws import DynamoDB, Sns
from remote_services.envelope import from_sqs_record
from remote_services.obs.logger import Logger
from remote_services.outgoing import CommandSender
from remote_services.sqs_handler import SqsBatchHandler

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

logger = Logger()
sender = CommandSender(DynamoDB(), Sns(), logger)


def _record(record: dict[str, Any]) -> None:
    event = from_sqs_record(record)
    outcome = sender.send(event)
    generation = event.get("vehicle", {}).get("generation")
    logger.info(
        f"command {outcome}", eventId=event["eventId"], serviceType=event["serviceType"],
        generation=generation, outcome=outcome,
    )


handler = SqsBatchHandler(_record, logger)
