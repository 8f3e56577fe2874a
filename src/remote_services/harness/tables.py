"""The harness's two tables in one place: every request to HarnessTable (the behaviour per VIN, the
broker-call counter) and PushesTable (the pushes the subscription mock received) is built here.

HarnessTable: pk ``vin``; ``behaviour`` (JSON text, written by the runner), ``caseId``, ``expiresAt``,
``brokerCalls`` (N, ADDed atomically by the broker mock).
PushesTable: pk ``notificationId``, sk ``<receivedMs, 13 digits>#<requestId>``; ``receivedMs``,
``latencyMs``, ``body`` (the push as received, a map), ``expiresAt``; a disclosure record has pk = its
``recordId`` and ``kind`` "disclosure" (a push has no ``kind``).
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
        kind: str | None = None,
    ) -> None:
        item: dict[str, Any] = {
            "notificationId": notification_id,
            "sk": f"{received_ms:013d}#{request_id}",
            "receivedMs": received_ms,
            "latencyMs": latency_ms,
            "body": body,
            "expiresAt": expires,
        }
        if kind is not None:
            item["kind"] = kind
        self.dynamodb.call("PutItem", {"TableName": self.name, "Item": to_item(item)})

    def of_notification(self, notification_id: str, kind: str | None = None) -> list[dict[str, Any]]:
        """The pushes of one event (or, with `kind`, the records of that kind under that id), in
        arrival order."""
        items = _all_pages(
            self.dynamodb,
            "Query",
            {
                "TableName": self.name,
                "ConsistentRead": True,
                "KeyConditionExpression": "notificationId = :n",
                "ExpressionAttributeValues": {":n": serialize(notification_id)},
                "ProjectionExpression": "receivedMs, latencyMs, body, #k",
                "ExpressionAttributeNames": {"#k": "kind"},
            },
        )
        return [{k: v for k, v in item.items() if k != "kind"} for item in items if item.get("kind") == kind]

    def latencies_since(self, since_ms: int) -> list[int]:
        """`latencyMs` of every push (not a disclosure record) received at or after `since_ms` (a Scan: a
        test table is small)."""
        items = _all_pages(
            self.dynamodb,
            "Scan",
            {
                "TableName": self.name,
                "ConsistentRead": True,
                "FilterExpression": "receivedMs >= :s AND attribute_not_exists(#k)",
                "ExpressionAttributeNames": {"#k": "kind"},
                "ExpressionAttributeValues": {":s": serialize(since_ms)},
                "ProjectionExpression": "latencyMs",
            },
        )
        return [int(item["latencyMs"]) for item in items if "latencyMs" in item]
