"""The events table in one place: its item kinds, and the rules that keep the STATE item true.

Items of one event (partition key ``eventId``, sort key ``sk``):
- ``STATE``: the current status, the envelope flattened. It is written by the component that DECIDES
  a status (the creation workflow: PENDING or a refusal; the incoming workflow: the vehicle's
  reports; the lifecycle checker: TIMEOUT; the vehicle connector: BROKER_UNAVAILABLE), with the rank
  condition, BEFORE that component publishes. Only the writer that won publishes, so exactly one
  final status is ever published per event (again on a retry: same status, same ``updatedMs``).
- ``H#<updatedMs, 13 digits>#<status>``: the history, written by the persister from the topic.
- ``LATE#<receivedMs, 13 digits>#<status>``: a vehicle report that came after the event had moved on
  (kept for audit, not part of the history that GET returns); written by the incoming workflow.
- ``PUSH``: the distributor's two-phase push claim (CLAIMED with a lease, then DONE).
"""

from __future__ import annotations

from .attribute_values import from_item, serialize, to_item
from .aws import ConditionalCheckFailed
from .status import rank

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from .aws import DynamoDB
    from .typedefs import Envelope

STATE_SK = "STATE"
PUSH_SK = "PUSH"
HISTORY_PREFIX = "H#"
LATE_PREFIX = "LATE#"
PUSH_CLAIMED = "CLAIMED"
PUSH_DONE = "DONE"
DAY_S = 86400


def history_sk(event: Envelope) -> str:
    return f"{HISTORY_PREFIX}{event['updatedMs']:013d}#{event['status']}"


def expires_at(now_ms: int, ttl_days: int) -> int:
    """The TTL attribute (epoch seconds) of an item written at `now_ms`."""
    return now_ms // 1000 + ttl_days * DAY_S


def state_fields(event: Envelope, expires: int) -> dict[str, Any]:
    """The STATE item's attributes: the envelope flattened (docs/CONTRACTS.md)."""
    fields: dict[str, Any] = {
        "vin": event["vin"],
        "serviceType": event["serviceType"],
        "status": event["status"],
        "statusRank": rank(event["status"]),
        "source": event["source"],
        "colour": event["colour"],
        "firstSeenMs": event["firstSeenMs"],
        "updatedMs": event["updatedMs"],
        "traceId": event["traceId"],
        "parameters": event["parameters"],
        "expiresAt": expires,
    }
    for key in ("owner", "failureReason"):
        if key in event:
            fields[key] = event[key]
    if "vehicle" in event:
        fields["generation"] = event["vehicle"]["generation"]
        fields["country"] = event["vehicle"]["country"]
    return fields


def holds(state: dict[str, Any] | None, event: Envelope) -> bool:
    """True if the STATE item already holds this very decision (a retry after a crash between the
    STATE write and the publish must publish it again)."""
    return (
        state is not None
        and state.get("status") == event["status"]
        and state.get("updatedMs") == event["updatedMs"]
        and state.get("failureReason") == event.get("failureReason")
    )


class EventsTable:
    """Data access for one events table (every request body of the Lambdas is built here)."""

    def __init__(self, dynamodb: DynamoDB, name: str) -> None:
        self.dynamodb = dynamodb
        self.name = name

    def _key(self, event_id: str, sk: str) -> dict[str, Any]:
        return to_item({"eventId": event_id, "sk": sk})

    # --- STATE ---------------------------------------------------------------------------------
    def read_state(self, event_id: str) -> dict[str, Any] | None:
        """The STATE item as plain values (strongly consistent), None if there is none."""
        reply = self.dynamodb.call(
            "GetItem", {"TableName": self.name, "ConsistentRead": True, "Key": self._key(event_id, STATE_SK)}
        )
        item = reply.get("Item")
        if not isinstance(item, dict):
            return None
        return from_item(item)

    def decide(self, event: Envelope, over_rank: int, expires: int) -> bool:
        """Make `event` the current status if STATE is absent or its rank is at most `over_rank`, or if
        STATE already holds this very decision (same status, reason and updatedMs: a retry). Returns
        True when `event` is the truth (publish it), False when another decision won (publish nothing).
        """
        fields = state_fields(event, expires)
        values: dict[str, Any] = {
            ":over": serialize(over_rank),
            ":status": serialize(event["status"]),
            ":updated": serialize(event["updatedMs"]),
        }
        same = "(#status = :status AND updatedMs = :updated)"
        try:
            self.dynamodb.call(
                "PutItem",
                {
                    "TableName": self.name,
                    "Item": to_item({"eventId": event["eventId"], "sk": STATE_SK, **fields}),
                    "ConditionExpression": f"attribute_not_exists(sk) OR statusRank <= :over OR {same}",
                    "ExpressionAttributeNames": {"#status": "status"},
                    "ExpressionAttributeValues": values,
                },
            )
        except ConditionalCheckFailed:
            return False
        return True

    # --- history and audit ------------------------------------------------------------------------
    def put_history(self, event: Envelope, expires: int) -> bool:
        """One history item per published status change; False if it was there already (a repeat)."""
        item: dict[str, Any] = {
            "eventId": event["eventId"],
            "sk": history_sk(event),
            "status": event["status"],
            "updatedMs": event["updatedMs"],
            "expiresAt": expires,
        }
        if "failureReason" in event:
            item["failureReason"] = event["failureReason"]
        try:
            self.dynamodb.call(
                "PutItem",
                {
                    "TableName": self.name,
                    "Item": to_item(item),
                    "ConditionExpression": "attribute_not_exists(sk)",
                },
            )
        except ConditionalCheckFailed:
            return False
        return True

    # --- the push claim (two-phase, leased) -------------------------------------------------------
    def claim_push(self, event: Envelope, claim_id: str, now: int, lease_ms: int, expires: int) -> str:
        """Take the push of `event`: "claimed" (push now), "done" (pushed before: a repeat) or "leased"
        (another consumer holds a live claim: retry later). An expired claim (its holder died between
        the claim and the subscriber's answer) is taken over, and so is a claim with this `claim_id`."""
        try:
            self.dynamodb.call(
                "UpdateItem",
                {
                    "TableName": self.name,
                    "Key": self._key(event["eventId"], PUSH_SK),
                    "UpdateExpression": "SET pushState = :claimed, claimId = :c, leaseUntilMs = :lease, "
                    "#status = :status, expiresAt = :exp, attempts = if_not_exists(attempts, :zero) + :one",
                    # a claim whose lease ended is taken over; our own claim is taken again (a retried
                    # call whose first attempt was written but not answered)
                    "ConditionExpression": "attribute_not_exists(sk) OR "
                    "(pushState = :claimed AND (leaseUntilMs < :now OR claimId = :c))",
                    "ExpressionAttributeNames": {"#status": "status"},
                    "ExpressionAttributeValues": {
                        ":claimed": serialize(PUSH_CLAIMED),
                        ":c": serialize(claim_id),
                        ":lease": serialize(now + lease_ms),
                        ":status": serialize(event["status"]),
                        ":exp": serialize(expires),
                        ":now": serialize(now),
                        ":zero": serialize(0),
                        ":one": serialize(1),
                    },
                },
            )
        except ConditionalCheckFailed:
            reply = self.dynamodb.call(
                "GetItem",
                {"TableName": self.name, "ConsistentRead": True, "Key": self._key(event["eventId"], PUSH_SK)},
            )
            state = reply.get("Item", {}).get("pushState", {}).get("S")
            return "leased" if state == PUSH_CLAIMED else "done"
        return "claimed"

    def finish_push(self, event_id: str, claim_id: str, pushed_ms: int) -> bool:
        """Mark the push DONE (only by the claim that pushed); False if the claim was taken over."""
        try:
            self.dynamodb.call(
                "UpdateItem",
                {
                    "TableName": self.name,
                    "Key": self._key(event_id, PUSH_SK),
                    "UpdateExpression": "SET pushState = :done, pushedMs = :p REMOVE leaseUntilMs",
                    "ConditionExpression": "claimId = :c",
                    "ExpressionAttributeValues": {
                        ":done": serialize(PUSH_DONE),
                        ":p": serialize(pushed_ms),
                        ":c": serialize(claim_id),
                    },
                },
            )
        except ConditionalCheckFailed:
            return False
        return True

    def release_push(self, event_id: str, claim_id: str) -> bool:
        """Give the claim back at once (the push failed): the next receive may push immediately.
        False if the claim is no longer ours."""
        try:
            self.dynamodb.call(
                "UpdateItem",
                {
                    "TableName": self.name,
                    "Key": self._key(event_id, PUSH_SK),
                    "UpdateExpression": "SET leaseUntilMs = :zero",
                    "ConditionExpression": "claimId = :c AND pushState = :claimed",
                    "ExpressionAttributeValues": {
                        ":zero": serialize(0),
                        ":c": serialize(claim_id),
                        ":claimed": serialize(PUSH_CLAIMED),
                    },
                },
            )
        except ConditionalCheckFailed:
            return False
        return True


def release_lock(dynamodb: DynamoDB, lock_table: str, vin: str, event_id: str) -> bool:
    """Free the vehicle for its next command, if `event_id` still holds it; True if it was released."""
    try:
        dynamodb.call(
            "DeleteItem",
            {
                "TableName": lock_table,
                "Key": to_item({"vin": vin}),
                "ConditionExpression": "eventId = :eventId",
                "ExpressionAttributeValues": {":eventId": serialize(event_id)},
            },
        )
    except ConditionalCheckFailed:
        return False
    return True
