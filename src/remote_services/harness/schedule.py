"""Planned messages onto SQS: per-message DelaySeconds, and past SQS's 900 s cap the chain through
HarnessDelayQueue (docs/test-harness.md section 3).

    schedule(planned, now_ms, incoming_url, delay_url, send)    # the broker mock, at the command
    relay(record_body, now_ms, delay_url, send)                 # the relay, per HarnessDelayQueue record

`send(queue_url, body, delay_seconds)` is `Sqs().send_message` (a list appender in the tests). A delay
is rounded to the nearest second (SQS's unit): messages planned 500 ms or more apart keep their order.
"""

from __future__ import annotations

from lambda_runtime import jsonlite

from ..errors import ValidationError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from typing import Any

    Send = Callable[[str, str, int], object]

MAX_DELAY_S = 900  # SQS DelaySeconds cap
MAX_DELAY_MS = MAX_DELAY_S * 1000


def delay_seconds(delay_ms: int) -> int:
    """The DelaySeconds of a message due in `delay_ms` (nearest second, 0..900)."""
    return min(MAX_DELAY_S, max(0, (delay_ms + 500) // 1000))


def send_due(due_ms: int, now_ms: int, queue_url: str, body: str, delay_url: str, send: Send) -> str:
    """Send `body` to `queue_url` to arrive at `due_ms`: directly within 900 s, else to the delay queue
    (900 s) wrapped as {"dueMs","queueUrl","body"}. Returns "direct" or "chained"."""
    left_ms = due_ms - now_ms
    if left_ms <= MAX_DELAY_MS:
        send(queue_url, body, delay_seconds(left_ms))
        return "direct"
    wrapped = {"dueMs": due_ms, "queueUrl": queue_url, "body": body}
    send(delay_url, jsonlite.dumps(wrapped, separators=(",", ":")), MAX_DELAY_S)
    return "chained"


def schedule(
    planned: Sequence[tuple[int, dict[str, Any]]],
    now_ms: int,
    incoming_url: str,
    delay_url: str,
    send: Send,
) -> dict[str, int]:
    """Every planned (delayMs, broker message) on its way; returns {"direct": n, "chained": m}."""
    counts = {"direct": 0, "chained": 0}
    for delay_ms, message in planned:
        body = jsonlite.dumps(message, separators=(",", ":"))
        counts[send_due(now_ms + delay_ms, now_ms, incoming_url, body, delay_url, send)] += 1
    return counts


def parse_delayed(body: object) -> tuple[int, str, str]:
    """A HarnessDelayQueue message -> (dueMs, queueUrl, body); ValidationError if it is not one."""
    try:
        data = jsonlite.loads(body) if isinstance(body, (str, bytes)) else body
    except ValueError as exc:
        raise ValidationError("body", f"is not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ValidationError("body", "must be a JSON object")
    due, url, inner = data.get("dueMs"), data.get("queueUrl"), data.get("body")
    if isinstance(due, bool) or not isinstance(due, int):
        raise ValidationError("dueMs", f"must be an integer, got {due!r}")
    if not isinstance(url, str) or not url.startswith(("https://", "http://")):
        raise ValidationError("queueUrl", f"must be a queue URL, got {url!r}")
    if not isinstance(inner, str):
        raise ValidationError("body", "the delayed message body must be a string")
    return due, url, inner


def relay(body: object, now_ms: int, delay_url: str, send: Send, allowed: Sequence[str] = ()) -> str:
    """One delayed message: sent on when due within 900 s, else back to the delay queue. `allowed`
    (non-empty) lists the only target queues the relay may send to. Returns "direct" or "chained"."""
    due, url, inner = parse_delayed(body)
    if allowed and url not in allowed:
        raise ValidationError("queueUrl", f"{url} is not a queue the relay sends to")
    return send_due(due, now_ms, url, inner, delay_url, send)
