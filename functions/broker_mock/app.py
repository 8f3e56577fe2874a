"""broker_mock (Function URL, test harness only): the broker team's API mock. `POST /publish` decodes
the command, answers as the VIN's broker behaviour says and puts the vehicle's planned answers on the
IncomingQueue; `POST /raise` sends a vehicle-initiated event (remote_services.harness.broker)."""

from __future__ import annotations

from remote_services.aws import DynamoDB, Sqs
from remote_services.harness.broker import BrokerMock
from remote_services.obs.logger import Logger

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from remote_services.typedefs import LambdaContext

logger = Logger()
broker = BrokerMock(DynamoDB(), Sqs(), logger)


def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    logger.inject_lambda_context(context)
    return broker.handle(event)
