"""A live timeline of commands: watches DynamoDB (history items) and the subscriber mock, and prints each
status change as it happens, then a summary (statuses with offsets, end-to-end latency).

    tl = Timeline(cloud, out=print).start()
    tl.track(event_id, "HORN_BLOW WVW...001")
    ...
    tl.stop(); tl.summary_lines()
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from remote_services.events_table import HISTORY_PREFIX, STATE_SK
from remote_services.status import RANKS

if TYPE_CHECKING:
    from localcloud.cloud import LocalCloud


@dataclass
class Tracked:
    """One command (or vehicle event) followed by the timeline."""

    event_id: str
    label: str
    first_seen_ms: int | None = None
    statuses: list[tuple[str, int, str | None]] = field(default_factory=list)  # (status, updatedMs, reason)
    push_ms: int | None = None
    push: dict[str, Any] | None = None
    seen: set[str] = field(default_factory=set)  # history sort keys already shown
    done_at: float | None = None  # monotonic time the push was seen (polling goes on a little)

    @property
    def final(self) -> tuple[str, str | None] | None:
        for status, _ms, reason in self.statuses:
            if status in ("EXECUTED", "FAILED"):
                return status, reason
        return None

    @property
    def latency_ms(self) -> int | None:
        """End to end: first seen at the API -> the final push (its pushedMs)."""
        if self.push_ms is None or self.first_seen_ms is None:
            return None
        return self.push_ms - self.first_seen_ms


class Timeline:
    """Polls the tracked events every `interval_s` and prints what changed."""

    def __init__(
        self, cloud: LocalCloud, out: Callable[[str], None] = print, interval_s: float = 0.1
    ) -> None:
        self.cloud = cloud
        self.out = out
        self.interval_s = interval_s
        self.tracked: dict[str, Tracked] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.t0_ms = int(time.time() * 1000)

    def start(self) -> Timeline:
        self._thread = threading.Thread(target=self._run, name="timeline", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self.poll()

    def track(self, event_id: str, label: str) -> Tracked:
        with self._lock:
            t = self.tracked.setdefault(event_id, Tracked(event_id, label))
        return t

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                self.poll()
            except Exception as exc:  # the timeline must not kill the demo
                self.out(f"  (timeline: {exc!r})")

    def poll(self) -> None:
        """Read new history entries and pushes; print each new one."""
        with self._lock:
            items = list(self.tracked.values())
        for t in items:
            if t.done_at is not None and time.monotonic() - t.done_at > 3.0:
                continue  # late (stale) reports are still recorded for 3 s after the push
            rows = self.cloud.event_items(t.event_id)
            for row in rows:
                if row.get("sk") == STATE_SK and row.get("firstSeenMs") is not None:
                    t.first_seen_ms = int(row["firstSeenMs"])
            hist = sorted(
                (r for r in rows if str(r.get("sk", "")).startswith(HISTORY_PREFIX)),
                key=lambda r: (int(r.get("updatedMs", 0)), RANKS.get(str(r.get("status")), 9)),
            )
            for row in hist:
                if row["sk"] in t.seen:
                    continue
                t.seen.add(str(row["sk"]))
                entry = (str(row["status"]), int(row["updatedMs"]), row.get("failureReason"))
                t.statuses.append(entry)
                t.statuses.sort(key=lambda e: (e[1], RANKS.get(e[0], 9)))
                self.out(self._line(t, entry))
            if t.push_ms is None:
                pushes = self.cloud.subscriber.for_event(t.event_id)
                if pushes:
                    body = pushes[0].body
                    t.push = body
                    t.done_at = time.monotonic()
                    t.push_ms = int(body.get("pushedMs", pushes[0].received_ms))
                    if t.first_seen_ms is None and body.get("firstSeenMs") is not None:
                        t.first_seen_ms = int(body["firstSeenMs"])
                    lat = t.latency_ms
                    self.out(
                        f"  {self._clock(t.push_ms)}  {t.label:<34} push {body.get('result')}"
                        + (f" ({body['reason']})" if body.get("reason") else "")
                        + (f"  end-to-end {lat} ms" if lat is not None else "")
                    )

    def _clock(self, ms: int) -> str:
        return f"+{(ms - self.t0_ms) / 1000:7.3f}s"

    def _line(self, t: Tracked, entry: tuple[str, int, str | None]) -> str:
        status, ms, reason = entry
        rel = f" (+{ms - t.first_seen_ms} ms)" if t.first_seen_ms is not None else ""
        return f"  {self._clock(ms)}  {t.label:<34} {status}{' ' + str(reason) if reason else ''}{rel}"

    def summary_lines(self) -> list[str]:
        """One line per tracked event: statuses with offsets from first sight, latency."""
        lines = []
        for t in self.tracked.values():
            base = t.first_seen_ms or (t.statuses[0][1] if t.statuses else 0)
            chain = " -> ".join(f"{s}@{ms - base}ms" + (f"[{r}]" if r else "") for s, ms, r in t.statuses)
            lat = t.latency_ms
            lines.append(
                f"  {t.label:<34} {chain or '(no status)'}"
                + (f"   end-to-end {lat} ms" if lat is not None else "")
            )
        return lines
