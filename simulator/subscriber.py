"""The subscriber mock: records every push it receives (the app's push channel, or the disclosure authority).

sub = SubscriberMock().start();  sub.url
sub.pushes                       # list of Push (body + receivedMs), in arrival order
sub.wait_for(lambda p: p.body["notificationId"] == eid, timeout=10) -> Push | None
sub.fail_next(2)                 # answer 503 to the next two pushes (retry tests)
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from simulator.httpmock import MockEndpoint


@dataclass(frozen=True)
class Push:
    """One received push."""

    body: Any
    received_ms: int
    path: str


class SubscriberMock(MockEndpoint):
    """An HTTP endpoint that records JSON pushes; thread-safe."""

    path = "/push"

    def __init__(self, name: str = "subscriber") -> None:
        self._lock: threading.Condition = threading.Condition()
        super().__init__(self._lock)
        self.name = name
        self._pushes: list[Push] = []

    def _handle(self, path: str, body: Any) -> tuple[int, Any]:
        with self._lock:
            if self._refuse():
                return 503, {"error": "UNAVAILABLE"}
            self._pushes.append(Push(body, int(time.time() * 1000), path))
            self._lock.notify_all()
        return 200, {"ok": True}

    @property
    def pushes(self) -> list[Push]:
        with self._lock:
            return list(self._pushes)

    def for_event(self, event_id: str) -> list[Push]:
        """Pushes whose notificationId is `event_id`."""
        return [
            p for p in self.pushes if isinstance(p.body, dict) and p.body.get("notificationId") == event_id
        ]

    def wait_for(self, predicate: Callable[[Push], bool], timeout: float = 10.0) -> Push | None:
        """The first push that matches, waiting up to `timeout` seconds for it."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                for p in self._pushes:
                    if predicate(p):
                        return p
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self._lock.wait(left)

    def clear(self) -> None:
        with self._lock:
            self._pushes.clear()
