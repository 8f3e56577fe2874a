"""Benchmark phases that push the local cloud past what it finishes: bursts and overload.

burst:    `bursts` x `size` concurrent POSTs to distinct idle bench vehicles; after each burst, wait
          until every accepted command is final and pushed, then until the stage's token bucket
          holds a whole burst again (size / throttle rate).
overload: open-loop POSTs at `rate`/s (2x what the local cloud sustains) for `duration_s`, then a
          bounded drain until every accepted command is final and pushed.

Both report the API's answers (sent, 202, 429, other statuses), the truth accounting of the
accepted commands (bench/local_truth.py: final states, false timeouts, lost, repeated pushes, end
to end) read back from DynamoDB and the subscriber mock, the drain time and the dead-letter queues.
"""

from __future__ import annotations

import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from bench.local_pushes import PushFeed
from bench.local_readback import answering, dead_letter_counts, evidence, read_states, settle
from bench.local_truth import account, http_counts, percentiles, windows
from localcloud.cloud import LocalCloud
from localcloud.demo import request_service

Out = Callable[[str], None]
SERVICES = ("HORN_BLOW", "LIGHT_FLASH")
NO_ANSWER = 0  # the HTTP status recorded when the API did not answer (connection error, client timeout)


def utc_now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


class VehiclePool:
    """Idle bench vehicles, least recently used first (thread-safe)."""

    def __init__(self, vins: Iterable[str]) -> None:
        self._free: deque[str] = deque(vins)
        self._lock = threading.Lock()

    def take(self) -> str | None:
        with self._lock:
            return self._free.popleft() if self._free else None

    def take_many(self, n: int) -> list[str]:
        with self._lock:
            if len(self._free) < n:
                raise RuntimeError(f"{n} idle vehicles wanted, {len(self._free)} idle")
            return [self._free.popleft() for _ in range(n)]

    def give_back(self, vin: str) -> None:
        with self._lock:
            self._free.append(vin)


class CommandLog:
    """Every request of a phase (send offset, HTTP status, eventId) and which commands were pushed.
    A vehicle goes back to the pool when the API refused its command, or when its push arrived."""

    def __init__(self, cloud: LocalCloud, pool: VehiclePool) -> None:
        self.cloud = cloud
        self.pool = pool
        self.t0 = time.monotonic()
        self.t0_epoch_ms = time.time() * 1000
        self.sends: list[tuple[float, int, str | None]] = []
        self.accepted: dict[str, str] = {}  # eventId -> VIN
        self.error_samples: list[str] = []
        self._pushed: set[str] = set()  # notificationIds seen (any event)
        self.feed = PushFeed(cloud)
        self._lock = threading.Lock()

    def offset(self) -> float:
        return time.monotonic() - self.t0

    def send(self, vin: str, service: str) -> str | None:
        """POST one command for `vin` (blocking); returns the eventId when accepted."""
        sent_at = self.offset()
        try:
            res = request_service(self.cloud, "bench", vin, service)
            status, body = res.status, res.body
        except OSError as exc:  # no answer within the client's timeout, connection refused/reset
            status, body = NO_ANSWER, repr(exc)
        eid = str(body["eventId"]) if status == 202 and isinstance(body, dict) else None
        with self._lock:
            self.sends.append((sent_at, status, eid))
            if eid is None:
                if status not in (202, 429) and len(self.error_samples) < 20:
                    self.error_samples.append(f"{vin}: {status} {body}")
                self.pool.give_back(vin)
                return None
            self.accepted[eid] = vin
            if eid in self._pushed:
                self.pool.give_back(vin)
        return eid

    def collect(self, force: bool = False) -> None:
        """Take in the pushes received since the last call."""
        fresh = self.feed.poll(force)
        with self._lock:
            for push in fresh:
                eid = str(push.body.get("notificationId")) if isinstance(push.body, dict) else ""
                if eid in self._pushed:
                    continue
                self._pushed.add(eid)
                vin = self.accepted.get(eid)
                if vin is not None:
                    self.pool.give_back(vin)

    def open(self, event_ids: Iterable[str] | None = None) -> list[str]:
        """Accepted commands (of `event_ids`, default all) with no push yet."""
        self.collect(force=True)
        with self._lock:
            ids = list(self.accepted) if event_ids is None else list(event_ids)
            return [e for e in ids if e not in self._pushed]

    def push_bodies(self) -> list[Any]:
        self.collect(force=True)
        return [p.body for p in self.feed.pushes]

    def pushed_offsets(self) -> list[float]:
        """Arrival offsets (s) of the first push of each accepted command."""
        first: dict[str, float] = {}
        for p in self.feed.pushes:
            eid = str(p.body.get("notificationId")) if isinstance(p.body, dict) else ""
            if eid in self.accepted and eid not in first:
                first[eid] = (p.received_ms - self.t0_epoch_ms) / 1000
        return list(first.values())


def wait_pushed(
    log: CommandLog, event_ids: Iterable[str] | None, limit_s: float, out: Out, label: str
) -> float | None:
    """Wait until every accepted command (of `event_ids`) was pushed; seconds waited, None when the
    limit passed first. A progress line every 10 s."""
    ids = None if event_ids is None else list(event_ids)
    t0 = time.monotonic()
    next_report = t0 + 10
    while True:
        left = log.open(ids)
        if not left:
            return round(time.monotonic() - t0, 1)
        now = time.monotonic()
        if now - t0 >= limit_s:
            out(f"  {label}: {len(left)} accepted commands still without a push after {limit_s:.0f} s")
            return None
        if now >= next_report:
            out(f"  {label}: {now - t0:4.0f}s, {len(left)} accepted commands not final+pushed yet")
            next_report = now + 10
        time.sleep(0.2)


def truth(cloud: LocalCloud, log: CommandLog, out: Out, settle_limit_s: float = 60.0) -> dict[str, Any]:
    """After the drain: let the queues settle (late repeats show up), then account for every
    accepted command from DynamoDB's STATE and the subscriber's pushes."""
    settled = settle(cloud, settle_limit_s)
    log.collect(force=True)
    states = read_states(cloud, log.accepted)
    result = account(log.accepted, states, log.push_bodies(), answering(cloud))
    suspects = [*result["false_timeout_ids"], *result["lost_ids"], *result["push_disagree_ids"]]
    result["evidence"] = evidence(cloud, dict.fromkeys(suspects))
    out(
        f"  truth: accepted {result['accepted']}, final {result['final_states']}, "
        f"false timeouts {result['false_timeouts']}, lost {result['lost']}, "
        f"repeated pushes {result['repeated_pushes']}, e2e {result['end_to_end_ms']}"
    )
    return {"settle_s": settled, **result}


def fire_together(log: CommandLog, vins: list[str]) -> list[str]:
    """One POST per vehicle, all released at once (a barrier); the eventIds of the accepted ones."""
    barrier = threading.Barrier(len(vins))
    results: list[str | None] = [None] * len(vins)

    def fire(k: int, vin: str) -> None:
        barrier.wait()
        results[k] = log.send(vin, SERVICES[k % 2])

    threads = [threading.Thread(target=fire, args=(k, v)) for k, v in enumerate(vins)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return [e for e in results if e is not None]


def bench_burst(
    cloud: LocalCloud,
    pool: VehiclePool,
    out: Out,
    bursts: int = 5,
    size: int = 20,
    final_limit_s: float = 120.0,
) -> dict[str, Any]:
    """`bursts` bursts of `size` concurrent POSTs to distinct idle vehicles (see the module docstring)."""
    log = CommandLog(cloud, pool)
    started, load0 = utc_now(), os.getloadavg()
    throttle = cloud.api_throttle
    rows = []
    for b in range(bursts):
        t_burst = time.monotonic()
        eids = fire_together(log, pool.take_many(size))
        answered_s = round(time.monotonic() - t_burst, 2)
        done_s = wait_pushed(log, eids, final_limit_s, out, f"burst {b + 1}")
        statuses = [s for _, s, e in log.sends[-size:]]
        counts = http_counts(statuses)
        latencies = [
            float(p["pushedMs"] - p["firstSeenMs"])
            for p in log.push_bodies()
            if isinstance(p, dict) and p.get("notificationId") in set(eids)
        ]
        row = {
            "burst": b + 1,
            **counts,
            "all_answered_s": answered_s,
            "all_final_and_pushed_s": None if done_s is None else round(time.monotonic() - t_burst, 1),
            "end_to_end_ms": percentiles(latencies),
        }
        rows.append(row)
        out(
            f"burst {b + 1}/{bursts}: {counts['sent']} sent, {counts['accepted']} accepted, "
            f"{counts['throttled']} throttled, other {counts['other_http']}, answered in {answered_s} s, "
            f"final+pushed after {row['all_final_and_pushed_s']} s, e2e p50 "
            f"{row['end_to_end_ms'].get('p50')} max {row['end_to_end_ms'].get('max')} ms"
        )
        if throttle and b + 1 < bursts:  # let the stage's bucket hold a whole burst again
            time.sleep(max(0.0, size / throttle[0] - (time.monotonic() - t_burst)))
    result = {
        "config": {"bursts": bursts, "size": size, "api_throttle": list(throttle) if throttle else None},
        "utc_start": started,
        **http_counts(s for _, s, _ in log.sends),
        **truth(cloud, log, out),
        "bursts": rows,
        "dead_letter_messages": dead_letter_counts(cloud),
        "error_samples": log.error_samples,
        "utc_end": utc_now(),
        "loadavg": {"start": list(load0), "end": list(os.getloadavg())},
    }
    return result


def bench_overload(
    cloud: LocalCloud,
    pool: VehiclePool,
    rate: float,
    out: Out,
    duration_s: float = 60.0,
    drain_limit_s: float = 180.0,
    workers: int = 32,
) -> dict[str, Any]:
    """Open-loop POSTs at `rate`/s for `duration_s`, then the drain (see the module docstring)."""
    log = CommandLog(cloud, pool)
    started, load0 = utc_now(), os.getloadavg()
    outstanding = [0]
    lock = threading.Lock()
    client = {"backlog": 0, "no_idle_vehicle": 0}

    def send(vin: str, service: str) -> None:
        try:
            log.send(vin, service)
        finally:
            with lock:
                outstanding[0] -= 1

    t0 = log.t0
    next_report = t0 + 10
    with ThreadPoolExecutor(max_workers=workers) as executor:
        i = 0
        while (now := time.monotonic()) - t0 < duration_s:
            due = t0 + i / rate
            if due > now:
                time.sleep(min(due - now, 0.05))
                log.collect()
                continue
            i += 1
            with lock:
                full = outstanding[0] >= workers
                vin = None if full else pool.take()
                if vin is not None:
                    outstanding[0] += 1
            if full:
                client["backlog"] += 1  # every sender waits for an answer: this request is not sent
            elif vin is None:
                client["no_idle_vehicle"] += 1
            else:
                executor.submit(send, vin, SERVICES[i % 2])
            if now >= next_report:
                c = http_counts(s for _, s, _ in list(log.sends))
                out(
                    f"  overload: {now - t0:3.0f}s sent {c['sent']} accepted {c['accepted']} "
                    f"throttled {c['throttled']} other {c['other_http']} "
                    f"open {len(log.open())}"
                )
                next_report = now + 10
    sending_s = round(time.monotonic() - t0, 1)  # the executor waited for the last answers
    out(f"  overload: sending done after {sending_s} s; draining (up to {drain_limit_s:.0f} s)")
    drain_s = wait_pushed(log, None, drain_limit_s, out, "drain")
    counts = http_counts(s for _, s, _ in log.sends)
    accounted = truth(cloud, log, out)
    latency = {
        eid: float(b["pushedMs"] - b["firstSeenMs"])
        for b in reversed(log.push_bodies())
        if isinstance(b, dict) and (eid := str(b.get("notificationId"))) in log.accepted
    }
    pushed_at = log.pushed_offsets()
    until = max([duration_s, *pushed_at]) if pushed_at else duration_s
    return {
        "config": {
            "rate_per_s": rate,
            "duration_s": duration_s,
            "drain_limit_s": drain_limit_s,
            "workers": workers,
            "api_throttle": list(cloud.api_throttle) if cloud.api_throttle else None,
        },
        "utc_start": started,
        **counts,
        "client": client,
        "rates_per_s": {k: round(counts[k] / duration_s, 2) for k in ("sent", "accepted", "throttled")},
        "sending_s": sending_s,
        "drain_s": drain_s,
        **accounted,
        "dead_letter_messages": dead_letter_counts(cloud),
        "series_5s": windows(log.sends, latency, pushed_at, 5.0, until),
        "error_samples": log.error_samples,
        "utc_end": utc_now(),
        "loadavg": {"start": list(load0), "end": list(os.getloadavg())},
    }


def plot_overload(result: dict[str, Any], path: Path, title: str) -> None:
    """Offered, accepted, 429 and pushed per second, and the end-to-end P50/P99, over time."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    series = result["series_5s"]
    t = [row["t_s"] + 2.5 for row in series]
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(9, 6.5), sharex=True)
    for key, label in (
        ("offered_per_s", "offered"),
        ("accepted_per_s", "accepted (202)"),
        ("throttled_per_s", "throttled (429)"),
        ("pushed_per_s", "final pushes received"),
    ):
        top.plot(t, [row[key] for row in series], marker=".", label=label)
    top.set_ylabel("requests / s (5 s windows)")
    top.legend(loc="center left", fontsize="small")
    top.grid(alpha=0.3)
    for key, label in (("e2e_p50_ms", "P50"), ("e2e_p99_ms", "P99")):
        pts = [(x, row[key]) for x, row in zip(t, series, strict=True) if row[key] is not None]
        bottom.plot([p[0] for p in pts], [p[1] for p in pts], marker=".", label=f"end to end {label}")
    bottom.set_ylabel("ms (by acceptance time)")
    bottom.set_xlabel("seconds since the overload started")
    bottom.legend(loc="upper left", fontsize="small")
    bottom.grid(alpha=0.3)
    end = result["config"]["duration_s"]
    for ax in (top, bottom):
        ax.axvline(end, color="grey", linestyle="--", linewidth=1)
        ax.set_xlim(0, max(t[-1] + 2.5, end * 1.1))
    top.text(
        end, top.get_ylim()[1] * 0.02, "sending stops, drain ", fontsize="small", va="bottom", ha="right"
    )
    fig.suptitle(title, fontsize="medium")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
