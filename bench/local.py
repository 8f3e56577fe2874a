"""`make bench-local`: the local cloud's figures, written to reports/local.json.

On a cloud with the template's stage throttle (what the local cloud itself carries):
1. startup: LocalCloud start with built artifacts (seconds, per step);
   moto: a probe of moto's calls per second (the ceiling);
2. latency: N commands one at a time, the simulated vehicle answering at once; end to end = the
   subscriber push's pushedMs - the event's firstSeenMs (P50/P90/P99/max), plus the API's 202 time;
3. ramp + throughput: commands at a target rate for a bounded duration (default 300 s) over the
   fleet's bench vehicles (one command in flight per vehicle); reports the rate sustained and every
   error (non-202, missing or non-EXECUTED final, duplicate push) and the truth accounting.
On a cloud with the LOCAL stage throttle (LocalCloud's default, as `make run` serves):
4. burst: 5 x 20 concurrent commands to distinct idle vehicles, each burst final before the next;
5. overload: 2x the sustained rate for 60 s, then drained (bench/local_overload.py).
Truth accounting (bench/local_truth.py): final states, false timeouts, lost, repeated pushes.

Requests go to 127.0.0.1 only. Usage:
    python bench/local.py [--phases burst,overload] [--latency-n 200] [--duration 300] [--rate 50]
                          [--build-dir .aws-sam/build]
A run of some phases keeps the report's other keys; `runs` lists what each run measured.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
for p in (ROOT / "src", ROOT):
    if str(p) not in sys.path:
        sys.path.insert(0, str(p))

from bench.local_capacity import (  # noqa: E402
    bench_latency,
    bench_throughput,
    held,
    probe_moto_capacity,
    ramp,
)
from bench.local_overload import VehiclePool, bench_burst, bench_overload, plot_overload  # noqa: E402
from bench.local_readback import bench_vins  # noqa: E402
from bench.machine import machine  # noqa: E402
from localcloud.cloud import LocalCloud  # noqa: E402
from localcloud.cloudwatch.dashboard import render  # noqa: E402
from localcloud.sam_build import BUILD_DIR, MARKER_NAME, build_state, sam_build  # noqa: E402

PHASES = ("startup", "moto", "latency", "ramp", "throughput", "burst", "overload")
CAPACITY_PHASES = ("startup", "moto", "latency", "ramp", "throughput")  # the template's (AWS) throttle


def tree_state() -> dict[str, Any]:
    """The commit measured and the files that differed from it (another engineer's work in progress)."""

    def git(*args: str) -> str:
        try:
            return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=True).stdout
        except (OSError, subprocess.CalledProcessError):
            return ""

    changed = [line[3:] for line in git("status", "--porcelain", "--untracked-files=no").splitlines()]
    return {"commit": git("rev-parse", "--short", "HEAD").strip(), "modified_files": changed}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build-dir", default=str(BUILD_DIR))
    ap.add_argument(
        "--phases",
        default=",".join(PHASES),
        help=f"comma-separated, any of {','.join(PHASES)} (default: all); the report's other keys are kept",
    )
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
    ap.add_argument("--bursts", type=int, default=5, help="burst phase: bursts (default 5)")
    ap.add_argument("--burst-size", type=int, default=20, help="burst phase: concurrent commands")
    ap.add_argument(
        "--sustained-rate",
        type=float,
        default=None,
        help="overload phase: the rate the local cloud sustains (default: the throughput phase's rate "
        "when it was held in this run, else the local API throttle rate); overload = 2x it",
    )
    ap.add_argument("--overload-duration", type=float, default=60.0)
    ap.add_argument("--drain", type=float, default=180.0, help="overload phase: drain limit, seconds")
    ap.add_argument("--api-rate", type=float, default=None, help="burst/overload cloud: API throttle rate/s")
    ap.add_argument("--api-burst", type=int, default=None, help="burst/overload cloud: API throttle burst")
    ap.add_argument("--output", default=str(ROOT / "reports" / "local.json"))
    ap.add_argument("--plot", default=str(ROOT / "reports" / "local-overload.png"))
    ap.add_argument("--no-build", action="store_true")
    ap.add_argument(
        "--stepfunctions-in-process",
        action="store_true",
        help="Step Functions in the main process's moto (the layout before its own process), to compare",
    )
    args = ap.parse_args(argv)
    args.phase_list = [x.strip() for x in args.phases.split(",") if x.strip()]
    unknown = sorted(set(args.phase_list) - set(PHASES))
    if unknown:
        ap.error(f"unknown phases {unknown}; known: {', '.join(PHASES)}")
    return args


def bench_cloud(args: argparse.Namespace, build_dir: Path, progress: Any, **throttle: Any) -> LocalCloud:
    """The local cloud every phase measures (production time scale, the bench's state directory);
    `throttle`: api_rate/api_burst (None: the template's stage throttle; absent: the local one)."""
    return LocalCloud(
        build_dir=build_dir,
        time_scale=1.0,
        concurrency=args.concurrency,
        progress=progress,
        state_dir=ROOT / ".localcloud" / "bench",
        stepfunctions_process=not args.stepfunctions_in_process,
        **throttle,
    )


def capacity_phases(args: argparse.Namespace, build_dir: Path, report: dict[str, Any], out: Any) -> None:
    """start-up, moto probe, latency, ramp, throughput: on a cloud with the template's stage throttle
    (200/s: no limit here), because they measure what the local cloud itself carries."""
    phases = args.phase_list
    startups: list[dict[str, Any]] = []
    for k in range(args.startups if "startup" in phases else 0):
        out(f"start-up measurement {k + 1}/{args.startups}")
        with bench_cloud(args, build_dir, None, api_rate=None, api_burst=None) as c:
            startups.append({"seconds": c.startup_s, "steps": c.timings})
    out("starting the local cloud for the measurements (the template's stage throttle)")
    with bench_cloud(args, build_dir, out, api_rate=None, api_burst=None) as cloud:
        report["config"]["capacity_api_throttle"] = cloud.api_throttle
        if "startup" in phases:
            startups.append({"seconds": cloud.startup_s, "steps": cloud.timings})
            report["startup"] = {
                "runs": startups,
                "median_s": statistics.median(s["seconds"] for s in startups),
                "target_s": 10,
            }
        vins = bench_vins(cloud)
        if "moto" in phases:
            report["moto_capacity"] = probe_moto_capacity(cloud)
            out(f"moto capacity probe: {report['moto_capacity']}")
        if "latency" in phases:
            out(f"latency: {args.latency_n} commands, one at a time")
            report["latency"] = bench_latency(cloud, args.latency_n, vins, out)
            out(f"  end to end: {report['latency']['end_to_end_ms']}")
        rate = 0.0 if args.rate == "auto" else float(args.rate)
        if "ramp" in phases and args.ramp_step > 0:
            report["ramp"] = ramp(cloud, vins, args.ramp_step, out)
            if args.rate == "auto":
                rate = report["ramp"]["best_rate_per_s"] or 1.0
        elif args.rate == "auto":
            rate = 50.0
        if "throughput" in phases and args.duration > 0:
            out(f"throughput: {rate}/s for {args.duration:.0f} s over {len(vins)} vehicles")
            report["throughput"] = bench_throughput(cloud, args.duration, rate, vins, out)
            report["throughput"]["held"] = held(report["throughput"])
            tp = report["throughput"]
            out(
                f"  sustained {tp['sustained_rate_per_s']}/s, errors {tp['errors']}, "
                f"e2e {tp['end_to_end_ms']}, truth: false timeouts {tp['truth']['false_timeouts']}, "
                f"lost {tp['truth']['lost']}, repeated pushes {tp['truth']['repeated_pushes']}"
            )
        report["function_stats"] = {
            fn.logical_id: cloud.host.stats(fn.name)
            for fn in (cloud.resources.functions.values() if cloud.resources else [])
        }


def overload_phases(args: argparse.Namespace, build_dir: Path, report: dict[str, Any], out: Any) -> None:
    """burst and overload: on a cloud with the LOCAL stage throttle (LocalCloud's default, or
    --api-rate/--api-burst), the one `make run` serves."""
    throttle_kw: dict[str, Any] = {}
    if args.api_rate is not None:
        throttle_kw["api_rate"] = args.api_rate
    if args.api_burst is not None:
        throttle_kw["api_burst"] = args.api_burst
    out("starting the local cloud for burst/overload (the local stage throttle)")
    with bench_cloud(args, build_dir, out, **throttle_kw) as cloud:
        throttle = cloud.api_throttle
        out(f"  API stage throttle: {throttle}")
        pool = VehiclePool(bench_vins(cloud))
        if "burst" in args.phase_list:
            out(f"burst: {args.bursts} bursts of {args.burst_size} concurrent commands")
            m = machine()
            report["burst"] = {"machine": m, **bench_burst(cloud, pool, out, args.bursts, args.burst_size)}
        if "overload" in args.phase_list:
            tp = report.get("throughput") if "throughput" in args.phase_list else None
            if args.sustained_rate is not None:
                sustained, source = args.sustained_rate, "--sustained-rate"
            elif tp and tp.get("held"):
                sustained, source = float(tp["target_rate_per_s"]), "the throughput phase of this run (held)"
            else:
                sustained, source = (throttle[0] if throttle else 1.0), "the local API throttle rate"
            rate = 2 * sustained
            out(f"overload: {rate}/s (2 x {sustained}/s, {source}) for {args.overload_duration:.0f} s")
            m = machine()
            result = bench_overload(cloud, pool, rate, out, args.overload_duration, args.drain)
            result["config"].update({"sustained_rate_per_s": sustained, "sustained_rate_source": source})
            report["overload"] = {"machine": m, **result}
            if args.plot:
                title = (
                    f"local cloud overload: {rate:g}/s offered for {args.overload_duration:.0f} s, stage "
                    f"throttle {throttle[0]:g}/s burst {throttle[1]:g} ({m['cpus']} cores, "
                    f"{result['utc_start'][:16]}Z)"
                    if throttle
                    else f"local cloud overload: {rate:g}/s offered"
                )
                plot_overload(result, Path(args.plot), title)
                plot = Path(args.plot).resolve()
                report["overload"]["plot"] = str(
                    plot.relative_to(ROOT) if plot.is_relative_to(ROOT) else plot
                )
                out(f"  wrote {args.plot}")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)

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
    output = Path(args.output)
    try:  # the keys of the phases not run now are kept (each new phase records its own machine)
        report: dict[str, Any] = json.loads(output.read_text())
    except (OSError, ValueError):
        report = {}
    capacity = any(p in CAPACITY_PHASES for p in args.phase_list)
    run = {
        "utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "phases": args.phase_list,
        "argv": sys.argv[1:] if argv is None else argv,
        "tree": tree_state(),
    }
    if capacity or "machine" not in report:
        report["machine"] = machine()
        report["build"] = {"dir": str(build_dir), **marker}
        report["config"] = {
            "latency_n": args.latency_n,
            "duration_s": args.duration,
            "rate": args.rate,
            "ramp_step_s": args.ramp_step,
            "concurrency": args.concurrency,
            "time_scale": 1.0,
            "stepfunctions": "main process" if args.stepfunctions_in_process else "own process",
        }
    if capacity:
        capacity_phases(args, build_dir, report, out)
    if "burst" in args.phase_list or "overload" in args.phase_list:
        overload_phases(args, build_dir, report, out)
    if capacity:
        report["machine"]["loadavg_at_end"] = list(os.getloadavg())
    run["utc_end"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    report.setdefault("runs", []).append(run)
    # the last cloud of the run (burst/overload when they ran) as the template's dashboard shows it
    dashboard = output.with_name(output.stem + "-dashboard.png")
    render(ROOT / ".localcloud" / "bench", dashboard, dashboard.with_suffix(".json"), out)
    report["dashboard"] = str(dashboard)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(report, indent=2) + "\n")
    out(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
