"""The truth accounting of a benchmark phase: what became of every command the API accepted.

Given the accepted commands (eventId -> VIN), their STATE items read back from DynamoDB after the
drain, and the pushes the subscriber mock received, `account` counts:

- final states: EXECUTED, FAILED by reason, and what was not final (by status, "none": no STATE);
- false timeouts: FAILED/TIMEOUT for a vehicle that answers (a silent vehicle's TIMEOUT is true);
- lost: accepted but no final STATE, or a final STATE but no push received;
- repeated pushes: every push beyond the first for a notificationId (counted, never dropped);
- push disagreements: a push whose result or reason is not what STATE says;
- end to end: the first push's pushedMs - firstSeenMs, per accepted command.

Pure functions (no local cloud): tests/unit/bench/test_local_truth.py feeds them fake inputs.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from typing import Any

FINAL = ("EXECUTED", "FAILED")
TIMEOUT = "TIMEOUT"
SAMPLE_IDS = 20  # event ids kept per finding in the report (the counts are always complete)


def percentiles(values: Iterable[float]) -> dict[str, float | int]:
    """count/min/p50/p90/p99/max/mean of `values` (nearest rank; empty -> count 0)."""
    s = sorted(values)
    if not s:
        return {"count": 0}

    def pct(q: float) -> float:
        return round(s[min(len(s) - 1, max(0, round(q * (len(s) - 1))))], 1)

    return {
        "count": len(s),
        "min": round(s[0], 1),
        "p50": pct(0.50),
        "p90": pct(0.90),
        "p99": pct(0.99),
        "max": round(s[-1], 1),
        "mean": round(statistics.fmean(s), 1),
    }


def pushes_by_event(pushes: Iterable[Any], event_ids: Iterable[str]) -> dict[str, list[dict[str, Any]]]:
    """The push bodies of each of `event_ids`, in arrival order (other pushes are left out)."""
    wanted = set(event_ids)
    out: dict[str, list[dict[str, Any]]] = {}
    for body in pushes:
        if isinstance(body, dict) and str(body.get("notificationId")) in wanted:
            out.setdefault(str(body["notificationId"]), []).append(body)
    return out


def end_to_end_ms(push: Mapping[str, Any]) -> float | None:
    """pushedMs - firstSeenMs of one push, None when a field is missing."""
    pushed, first = push.get("pushedMs"), push.get("firstSeenMs")
    if isinstance(pushed, int | float) and isinstance(first, int | float):
        return float(pushed - first)
    return None


def account(
    accepted: Mapping[str, str],
    states: Mapping[str, Mapping[str, Any] | None],
    pushes: Iterable[Any],
    answers: Callable[[str], bool],
) -> dict[str, Any]:
    """The truth columns of a phase (see the module docstring).

    accepted: eventId -> VIN of every 202; states: eventId -> STATE item (None: no item);
    pushes: every push body the subscriber received (any order of events, arrival order per event);
    answers(vin): True when the vehicle answers commands (its TIMEOUT would be false)."""
    by_event = pushes_by_event(pushes, accepted)
    executed = 0
    failed: Counter[str] = Counter()
    not_final: Counter[str] = Counter()
    false_timeouts: list[str] = []
    true_timeouts = 0
    no_final_state: list[str] = []
    no_push: list[str] = []
    repeated: dict[str, int] = {}
    disagree: list[str] = []
    e2e: list[float] = []
    for eid, vin in accepted.items():
        state = states.get(eid)
        status = str(state.get("status")) if state else None
        reason = state.get("failureReason") if state else None
        event_pushes = by_event.get(eid, [])
        if status == "EXECUTED":
            executed += 1
        elif status == "FAILED":
            failed[str(reason)] += 1
            if reason == TIMEOUT:
                if answers(vin):
                    false_timeouts.append(eid)
                else:
                    true_timeouts += 1
        else:
            not_final[status or "none"] += 1
            no_final_state.append(eid)
        if status in FINAL and not event_pushes:
            no_push.append(eid)
        if len(event_pushes) > 1:
            repeated[eid] = len(event_pushes) - 1
        if event_pushes:
            first = event_pushes[0]
            if any(p.get("result") != status or p.get("reason") != reason for p in event_pushes):
                disagree.append(eid)
            latency = end_to_end_ms(first)
            if latency is not None:
                e2e.append(latency)
    lost = no_final_state + no_push
    return {
        "accepted": len(accepted),
        "final_states": {"EXECUTED": executed, "FAILED": dict(sorted(failed.items()))},
        "not_final": dict(sorted(not_final.items())),
        "false_timeouts": len(false_timeouts),
        "false_timeout_ids": false_timeouts[:SAMPLE_IDS],
        "true_timeouts": true_timeouts,
        "lost": len(lost),
        "lost_no_final_state": len(no_final_state),
        "lost_no_push": len(no_push),
        "lost_ids": lost[:SAMPLE_IDS],
        "repeated_pushes": sum(repeated.values()),
        "events_with_repeated_pushes": len(repeated),
        "repeated_push_ids": sorted(repeated)[:SAMPLE_IDS],
        "push_disagrees_with_state": len(disagree),
        "push_disagree_ids": disagree[:SAMPLE_IDS],
        "end_to_end_ms": percentiles(e2e),
    }


def http_counts(statuses: Iterable[int]) -> dict[str, Any]:
    """sent, accepted (202), throttled (429) and every other status, from the API's answers (status 0:
    no answer, the client gave up or the connection failed)."""
    counts = Counter(statuses)
    other = {
        ("no_answer" if code == 0 else str(code)): n
        for code, n in sorted(counts.items())
        if code not in (202, 429)
    }
    return {
        "sent": sum(counts.values()),
        "accepted": counts.get(202, 0),
        "throttled": counts.get(429, 0),
        "other_http": other,
    }


def windows(
    sends: Iterable[tuple[float, int, str | None]],
    latency_by_event: Mapping[str, float],
    pushed_at: Iterable[float],
    width_s: float,
    until_s: float,
) -> list[dict[str, Any]]:
    """A time series in windows of `width_s` from 0 to `until_s`: offered, accepted and throttled
    per second (by send time), pushes per second (by arrival), and the end-to-end P50/P99 of the
    commands accepted in the window. sends: (offset s, HTTP status, eventId of a 202 or None)."""
    count = max(1, int(-(-until_s // width_s)))
    rows: list[dict[str, Any]] = [
        {"t_s": round(k * width_s, 1), "offered": 0, "accepted": 0, "throttled": 0, "pushed": 0, "e2e": []}
        for k in range(count)
    ]
    for offset, status, eid in sends:
        row = rows[min(count - 1, max(0, int(offset // width_s)))]
        row["offered"] += 1
        if status == 202:
            row["accepted"] += 1
            if eid is not None and eid in latency_by_event:
                row["e2e"].append(latency_by_event[eid])
        elif status == 429:
            row["throttled"] += 1
    for offset in pushed_at:
        if 0 <= offset < count * width_s:
            rows[int(offset // width_s)]["pushed"] += 1
    out = []
    for row in rows:
        p = percentiles(row.pop("e2e"))
        out.append(
            {
                "t_s": row["t_s"],
                **{f"{k}_per_s": round(row[k] / width_s, 2) for k in ("offered", "accepted", "throttled")},
                "pushed_per_s": round(row["pushed"] / width_s, 2),
                "e2e_p50_ms": p.get("p50"),
                "e2e_p99_ms": p.get("p99"),
            }
        )
    return out
