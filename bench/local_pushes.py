"""The pushes the subscription mock received, as a stream the benchmark follows (PushesTable).

    feed = PushFeed(cloud)
    feed.poll() -> the pushes that arrived since the last poll, in arrival order (at most one Scan
                   every `min_interval_s`: a sooner call returns [])
    feed.pushes   # every push seen so far
    first_push(cloud, event_id, timeout) -> Push | None   # one event's first push (a Query)

The deployed test harness records every push in PushesTable (docs/test-harness.md, section 4); the
feed reads it with a Scan filtered on the arrival time, from a little before the newest push it has
seen (a push is written when it arrives, so a slow write may land behind a newer one), and keeps each
push once (its key: notificationId and sk).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from localcloud.cloud import LocalCloud

OVERLAP_MS = 5_000  # re-read this much before the newest push seen: writes that landed late


@dataclass(frozen=True)
class Push:
    """One push as the subscription mock received it."""

    body: Any
    received_ms: int


class PushFeed:
    """Follows PushesTable from the moment it is made (`since_ms`: from then, default now)."""

    def __init__(self, cloud: LocalCloud, since_ms: int | None = None, min_interval_s: float = 0.2) -> None:
        self._mocks = cloud.mocks
        self._min_interval_s, self._last_poll = min_interval_s, 0.0
        self._from_ms = int(time.time() * 1000) if since_ms is None else since_ms
        self._keys: set[tuple[str, str]] = set()
        self.pushes: list[Push] = []

    def poll(self, force: bool = False) -> list[Push]:
        """The pushes that arrived since the last poll (arrival order)."""
        if not force and time.monotonic() - self._last_poll < self._min_interval_s:
            return []
        self._last_poll = time.monotonic()
        since = max(self._from_ms, max((p.received_ms for p in self.pushes), default=0) - OVERLAP_MS)
        fresh: list[Push] = []
        for item in sorted(self._mocks.all_pushes(since), key=lambda i: int(i["receivedMs"])):
            key = (str(item["notificationId"]), str(item["sk"]))
            if key not in self._keys:
                self._keys.add(key)
                fresh.append(Push(item["body"], int(item["receivedMs"])))
        self.pushes += fresh
        return fresh


def first_push(cloud: LocalCloud, event_id: str, timeout: float = 30.0, every_s: float = 0.02) -> Push | None:
    """The first push of one event, waiting up to `timeout` s (a Query of PushesTable by its key)."""
    deadline = time.monotonic() + timeout
    while True:
        found = cloud.mocks.pushes(event_id)
        if found:
            return Push(found[0]["body"], int(found[0]["receivedMs"]))
        if time.monotonic() >= deadline:
            return None
        time.sleep(every_s)
