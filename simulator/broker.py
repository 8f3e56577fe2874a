"""The broker mock: the broker team's HTTP API (`POST {topic, payload, correlationId}` -> 202).

Every accepted command is handed to `on_command(topic, payload, correlation_id)` (the vehicle
simulator, which must not block: it only schedules the vehicle's answers).
`fail_next(n)` answers 503 to the next n calls.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from simulator.httpmock import MockEndpoint

CommandSink = Callable[[str, str, str], None]


@dataclass(frozen=True)
class BrokerCall:
    """One accepted broker call."""

    topic: str
    payload: str
    correlation_id: str
    received_ms: int


class BrokerMock(MockEndpoint):
    """An HTTP endpoint that accepts commands for vehicles."""

    path = "/publish"

    def __init__(self, on_command: CommandSink | None = None) -> None:
        super().__init__(threading.Lock())
        self.on_command = on_command
        self._calls: list[BrokerCall] = []

    @property
    def calls(self) -> list[BrokerCall]:
        with self._lock:
            return list(self._calls)

    def _handle(self, path: str, body: Any) -> tuple[int, Any]:
        if not isinstance(body, dict):
            return 400, {"error": "BAD_REQUEST", "message": "body must be a JSON object"}
        topic, payload, corr = body.get("topic"), body.get("payload"), body.get("correlationId", "")
        if not isinstance(topic, str) or not isinstance(payload, str) or not topic:
            return 400, {"error": "BAD_REQUEST", "message": "topic and payload must be non-empty strings"}
        with self._lock:
            if self._refuse():
                return 503, {"error": "UNAVAILABLE", "message": "broker mock told to fail"}
            self._calls.append(BrokerCall(topic, payload, str(corr), int(time.time() * 1000)))
        if self.on_command is not None:
            self.on_command(topic, payload, str(corr))
        return 202, {"accepted": True}
