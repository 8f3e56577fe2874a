"""Lifecycle timing: when an event must have left its status, and the SQS delay until then."""

from __future__ import annotations

from . import catalog

TYPE_CHECKING = False
if TYPE_CHECKING:
    from .typedefs import Envelope

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
