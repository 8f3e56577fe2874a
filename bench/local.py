"""`make bench-local`: the local cloud's figures, written to reports/local.json.

1. start-up: LocalCloud start with built artifacts (seconds, per step);
2. latency: N commands one at a time, the simulated vehicle answering at once; end to end = the
   subscriber push's pushedMs - the event's firstSeenMs (P50/P90/P99/max), plus the API's 202 time;
3. throughput: commands at a target rate for a bounded duration (default 300 s) over the fleet's bench
   vehicles (one command in flight per vehicle); reports the rate sustained and every error
   (non-202, missing or non-EXECUTED final, duplicate push).

Requests go to 127.0.0.1 only. Usage:
    python bench/local.py [--latency-n 200] [--duration 300] [--rate 50] [--build-dir .aws-sam/build]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import threading
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
for p in (ROOT / "src", ROOT / "build" / "runtime", ROOT):
    if str(p) not in sys.path:
        sys.path.insert(0, str(p))

from localcloud.build import BUILD_DIR, MARKER_NAME, build_state, sam_build  # noqa: E402
from localcloud.cloud import LocalCloud  # noqa: E402
from localcloud.demo import is_push_for, request_service  # noqa: E402


def percentiles(values: list[float]) -> dict[str, float | int]:
    """min/p50/p90/p99/max/mean of `values` (empty -> count 0)."""
    if not values:
        return {"count": 0}
    s = sorted(values)

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


def machine() -> dict[str, Any]:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gb = 0.0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem_gb = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return {
        "platform": platform.platform(),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "cpu_model": cpu,
        "memory_gb": mem_gb,
        "loadavg_at_start": list(os.getloadavg()),
    }


class PushIndex:
    """Maps eventId -> list of push times, fed from the subscriber mock (polled)."""

    def __init__(self, cloud: LocalCloud) -> None:
        self.cloud = cloud
        self._seen = 0

    def new(self) -> list[dict[str, Any]]:
        pushes = self.cloud.subscriber.pushes
        fresh = pushes[self._seen :]
        self._seen = len(pushes)
        return [p.body for p in fresh if isinstance(p.body, dict)]


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
        push = cloud.subscriber.wait_for(is_push_for(eid), timeout=30)
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
    api: list[float] = []
    finished: set[str] = set()
    index = PushIndex(cloud)

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
            else:
                stats["non_202"] += 1
                if len(errors) < 20:
                    errors.append(f"{vin}: {res.status} {res.body}")
                free.append(vin)

    def collect() -> None:
        for body in index.new():
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
                else:
                    stats["failed_final"] += 1
                    if len(errors) < 20:
                        errors.append(f"{eid}: {body}")

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
                out(
                    f"  throughput: {now - t0:5.0f}s sent {stats['sent']} executed {done} "
                    f"in flight {len(inflight)} errors {stats['non_202'] + stats['failed_final']}"
                )
                next_report = now + 15
    sending_s = time.monotonic() - t0
    drain_deadline = time.monotonic() + 60
    while inflight and time.monotonic() < drain_deadline:
        collect()
        time.sleep(0.1)
    collect()
    stats["lost"] = len(inflight)
    errors_total = stats["non_202"] + stats["failed_final"] + stats["duplicate_push"] + stats["lost"]
    return {
        "target_rate_per_s": rate,
        "duration_s": round(sending_s, 1),
        "sustained_rate_per_s": round(stats["executed"] / sending_s, 2),
        "accepted_rate_per_s": round(stats["accepted"] / sending_s, 2),
        "stats": stats,
        "errors": errors_total,
        "zero_errors": errors_total == 0,
        "end_to_end_ms": percentiles(e2e),
        "api_202_ms": percentiles(api),
        "error_samples": errors,
    }


def settle(cloud: LocalCloud, timeout_s: float = 120.0) -> float:
    """Wait until every queue but the DLQs is empty (delayed and in-flight included); seconds waited."""
    assert cloud.resources is not None
    sqs = cloud.client("sqs")
    urls = [
        url
        for lid, url in cloud.resources.physical_ids.items()
        if cloud.resources.types.get(lid) == "AWS::SQS::Queue" and "DeadLetter" not in lid
    ]
    names = [
        "ApproximateNumberOfMessages",
        "ApproximateNumberOfMessagesNotVisible",
        "ApproximateNumberOfMessagesDelayed",
    ]
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout_s:
        busy = 0
        for url in urls:
            attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=names)["Attributes"]
            busy += sum(int(attrs.get(n, 0)) for n in names)
        if busy == 0:
            break
        time.sleep(1.0)
    return round(time.monotonic() - t0, 1)


RAMP_RATES = (1.0, 2.0, 4.0, 6.0, 8.0, 12.0, 16.0, 25.0, 35.0, 50.0)


def held(result: dict[str, Any]) -> bool:
    """A rate is held: zero errors and >= 90 % of the target executed per second."""
    return bool(result["zero_errors"]) and result["sustained_rate_per_s"] >= 0.9 * result["target_rate_per_s"]


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


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build-dir", default=str(BUILD_DIR))
    ap.add_argument("--latency-n", type=int, default=200)
    ap.add_argument("--duration", type=float, default=300.0, help="throughput phase, seconds (default 300)")
    ap.add_argument(
        "--rate",
        default="auto",
        help="commands per second for the sustained run; auto (default): the best rate the ramp held",
    )
    ap.add_argument("--ramp-step", type=float, default=20.0, help="seconds per ramp step (0: no ramp)")
    ap.add_argument("--concurrency", type=int, default=4, help="max instances per function")
    ap.add_argument(
        "--startups", type=int, default=2, help="extra start-up measurements (cold start of the cloud)"
    )
    ap.add_argument("--output", default=str(ROOT / "reports" / "local.json"))
    ap.add_argument("--no-build", action="store_true")
    args = ap.parse_args(argv)

    def out(msg: str) -> None:
        print(msg, flush=True)

    build_dir = Path(args.build_dir)
    native = os.environ.get("LOCALCLOUD_NATIVE") or os.environ.get("NATIVE") or "0"
    if not args.no_build and build_state(native, build_dir) is not None:
        sam_build(native, build_dir, out=out)
    try:
        marker = json.loads((build_dir / MARKER_NAME).read_text())
    except (OSError, ValueError):
        marker = {}
    report: dict[str, Any] = {
        "machine": machine(),
        "build": {"dir": str(build_dir), **marker},
        "config": {
            "latency_n": args.latency_n,
            "duration_s": args.duration,
            "rate": args.rate,
            "ramp_step_s": args.ramp_step,
            "concurrency": args.concurrency,
            "time_scale": 1.0,
        },
    }
    startups: list[dict[str, Any]] = []
    for k in range(args.startups):
        out(f"start-up measurement {k + 1}/{args.startups}")
        with LocalCloud(
            build_dir=build_dir,
            time_scale=1.0,
            concurrency=args.concurrency,
            progress=None,
            state_dir=ROOT / ".localcloud" / "bench",
        ) as c:
            startups.append({"seconds": c.startup_s, "steps": c.timings})
    out("starting the local cloud for the measurements")
    with LocalCloud(
        build_dir=build_dir,
        time_scale=1.0,
        concurrency=args.concurrency,
        progress=out,
        state_dir=ROOT / ".localcloud" / "bench",
    ) as cloud:
        startups.append({"seconds": cloud.startup_s, "steps": cloud.timings})
        report["startup"] = {
            "runs": startups,
            "median_s": statistics.median(s["seconds"] for s in startups),
            "target_s": 10,
        }
        vins = [
            v.vin
            for v in cloud.fleet.vehicles.values()
            if v.owner == "bench" and v.behaviour.kind == "immediate"
        ]
        report["moto_capacity"] = probe_moto_capacity(cloud)
        out(f"moto capacity probe: {report['moto_capacity']}")
        out(f"latency: {args.latency_n} commands, one at a time")
        report["latency"] = bench_latency(cloud, args.latency_n, vins, out)
        out(f"  end to end: {report['latency']['end_to_end_ms']}")
        rate = 0.0 if args.rate == "auto" else float(args.rate)
        if args.ramp_step > 0:
            report["ramp"] = ramp(cloud, vins, args.ramp_step, out)
            if args.rate == "auto":
                rate = report["ramp"]["best_rate_per_s"] or 1.0
        elif args.rate == "auto":
            rate = 50.0
        if args.duration > 0:
            out(f"throughput: {rate}/s for {args.duration:.0f} s over {len(vins)} vehicles")
            report["throughput"] = bench_throughput(cloud, args.duration, rate, vins, out)
            report["throughput"]["held"] = held(report["throughput"])
            tp = report["throughput"]
            out(
                f"  sustained {tp['sustained_rate_per_s']}/s, errors {tp['errors']}, "
                f"e2e {tp['end_to_end_ms']}"
            )
        report["function_stats"] = {
            fn.logical_id: cloud.host.stats(fn.name)
            for fn in (cloud.resources.functions.values() if cloud.resources else [])
        }
    report["machine"]["loadavg_at_end"] = list(os.getloadavg())
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    Path(args.output).write_text(json.dumps(report, indent=2) + "\n")
    out(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
