"""The harness's two tables in one place: every request to HarnessTable (the behaviour per VIN, the
broker-call counter) and PushesTable (the pushes the subscription mock received) is built here.

HarnessTable: pk ``vin``; ``behaviour`` (JSON text, written by the runner), ``caseId``, ``expiresAt``,
``brokerCalls`` (N, ADDed atomically by the broker mock).
PushesTable: pk ``notificationId``, sk ``<receivedMs, 13 digits>#<requestId>``; ``receivedMs``,
``latencyMs``, ``body`` (the push as received, a map), ``expiresAt``.
"""

from __future__ import annotations

from ..attribute_values import from_item, serialize, to_item
from ..aws import ConditionalCheckFailed

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from ..aws import DynamoDB


def _all_pages(dynamodb: DynamoDB, operation: str, request: dict[str, Any]) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    while True:
        reply = dynamodb.call(operation, request)
        items.extend(from_item(item) for item in reply.get("Items", []))
        last = reply.get("LastEvaluatedKey")
        if not last:
            return items
        request = {**request, "ExclusiveStartKey": last}


class HarnessTable:
    """The behaviour records (docs/test-harness.md section 1)."""

    def __init__(self, dynamodb: DynamoDB, name: str) -> None:
        self.dynamodb, self.name = dynamodb, name

    def item(self, vin: str) -> dict[str, Any] | None:
        """The VIN's item (strongly consistent: the runner wrote it just before), or None."""
        reply = self.dynamodb.call(
            "GetItem", {"TableName": self.name, "ConsistentRead": True, "Key": {"vin": serialize(vin)}}
        )
        item = reply.get("Item")
        return from_item(item) if item else None

    def count_call(self, vin: str) -> int:
        """Count one broker call of this VIN (atomic ADD); returns the count including this call.
        0 when the item is gone (its behaviour no longer applies)."""
        try:
            reply = self.dynamodb.call(
                "UpdateItem",
                {
                    "TableName": self.name,
                    "Key": {"vin": serialize(vin)},
                    "UpdateExpression": "ADD brokerCalls :one",
                    "ConditionExpression": "attribute_exists(vin)",
                    "ExpressionAttributeValues": {":one": serialize(1)},
                    "ReturnValues": "UPDATED_NEW",
                },
            )
        except ConditionalCheckFailed:
            return 0
        return int(from_item(reply.get("Attributes", {})).get("brokerCalls", 0))

    def put_behaviour(self, vin: str, behaviour_json: str, case_id: str, expires: int) -> None:
        """What the runner writes before a case (here for the tests and the local cloud's tools)."""
        item = {"vin": vin, "caseId": case_id, "behaviour": behaviour_json, "expiresAt": expires}
        self.dynamodb.call("PutItem", {"TableName": self.name, "Item": to_item(item)})


class PushesTable:
    """The pushes the subscription mock received (docs/test-harness.md section 4)."""

    def __init__(self, dynamodb: DynamoDB, name: str) -> None:
        self.dynamodb, self.name = dynamodb, name

    def put(
        self,
        notification_id: str,
        request_id: str,
        received_ms: int,
        latency_ms: int,
        body: dict[str, Any],
        expires: int,
    ) -> None:
        item = {
            "notificationId": notification_id,
            "sk": f"{received_ms:013d}#{request_id}",
            "receivedMs": received_ms,
            "latencyMs": latency_ms,
            "body": body,
            "expiresAt": expires,
        }
        self.dynamodb.call("PutItem", {"TableName": self.name, "Item": to_item(item)})

    def of_notification(self, notification_id: str) -> list[dict[str, Any]]:
        """The pushes of one event, in arrival order."""
        return _all_pages(
            self.dynamodb,
            "Query",
            {
                "TableName": self.name,
                "ConsistentRead": True,
                "KeyConditionExpression": "notificationId = :n",
                "ExpressionAttributeValues": {":n": serialize(notification_id)},
                "ProjectionExpression": "receivedMs, latencyMs, body",
            },
        )

    def latencies_since(self, since_ms: int) -> list[int]:
        """`latencyMs` of every push received at or after `since_ms` (a Scan: a test table is small)."""
        items = _all_pages(
            self.dynamodb,
            "Scan",
            {
                "TableName": self.name,
                "ConsistentRead": True,
                "FilterExpression": "receivedMs >= :s",
                "ExpressionAttributeValues": {":s": serialize(since_ms)},
                "ProjectionExpression": "latencyMs",
            },
        )
        return [int(item["latencyMs"]) for item in items if "latencyMs" in item]
