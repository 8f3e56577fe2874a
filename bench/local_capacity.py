"""The local cloud's own capacity: the machine, a moto probe, latency (one command at a time), the
throughput ramp and the sustained throughput run (bench/local.py runs them; docstring there).

These phases run on a cloud with the template's stage throttle (200/s: no limit on one machine):
they measure what the local cloud itself carries, not its throttle.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from bench.local_pushes import PushFeed, first_push
from bench.local_readback import answering, evidence, read_states, settle
from bench.local_truth import account, percentiles
from bench.process_cpu import cpu_by_role, cpu_delta, per_command_ms
from localcloud.cloud import LocalCloud
from localcloud.demo import request_service


def probe_moto_capacity(cloud: LocalCloud, seconds: float = 5.0, threads: int = 8) -> dict[str, Any]:
    """The ceiling: DynamoDB GetItem calls per second through the front (moto in this process).
    A command costs ~50 such calls (workflows, SNS fan-out, pollers, functions)."""
    ddb = cloud.client("dynamodb")
    table = cloud.physical("VehicleRegistryTable")
    vin = next(iter(cloud.fleet.vehicles))
    count = [0]
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def work() -> None:
        while time.monotonic() < stop:
            ddb.get_item(TableName=table, Key={"vin": {"S": vin}})
            with lock:
                count[0] += 1

    pool = [threading.Thread(target=work) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return {"getitem_per_s": round(count[0] / seconds, 1), "threads": threads, "seconds": seconds}


def bench_latency(cloud: LocalCloud, n: int, vins: list[str], out: Any) -> dict[str, Any]:
    """N commands one at a time (next after the previous push), vehicles answering at once."""
    e2e: list[float] = []
    api: list[float] = []
    errors: list[str] = []
    services = ("HORN_BLOW", "LIGHT_FLASH")
    for i in range(n):
        vin = vins[i % len(vins)]
        res = request_service(cloud, "bench", vin, services[i % 2])
        if res.status != 202:
            errors.append(f"{vin}: {res.status} {res.body}")
            continue
        api.append(res.elapsed_ms)
        eid = str(res.body["eventId"])
        push = first_push(cloud, eid, timeout=30)
        if push is None or push.body.get("result") != "EXECUTED":
            errors.append(f"{eid}: {'no push' if push is None else push.body}")
            continue
        e2e.append(float(push.body["pushedMs"] - push.body["firstSeenMs"]))
        if (i + 1) % 50 == 0:
            out(f"  latency: {i + 1}/{n}, p50 so far {percentiles(e2e).get('p50')} ms")
    return {
        "commands": n,
        "end_to_end_ms": percentiles(e2e),
        "api_202_ms": percentiles(api),
        "errors": len(errors),
        "error_samples": errors[:10],
    }


def bench_throughput(
    cloud: LocalCloud, duration_s: float, rate: float, vins: list[str], out: Any, workers: int = 16
) -> dict[str, Any]:
    """Open-loop commands at `rate`/s for `duration_s` (a vehicle is reused only after its final push)."""
    free: deque[str] = deque(vins)
    inflight: dict[str, tuple[str, float]] = {}  # eventId -> (vin, sent monotonic)
    accepted: dict[str, str] = {}  # eventId -> vin, every 202
    lock = threading.Lock()
    stats: dict[str, int] = {
        "sent": 0,
        "accepted": 0,
        "executed": 0,
        "non_202": 0,
        "failed_final": 0,
        "duplicate_push": 0,
        "no_free_vehicle": 0,
        "client_backlog": 0,
        "lost": 0,
    }
    outstanding = [0]
    errors: list[str] = []
    e2e: list[float] = []
    e2e_at: list[tuple[float, float]] = []  # (seconds since the start when pushed, end to end ms)
    api: list[float] = []
    finished: set[str] = set()
    feed = PushFeed(cloud)

    def send(vin: str, service: str) -> None:
        try:
            res = request_service(cloud, "bench", vin, service)
        finally:
            with lock:
                outstanding[0] -= 1
        with lock:
            if res.status == 202:
                stats["accepted"] += 1
                api.append(res.elapsed_ms)
                inflight[str(res.body["eventId"])] = (vin, time.monotonic())
                accepted[str(res.body["eventId"])] = vin
            else:
                stats["non_202"] += 1
                if len(errors) < 20:
                    errors.append(f"{vin}: {res.status} {res.body}")
                free.append(vin)

    def collect() -> None:
        for push in feed.poll():
            body = push.body
            if not isinstance(body, dict):
                continue
            eid = str(body.get("notificationId"))
            with lock:
                if eid in finished:
                    stats["duplicate_push"] += 1
                    continue
                entry = inflight.pop(eid, None)
                if entry is None:
                    continue
                finished.add(eid)
                free.append(entry[0])
                if body.get("result") == "EXECUTED":
                    stats["executed"] += 1
                    e2e.append(float(body["pushedMs"] - body["firstSeenMs"]))
                    e2e_at.append((time.monotonic() - t0, e2e[-1]))
                else:
                    stats["failed_final"] += 1
                    if len(errors) < 20:
                        errors.append(f"{eid}: {body}")

    cpu_before = cpu_by_role(cloud)
    t0 = time.monotonic()
    next_report = t0 + 15
    with ThreadPoolExecutor(max_workers=workers) as pool:
        i = 0
        while True:
            now = time.monotonic()
            if now - t0 >= duration_s:
                break
            due = t0 + i / rate
            if due > now:
                time.sleep(min(due - now, 0.05))
                collect()
                continue
            with lock:
                backlog = outstanding[0] >= workers
                vin = None if backlog else (free.popleft() if free else None)
                if vin is not None:
                    outstanding[0] += 1
            if backlog:
                stats["client_backlog"] += 1  # every sender still waits for its 202: the rate is not held
            elif vin is None:
                stats["no_free_vehicle"] += 1
            else:
                stats["sent"] += 1
                pool.submit(send, vin, ("HORN_BLOW", "LIGHT_FLASH")[i % 2])
            i += 1
            if now >= next_report:
                collect()
                with lock:
                    done = stats["executed"]
                    recent = percentiles(ms for at_s, ms in e2e_at if at_s >= now - t0 - 15)
                out(
                    f"  throughput: {now - t0:5.0f}s sent {stats['sent']} executed {done} "
                    f"in flight {len(inflight)} errors {stats['non_202'] + stats['failed_final']} "
                    f"e2e last 15 s p50 {recent.get('p50')} p99 {recent.get('p99')}"
                )
                next_report = now + 15
    collect()
    sending_s = time.monotonic() - t0
    executed_while_sending, in_flight_at_end = stats["executed"], len(inflight)
    cpu_spent = cpu_delta(cpu_before, cpu_by_role(cloud))
    drain_deadline = time.monotonic() + 60
    while inflight and time.monotonic() < drain_deadline:
        collect()
        time.sleep(0.1)
    collect()
    stats["lost"] = len(inflight)
    errors_total = stats["non_202"] + stats["failed_final"] + stats["duplicate_push"] + stats["lost"]
    # the lifecycle checks still due may yet change a STATE (a TIMEOUT after the push): wait for them
    settled_s = settle(cloud, 60.0)
    feed.poll(force=True)
    pushes = [p.body for p in feed.pushes]
    truth = account(accepted, read_states(cloud, accepted), pushes, answering(cloud))
    suspects = [*truth["false_timeout_ids"], *truth["lost_ids"], *truth["push_disagree_ids"]]
    truth["evidence"] = evidence(cloud, dict.fromkeys(suspects))
    return {
        "target_rate_per_s": rate,
        "duration_s": round(sending_s, 1),
        # executed while sending: what finishes during the drain is backlog, not a sustained rate
        "sustained_rate_per_s": round(executed_while_sending / sending_s, 2),
        "executed_rate_incl_drain_per_s": round(stats["executed"] / sending_s, 2),
        "accepted_rate_per_s": round(stats["accepted"] / sending_s, 2),
        "in_flight_at_end_of_sending": in_flight_at_end,
        "stats": stats,
        "errors": errors_total,
        "zero_errors": errors_total == 0,
        "end_to_end_ms": percentiles(e2e),
        "end_to_end_by_minute": by_minute(e2e_at),
        "api_202_ms": percentiles(api),
        # CPU seconds by process role while sending, and per command executed meanwhile (bench.process_cpu)
        "cpu_s_while_sending": cpu_spent,
        "cpu_ms_per_command": per_command_ms(cpu_spent, executed_while_sending),
        "error_samples": errors,
        "truth": {"settle_s": settled_s, **truth},
    }


def by_minute(samples: list[tuple[float, float]]) -> list[dict[str, Any]]:
    """End to end per minute of the run (by when the push was seen): is the latency flat over time?"""
    minutes: dict[int, list[float]] = {}
    for at_s, ms in samples:
        minutes.setdefault(int(at_s // 60), []).append(ms)
    return [{"minute": m, **percentiles(v)} for m, v in sorted(minutes.items())]


RAMP_RATES = (1.0, 2.0, 4.0, 6.0, 8.0, 12.0, 16.0, 25.0, 35.0, 50.0)


def held(result: dict[str, Any]) -> bool:
    """A rate is held: zero errors (the pushes seen, and the truth read back from STATE after the
    settle: no false timeout, nothing lost, no push that STATE contradicts) and >= 90 % of the target
    executed per second while sending."""
    truth = result["truth"]
    truthful = not (truth["false_timeouts"] or truth["lost"] or truth["push_disagrees_with_state"])
    return (
        bool(result["zero_errors"])
        and truthful
        and result["sustained_rate_per_s"] >= 0.9 * result["target_rate_per_s"]
    )


def ramp(cloud: LocalCloud, vins: list[str], step_s: float, out: Any) -> dict[str, Any]:
    """Short steps at increasing rates until one is not held; returns every step and the best rate."""
    steps = []
    best = 0.0
    for rate in RAMP_RATES:
        out(f"ramp: {rate}/s for {step_s:.0f} s")
        r = bench_throughput(cloud, step_s, rate, vins, lambda _m: None)
        ok = held(r)
        steps.append(
            {
                "rate": rate,
                "held": ok,
                "sustained_rate_per_s": r["sustained_rate_per_s"],
                "errors": r["errors"],
                "stats": r["stats"],
                "end_to_end_ms": r["end_to_end_ms"],
                "truth": {
                    k: r["truth"][k]
                    for k in (
                        "final_states",
                        "false_timeouts",
                        "false_timeout_ids",
                        "lost",
                        "repeated_pushes",
                    )
                },
            }
        )
        out(
            f"  -> {'held' if ok else 'NOT held'}: executed {r['sustained_rate_per_s']}/s, "
            f"errors {r['errors']}, e2e p50 {r['end_to_end_ms'].get('p50')} ms"
        )
        if not ok:
            out(f"  settling: {settle(cloud)} s until the queues are empty")
            break
        best = rate
    return {"step_s": step_s, "steps": steps, "best_rate_per_s": best}
