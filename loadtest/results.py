"""A load test's result: the requests Artillery sent (its report and the processor's lines), joined
with the pushes the subscription mock recorded, so that end to end is first seen at the API -> pushed.

    summary(events, pushes, artillery_report, started_ms) -> the report's "result" (JSON-able)
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

SERIES_S = 10
SEED = {"p50Ms": 400, "p99Ms": 1000}  # the seed's end-to-end thresholds (and zero errors)


def percentiles(values: Iterable[float]) -> dict[str, float]:
    ordered = sorted(values)
    if not ordered:
        return {"count": 0}

    def rank(p: float) -> float:
        return ordered[min(len(ordered) - 1, max(0, math.ceil(p / 100 * len(ordered)) - 1))]

    return {
        "count": len(ordered),
        "p50": rank(50),
        "p90": rank(90),
        "p99": rank(99),
        "max": ordered[-1],
    }


def first_pushes(pushes: Iterable[Mapping[str, Any]]) -> dict[str, Mapping[str, Any]]:
    """notificationId -> its first push (a repeat is at-least-once delivery of the same notification)."""
    first: dict[str, Mapping[str, Any]] = {}
    for push in sorted(pushes, key=lambda p: int(p["receivedMs"])):
        first.setdefault(str(push["notificationId"]), push)
    return first


def _artillery_errors(report: Mapping[str, Any]) -> dict[str, int]:
    counters = (report.get("aggregate") or {}).get("counters") or {}
    return {
        k: int(v)
        for k, v in counters.items()
        if k.startswith("errors.") or k.startswith("plugins.expect.failed")
    }


def summary(
    events: Sequence[Mapping[str, Any]],
    pushes: Sequence[Mapping[str, Any]],
    report: Mapping[str, Any],
    started_ms: int,
) -> dict[str, Any]:
    """Every number of the report, from what was sent, answered and pushed."""
    counters = (report.get("aggregate") or {}).get("counters") or {}
    accepted = {str(e["eventId"]): e for e in events if e["status"] == 202 and e.get("eventId")}
    first = first_pushes(pushes)
    finals: Counter[str] = Counter()
    e2e: list[float] = []
    for event_id in accepted:
        push = first.get(event_id)
        if push is None:
            finals["noPush"] += 1
            continue
        body = push["body"]
        result = str(body.get("result"))
        finals[result if result == "EXECUTED" else f"FAILED/{body.get('reason')}"] += 1
        e2e.append(float(body["pushedMs"]) - float(body["firstSeenMs"]))
    errors = _artillery_errors(report)
    http = Counter(str(e["status"]) for e in events)
    not_accepted = sum(n for code, n in http.items() if code != "202")
    end_to_end = percentiles(e2e)
    failed = sum(n for k, n in finals.items() if k != "EXECUTED")
    zero_errors = bool(accepted) and not errors and not not_accepted and not failed
    return {
        "sent": int(counters.get("http.requests", len(events))),
        "answered": len(events),
        "accepted": len(accepted),
        "http": dict(sorted(http.items())),
        "errors": errors,
        "final": dict(sorted(finals.items())),
        "endToEndMs": end_to_end,
        "apiMs": percentiles(float(e["apiMs"]) for e in events if e.get("apiMs") is not None),
        "seedThresholds": {
            "zeroErrors": zero_errors,
            "p50Under400Ms": end_to_end.get("p50", math.inf) < SEED["p50Ms"],
            "p99Under1sMs": end_to_end.get("p99", math.inf) < SEED["p99Ms"],
        },
        "series": series(events, accepted, first, started_ms),
    }


def series(
    events: Sequence[Mapping[str, Any]],
    accepted: Mapping[str, Mapping[str, Any]],
    first: Mapping[str, Mapping[str, Any]],
    started_ms: int,
) -> list[dict[str, Any]]:
    """Per SERIES_S seconds since the start: requests answered, accepted, pushed; end-to-end P50/P99
    of the commands pushed in it; the API's P99."""
    buckets: dict[int, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for e in events:
        b = buckets[(int(e["answeredMs"]) - started_ms) // (SERIES_S * 1000)]
        b["answered"].append(1)
        b["accepted"].append(1 if e["status"] == 202 else 0)
        if e.get("apiMs") is not None:
            b["api"].append(float(e["apiMs"]))
    for event_id in accepted:
        push = first.get(event_id)
        if push is not None:
            body = push["body"]
            b = buckets[(int(push["receivedMs"]) - started_ms) // (SERIES_S * 1000)]
            b["e2e"].append(float(body["pushedMs"]) - float(body["firstSeenMs"]))
    out = []
    for k in sorted(buckets):
        b = buckets[k]
        e2e, api = percentiles(b["e2e"]), percentiles(b["api"])
        out.append(
            {
                "t": k * SERIES_S,
                "answeredPerS": round(len(b["answered"]) / SERIES_S, 2),
                "acceptedPerS": round(sum(b["accepted"]) / SERIES_S, 2),
                "pushedPerS": round(len(b["e2e"]) / SERIES_S, 2),
                "e2eP50": e2e.get("p50"),
                "e2eP99": e2e.get("p99"),
                "apiP99": api.get("p99"),
            }
        )
    return out
