"""The push of a final event to the subscriber: at least once, one notificationId per event.

The push is two-phase (``EventsTable.claim_push``): claim it with a lease, POST (1 s timeout, retry),
then mark it DONE. A consumer killed between the claim and DONE leaves a claim that expires: the
redelivered record takes it over and pushes again (same notificationId: the receiver drops the
repeat). A push that finally fails gives the claim back and raises (SQS retries, then the DLQ).
"""

from __future__ import annotations

from .clock import now_ms
from .events_table import expires_at
from .http_post import PostError, post_json
from .settings import env_opt
from .status import is_final

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from .events_table import EventsTable
    from .typedefs import Envelope

PUSH_TIMEOUT_S = 1.0
PUSH_ATTEMPTS = 3
# A claim outlives its holder by at most this: longer than the whole push (3 x 1 s + backoff).
LEASE_MS = 10_000


class PushInProgress(RuntimeError):
    """Another consumer holds a live claim on this push: retry the record later (transient)."""


def subscriber_message(event: Envelope, pushed_ms: int) -> dict[str, Any]:
    """The external subscriber's format (notificationId = eventId: the same for every repeat)."""
    message: dict[str, Any] = {
        "notificationId": event["eventId"],
        "vin": event["vin"],
        "service": event["serviceType"],
        "result": event["status"],
        "source": event["source"],
        "firstSeenMs": event["firstSeenMs"],
        "pushedMs": pushed_ms,
    }
    if "failureReason" in event:
        message["reason"] = event["failureReason"]
    return message


class Pushed:
    """The outcome of one push: "pushed" (at ``pushed_ms``, ``taken_over`` if another consumer took
    the claim meanwhile), "duplicate" (pushed before) or "not-final" (nothing to push)."""

    __slots__ = ("outcome", "pushed_ms", "taken_over")

    def __init__(self, outcome: str, pushed_ms: int | None = None, taken_over: bool = False) -> None:
        self.outcome, self.pushed_ms, self.taken_over = outcome, pushed_ms, taken_over


def push(table: EventsTable, event: Envelope, claim_id: str, subscriber_url: str, ttl_days: int) -> Pushed:
    """Push one final event. Raises PostError if the push failed (the claim is given back) and
    PushInProgress while another consumer's claim is live."""
    if not is_final(event["status"]):
        return Pushed("not-final")
    now = now_ms()
    claim = table.claim_push(event, claim_id, now, LEASE_MS, expires_at(now, ttl_days))
    if claim == "done":
        return Pushed("duplicate")
    if claim == "leased":
        raise PushInProgress(f"the push of {event['eventId']} is claimed by another consumer")
    pushed_ms = now_ms()
    try:
        message = subscriber_message(event, pushed_ms)
        post_json(
            subscriber_url,
            message,
            timeout_s=PUSH_TIMEOUT_S,
            attempts=PUSH_ATTEMPTS,
            auth=env_opt("SUBSCRIBER_AUTH"),  # AWS_IAM: the test harness's subscription mock (a Function URL)
        )
    except PostError:
        table.release_push(event["eventId"], claim_id)
        raise
    taken_over = not table.finish_push(event["eventId"], claim_id, pushed_ms)
    return Pushed("pushed", pushed_ms, taken_over)
