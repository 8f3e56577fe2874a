"""Reading one event back from the EventsTable (STATE, H#..., PUSH items), in plain JSON.

items = event_items(dynamodb_client, table_name, event_id)
state_of(items) -> the STATE item or None
history_of(items) -> the statuses in time order, as GET returns them

events = EventReader(dynamodb_client, table_name)  # the same, bound to one table:
events.items(id), events.state(id), events.history(id), events.wait_final(id, timeout=30)
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from remote_services.events_table import HISTORY_PREFIX, STATE_SK
from remote_services.status import RANKS


def event_items(ddb: Any, table: str, event_id: str) -> list[dict[str, Any]]:
    """Every item of one event (consistent read), in plain JSON."""
    resp = ddb.query(
        TableName=table,
        KeyConditionExpression="eventId = :e",
        ExpressionAttributeValues={":e": {"S": event_id}},
        ConsistentRead=True,
    )
    return [plain(i) for i in resp.get("Items", [])]


def state_of(items: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The STATE item among an event's items, or None."""
    return next((i for i in items if i.get("sk") == STATE_SK), None)


def history_of(items: list[dict[str, Any]]) -> list[str]:
    """The statuses of the event's history entries in time order, as GET returns them: the history
    ends with STATE's status (its H# item may not be written yet: STATE is written first); once the
    event is final, later H# items are audit only."""
    state = state_of(items)
    end = int(state["updatedMs"]) if state and state.get("status") in ("EXECUTED", "FAILED") else None
    current = (int(state["updatedMs"]), str(state["status"])) if state and "updatedMs" in state else None
    entries = [i for i in items if str(i.get("sk", "")).startswith(HISTORY_PREFIX)]
    hist = sorted(
        (i for i in entries if end is None or int(i.get("updatedMs", 0)) <= end),
        key=lambda i: (int(i.get("updatedMs", 0)), RANKS.get(str(i.get("status")), 9)),
    )
    statuses = [str(i["status"]) for i in hist if (int(i.get("updatedMs", 0)), str(i["status"])) != current]
    return [*statuses, current[1]] if current else statuses


def plain(item: Mapping[str, Any]) -> dict[str, Any]:
    """A DynamoDB item (attribute values with their types) as plain JSON."""
    out: dict[str, Any] = {}
    for k, v in item.items():
        ((t, val),) = v.items()
        if t == "N":
            out[k] = int(val) if val.lstrip("-").isdigit() else float(val)
        elif t == "M":
            out[k] = plain(val)
        elif t == "L":
            out[k] = [plain({"x": x})["x"] for x in val]
        elif t == "NULL":
            out[k] = None
        elif t in ("SS", "NS"):
            out[k] = list(val)
        else:
            out[k] = val
    return out


class EventReader:
    """One event's STATE and history, read back from one EventsTable (what GET answers)."""

    def __init__(self, dynamodb: Any, table: str) -> None:
        self._ddb, self.table = dynamodb, table

    def items(self, event_id: str) -> list[dict[str, Any]]:
        """Every EventsTable item of one event (STATE, H#..., PUSH), in plain JSON."""
        return event_items(self._ddb, self.table, event_id)

    def state(self, event_id: str) -> dict[str, Any] | None:
        """The STATE item of an event, or None."""
        return state_of(self.items(event_id))

    def history(self, event_id: str) -> list[str]:
        """The statuses of the event's history entries in time order, as GET returns them: once the
        event is final, the history ends with its final status (later H# items are audit only)."""
        return history_of(self.items(event_id))

    def wait_final(self, event_id: str, timeout: float = 30.0) -> dict[str, Any] | None:
        """Poll until the event's STATE is final (EXECUTED/FAILED); None on timeout. It is read at
        least once, whatever the timeout."""
        deadline = time.monotonic() + timeout
        while True:
            st = self.state(event_id)
            if st and st.get("status") in ("EXECUTED", "FAILED"):
                return st
            if time.monotonic() >= deadline:
                return None
            time.sleep(0.05)
