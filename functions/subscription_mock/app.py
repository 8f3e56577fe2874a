"""subscription_mock (Function URL, test harness only): the push subscriber. `POST /push` stores the
push with its latency, `GET /pushes?notificationId=` lists one event's pushes, `GET /stats?sinceMs=`
answers count, P50, P90, P99 and max of the latencies (remote_services.harness.subscription)."""

from __future__ import annotations

from remote_services.aws import DynamoDB
from remote_services.harness.subscription import SubscriptionMock
from remote_services.obs.logger import Logger

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from remote_services.typedefs import LambdaContext

logger = Logger()
subscription = SubscriptionMock(DynamoDB(), logger)


def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    logger.inject_lambda_context(context)
    return subscription.handle(event)
