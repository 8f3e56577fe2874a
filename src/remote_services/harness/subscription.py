"""The subscription mock behind its Function URL (docs/test-harness.md section 4): every push stored
with its time and latency (received - firstSeenMs), the pushes of one event, and latency statistics;
also the disclosure authority's stand-in: every disclosure record stored under its `recordId`.

    SubscriptionMock(dynamodb, logger).handle(event)   # the handler's whole body
"""

from __future__ import annotations

from ..clock import now_ms
from ..errors import ValidationError
from ..events_table import expires_at
from ..settings import env, env_int
from .function_url import UrlRequest, bad_request, not_found, respond
from .stats import latency_stats
from .tables import PushesTable

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    from ..aws import DynamoDB
    from ..obs.logger import Logger

PUSH_TTL_DAYS = 7
DISCLOSURE = "disclosure"  # the `kind` of a disclosure record in PushesTable (a push has none)


class SubscriptionMock:
    """Routes Function URL requests; the clock is injected (the tests pass their own)."""

    def __init__(self, dynamodb: DynamoDB, logger: Logger, clock: Callable[[], int] = now_ms) -> None:
        self.dynamodb, self.logger, self.clock = dynamodb, logger, clock

    def handle(self, event: dict[str, Any]) -> dict[str, Any]:
        try:
            request = UrlRequest(event)
            table = PushesTable(self.dynamodb, env("PUSHES_TABLE"))
            if request.method == "POST" and request.path == "/push":
                return self.push(table, request.json(), request.request_id)
            if request.method == "GET" and request.path == "/pushes":
                notification_id = request.query.get("notificationId", "")
                if not notification_id:
                    raise ValidationError("notificationId", "missing")
                return respond(200, {"pushes": table.of_notification(notification_id)})
            if request.method == "POST" and request.path == "/disclosure":
                return self.disclosure(table, request.json(), request.request_id)
            if request.method == "GET" and request.path == "/disclosures":
                record_id = request.query.get("recordId", "")
                if not record_id:
                    raise ValidationError("recordId", "missing")
                return respond(200, {"records": table.of_notification(record_id, DISCLOSURE)})
            if request.method == "GET" and request.path == "/stats":
                since = request.query_int("sinceMs", 0)
                return respond(200, latency_stats(table.latencies_since(since)))
        except ValidationError as exc:
            self.logger.warning(f"bad request: {exc.message}")
            return bad_request(exc)
        return not_found(request)

    def push(self, table: PushesTable, body: object, request_id: str) -> dict[str, Any]:
        """One push in the subscriber format: stored, answered 200."""
        if not isinstance(body, dict):
            raise ValidationError("body", "must be a JSON object")
        notification_id, first_seen = body.get("notificationId"), body.get("firstSeenMs")
        if not isinstance(notification_id, str) or not notification_id:
            raise ValidationError("notificationId", "must be a non-empty string")
        if isinstance(first_seen, bool) or not isinstance(first_seen, int):
            raise ValidationError("firstSeenMs", f"must be an integer, got {first_seen!r}")
        received = self.clock()
        ttl_days = env_int("PUSH_TTL_DAYS", PUSH_TTL_DAYS)
        latency = received - first_seen
        table.put(notification_id, request_id, received, latency, body, expires_at(received, ttl_days))
        self.logger.info("push received", notificationId=notification_id, latencyMs=latency)
        return respond(200, {"ok": True})

    def disclosure(self, table: PushesTable, body: object, request_id: str) -> dict[str, Any]:
        """One disclosure record (the authority's format, functions/disclosure): stored under its
        `recordId` with kind "disclosure" (never counted as a push), answered 200."""
        if not isinstance(body, dict):
            raise ValidationError("body", "must be a JSON object")
        record_id, first_seen = body.get("recordId"), body.get("firstSeenMs")
        if not isinstance(record_id, str) or not record_id:
            raise ValidationError("recordId", "must be a non-empty string")
        if isinstance(first_seen, bool) or not isinstance(first_seen, int):
            raise ValidationError("firstSeenMs", f"must be an integer, got {first_seen!r}")
        received = self.clock()
        ttl_days = env_int("PUSH_TTL_DAYS", PUSH_TTL_DAYS)
        latency = received - first_seen
        expires = expires_at(received, ttl_days)
        table.put(record_id, request_id, received, latency, body, expires, kind=DISCLOSURE)
        self.logger.info("disclosure received", recordId=record_id, latencyMs=latency)
        return respond(200, {"ok": True})
