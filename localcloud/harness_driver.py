"""Driving the deployed test harness from the local cloud (docs/test-harness.md).

    mocks = HarnessDriver(dynamodb, sqs, physical_ids, call_url, seeded_behaviours)
    mocks.behave(vin, {"ack": {"delayMs": 100}, "done": {"delayMs": 200}})  # the car's next answers
    mocks.raise_event(vin)               # a theft alarm, through the broker mock's POST /raise
    mocks.send_raw(topic, payload)       # a message on the IncomingQueue as the broker puts it
    mocks.pushes(event_id)               # what the subscription mock received, from PushesTable

The same operations the scenario runner performs over HTTP against a deployed stack, here with the
local cloud's boto3 clients: the tests use them to set up cases the runner does not express.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote

from localcloud import fleet_seed
from localcloud.readback import plain

# (logical id, method, path, body) -> (status, JSON)
CallUrl = Callable[[str, str, str, Any], tuple[int, Any]]


class HarnessError(RuntimeError):
    """The harness is not deployed, or one of its mocks answered with an error."""


class HarnessDriver:
    """The broker mock, the subscription mock and their tables, as a test drives them."""

    def __init__(
        self,
        dynamodb: Any,
        sqs: Any,
        physical_ids: Mapping[str, str],
        call_url: CallUrl,
        seeded: Mapping[str, Mapping[str, Any]],
    ) -> None:
        self._ddb, self._sqs, self._ids, self._call_url = dynamodb, sqs, physical_ids, call_url
        self.seeded = seeded  # VIN -> the behaviour record it was seeded with

    def _physical(self, logical_id: str) -> str:
        if logical_id not in self._ids:
            raise HarnessError(f"the template deployed no {logical_id} (DeployTestHarness off?)")
        return self._ids[logical_id]

    def send_raw(self, topic: str, payload: str, received_ms: int | None = None) -> None:
        """One message on the IncomingQueue as the broker puts it there (any topic and payload,
        malformed ones too): ``{"topic", "payload", "receivedMs"}``."""
        received = int(time.time() * 1000) if received_ms is None else received_ms
        body = json.dumps({"topic": topic, "payload": payload, "receivedMs": received})
        self._sqs.send_message(QueueUrl=self._physical("IncomingQueue"), MessageBody=body)

    def behave(self, vin: str, behaviour: Mapping[str, Any] | None, case_id: str = "local") -> None:
        """The vehicle answers the next commands as `behaviour` says (a behaviour record, section 1 of
        docs/test-harness.md; its broker call counter starts again at 0); None: as it was seeded."""
        record = self.seeded.get(vin, {}) if behaviour is None else behaviour
        self._ddb.put_item(
            TableName=self._physical("HarnessTable"), Item=fleet_seed.behaviour_item(vin, record, case_id)
        )

    def raise_event(
        self, vin: str, service_type: str = "THEFT_ALARM", count: int = 1, every_ms: int = 0
    ) -> None:
        """A vehicle-initiated event through the broker mock's ``POST /raise``."""
        body = {"vin": vin, "serviceType": service_type, "count": count, "everyMs": every_ms}
        status, answer = self._call_url("BrokerMockFunctionUrl", "POST", "/raise", body)
        if status != 202:
            raise HarnessError(f"POST /raise answered {status}: {answer}")

    def pushes(self, event_id: str) -> list[dict[str, Any]]:
        """The pushes the subscription mock received for one event, in arrival order: each
        ``{"receivedMs", "latencyMs", "body"}`` (``body``: the push as the subscriber got it). Read
        from PushesTable itself: it answers while a test holds or throttles the mock."""
        query = {
            "KeyConditionExpression": "notificationId = :n",
            "ExpressionAttributeValues": {":n": {"S": event_id}},
        }
        return self._read_pushes(query, "query")

    def all_pushes(self, since_ms: int = 0) -> list[dict[str, Any]]:
        """Every push received since `since_ms` (a Scan of PushesTable), in arrival order."""
        scan = {
            "FilterExpression": "receivedMs >= :t",
            "ExpressionAttributeValues": {":t": {"N": str(since_ms)}},
        }
        return self._read_pushes(scan, "scan")

    def disclosures(self, record_id: str) -> list[dict[str, Any]]:
        """The disclosure records the subscription mock received under one ``recordId``."""
        path = f"/disclosures?recordId={quote(record_id)}"
        status, answer = self._call_url("SubscriptionMockFunctionUrl", "GET", path, None)
        if status != 200:
            raise HarnessError(f"GET /disclosures answered {status}: {answer}")
        return list(answer["records"])

    def _read_pushes(self, request: dict[str, Any], operation: str) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        table = self._physical("PushesTable")
        kwargs: dict[str, Any] = {"TableName": table, "ConsistentRead": True, **request}
        while True:
            page = getattr(self._ddb, operation)(**kwargs)
            items += [plain(raw) for raw in page.get("Items", [])]
            if "LastEvaluatedKey" not in page:
                break
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        pushes = [item for item in items if "kind" not in item]  # a disclosure record has a kind
        return sorted(pushes, key=lambda item: str(item["sk"]))
