"""Lifecycle timing: when an event must have left its status, the SQS delay until then, and the
delay-queue message both lifecycle functions share ({"event", "expectStatus", "dueMs"})."""

from __future__ import annotations

from lambda_runtime import jsonlite

from . import catalog
from .envelope import parse_event
from .errors import ValidationError
from .status import RANKS

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import TypedDict

    from .typedefs import Envelope

    class DelayMessage(TypedDict):
        event: Envelope
        expectStatus: str
        dueMs: int


MAX_DELAY_S = 900  # SQS DelaySeconds cap


def _ceil(x: float) -> int:
    """math.ceil without the math extension module (one load less at a cold start); same errors."""
    n = int(x)  # toward zero; OverflowError for an infinity, ValueError for NaN, as math.ceil
    return n + 1 if n < x else n


def due_ms(event: Envelope, time_scale: float = 1.0) -> int:
    """updatedMs + the catalog's expected time for (serviceType, status) * time_scale."""
    expected = catalog.expected_ms(event["serviceType"], event["status"])
    return event["updatedMs"] + _ceil(expected * time_scale)


def delay_seconds(due: int, now: int) -> int:
    """SQS DelaySeconds for a check due at `due` (ms): ceil(remaining s), between 0 and 900."""
    return max(0, min(MAX_DELAY_S, _ceil((due - now) / 1000)))


def new_message(event: Envelope, time_scale: float = 1.0) -> DelayMessage:
    """The check of `event`'s current status."""
    return {"event": event, "expectStatus": event["status"], "dueMs": due_ms(event, time_scale)}


def parse_message(message: object) -> DelayMessage:
    """A delay-queue message, validated (ValidationError says what is wrong: poison, never retried)."""
    if not isinstance(message, dict):
        raise ValidationError("body", 'must be {"event", "expectStatus", "dueMs"}')
    event = parse_event(message.get("event"))
    expect, due = message.get("expectStatus"), message.get("dueMs")
    if expect not in RANKS:
        raise ValidationError("expectStatus", f"must be a status, got {expect!r}")
    if isinstance(due, bool) or not isinstance(due, int):
        raise ValidationError("dueMs", f"must be an integer (epoch ms), got {due!r}")
    return {"event": event, "expectStatus": str(expect), "dueMs": due}


def dump_message(message: DelayMessage) -> str:
    return str(jsonlite.dumps(message, separators=(",", ":")))
