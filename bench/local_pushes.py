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

The local cloud's moto runs in the benchmark's own process: there the feed reads PushesTable from
moto's memory (`localcloud.aws.moto_tables`), only the partitions that changed since the last poll.
A Scan every 0.2 s deep-copies every push of the run so far: the observer's cost grew with the run
inside the process it measures (most of the Scans' 31 % of the GIL 150 s into a run at 3/s).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from localcloud.aws.moto_tables import item_json, snapshot, table_in_process
from localcloud.cloud import LocalCloud
from localcloud.readback import plain

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
        table = cloud.physical("PushesTable")
        self._moto_table = table_in_process(cloud.endpoint.url, table, cloud.region, "testing")
        self._partition_sizes: dict[Any, int] = {}  # in memory: items seen per notificationId

    def poll(self, force: bool = False) -> list[Push]:
        """The pushes that arrived since the last poll (arrival order)."""
        if not force and time.monotonic() - self._last_poll < self._min_interval_s:
            return []
        self._last_poll = time.monotonic()
        since = max(self._from_ms, max((p.received_ms for p in self.pushes), default=0) - OVERLAP_MS)
        found = self._changed_in_memory(since) if self._moto_table is not None else None
        if found is None:
            found = self._mocks.all_pushes(since)
        fresh: list[Push] = []
        for item in sorted(found, key=lambda i: int(i["receivedMs"])):
            key = (str(item["notificationId"]), str(item["sk"]))
            if key not in self._keys:
                self._keys.add(key)
                fresh.append(Push(item["body"], int(item["receivedMs"])))
        self.pushes += fresh
        return fresh

    def _changed_in_memory(self, since_ms: int) -> list[dict[str, Any]]:
        """The items received since `since_ms` of the partitions that grew since the last poll."""
        table: Any = self._moto_table
        changed: list[dict[str, Any]] = []
        for key, partition in snapshot(table.items):
            size = len(partition) if table.range_key_attr else 1
            if self._partition_sizes.get(key) == size:
                continue
            self._partition_sizes[key] = size
            for item in items_of_partition(table, partition):
                received = item.attrs.get("receivedMs")
                if received is not None and int(received.value) >= since_ms:
                    changed.append(plain(item_json(item)))
        return changed


def items_of_partition(table: Any, partition: Any) -> list[Any]:
    """The items of one partition of a moto table (one item if the table has no range key)."""
    return [item for _, item in snapshot(partition)] if table.range_key_attr else [partition]


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
