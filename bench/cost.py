"""`make cost`: the cost of 1 M commands, counted, not guessed (docs/cost.md).

A measured run on the local cloud: N commands (horn blow and light flash, the seed's mix) through
the REST API, every AWS call they cause counted by service and operation (`localcloud.usage`: the
AWS endpoint's ledger; DynamoDB request units from item sizes; SQS 64 KB chunks), Lambda
invocations and billed durations from the function host, Express executions and their durations
from the StartSyncExecution answers (the ledger), log bytes from the log files; divided by N; times
the dated price table (bench/prices.json); native (x86_64, arm64) beside the managed Python runtime
with boto3 + Powertools, whose INIT comes from reports/coldstart.json (make bench-coldstart: CPython +
boto3 on this machine, over CPython alone) on top of a public Python INIT figure.

    PYTHONPATH=src:. .venv/bin/python bench/cost.py [--commands 100] [--cold-start-ratio 0.01]

Writes reports/cost.json and the table between the cost markers of README.md.
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
for p in (ROOT / "src", ROOT):
    if str(p) not in sys.path:
        sys.path.insert(0, str(p))

from bench.cost_model import Variant, compare, fixed_monthly, load_prices  # noqa: E402
from bench.cost_table import write_readme_table  # noqa: E402
from bench.local_readback import bench_vins, settle  # noqa: E402
from bench.machine import machine  # noqa: E402
from localcloud.cloud import LocalCloud  # noqa: E402
from localcloud.cloudwatch.metric_log import read_points  # noqa: E402
from localcloud.demo import request_service  # noqa: E402
from localcloud.provision.template import load_template  # noqa: E402
from localcloud.sam_build import BUILD_DIR  # noqa: E402
from localcloud.usage.ledger import Ledger  # noqa: E402

PUBLIC_PYTHON_INIT_MS = 150.0  # a minimal python3.1x zip function's INIT, P50 (public cold-start benchmarks)
CONVENTIONAL_MEMORY_MB = 256  # boto3 + Powertools: 128 MB leaves the import a sliver of CPU
SERVICES = ("HORN_BLOW", "LIGHT_FLASH")


def send(cloud: LocalCloud, vins: list[str], n: int, rate: float, out: Any) -> list[str]:
    """N commands at `rate`/s, a vehicle each; their eventIds once pushed."""
    events = []
    for i in range(n):
        res = request_service(cloud, "bench", vins[i % len(vins)], SERVICES[i % 2])
        if res.status != 202:
            raise RuntimeError(f"command {i}: HTTP {res.status} {res.body}")
        events.append(str(res.body["eventId"]))
        time.sleep(1 / rate)
        if (i + 1) % 25 == 0:
            out(f"  {i + 1}/{n} commands sent")
    deadline = time.monotonic() + 120
    for eid in events:
        while not cloud.mocks.pushes(eid):
            if time.monotonic() > deadline:
                raise RuntimeError(f"{eid}: no push within 120 s")
            time.sleep(0.1)
    return events


def log_bytes(state_dir: Path, leave_out: set[str]) -> int:
    """The bytes of the function logs (REPORT lines and all) and the API access log, but the harness's."""
    return sum(p.stat().st_size for p in (state_dir / "logs").glob("*.log") if p.stem not in leave_out)


def express(calls: dict[str, Any]) -> tuple[int, float, float]:
    """(executions, seconds, billed GB-s) of the Express workflows of the measured run (64 MB, 100 ms
    steps), from the ledger: it reads each StartSyncExecution answer's startDate and stopDate
    (ListExecutions does not list Express executions, on AWS nor locally)."""
    states = calls["states"]
    return (
        int(states["expressExecutions"]),
        float(states["expressSeconds"]),
        states["expressBilled100ms"] * 0.1 * 64 / 1024,
    )


def functions_usage(
    cloud: LocalCloud, since_ms: int, until_ms: int, coldstart: dict[str, Any], powertools_ms: float
) -> dict[str, Any]:
    """Per function: invocations, billed ms (1 ms steps), memory; INIT per cold start, native and
    conventional (reports/coldstart.json, plus `powertools_ms` for the conventional)."""
    assert cloud.resources is not None
    by_name = {fn.name: fn for fn in cloud.resources.functions.values()}
    out: dict[str, Any] = {}
    for p in read_points(cloud.state_dir):
        if p.namespace != "AWS/Lambda" or not since_ms <= p.t <= until_ms:
            continue
        name = dict(p.dimensions)["FunctionName"]
        fn = by_name.get(name)
        if fn is None:
            continue
        f = out.setdefault(fn.logical_id, {"invocations": 0, "billedMs": 0.0, "memoryMb": fn.memory_mb})
        if p.name == "Invocations":
            f["invocations"] += int(p.value)
        elif p.name == "Duration":
            f["billedMs"] += max(1, math.ceil(p.value))
    for lid, f in out.items():
        measured = (coldstart.get("functions") or {}).get(lid) or {}
        native = (measured.get("native") or {}).get("median_ms", 15.0)
        cpython = (measured.get("cpython") or {}).get("median_ms", 20.0)
        boto3 = (measured.get("cpython_boto3") or {}).get("median_ms", cpython)
        f["nativeInitMs"] = native
        f["conventionalInitMs"] = PUBLIC_PYTHON_INIT_MS + max(0.0, boto3 - cpython) + powertools_ms
    return out


def powertools_import_ms(runs: int = 3) -> float:
    """What importing Powertools' Logger, Metrics and batch utility costs on this machine (median)."""
    code = (
        "import time; t = time.perf_counter(); from aws_lambda_powertools import Logger, Metrics; "
        "from aws_lambda_powertools.utilities.batch import BatchProcessor; "
        "print((time.perf_counter() - t) * 1000)"
    )
    times = sorted(
        float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)
        for _ in range(runs)
    )
    return round(times[len(times) // 2], 1)


def harness_resources(cloud: LocalCloud) -> set[str]:
    """The logical ids of the test harness (Condition DeployHarness): not the product, not counted."""
    template = load_template(cloud.template_path)
    return {lid for lid, r in template["Resources"].items() if r.get("Condition") == "DeployHarness"}


def measure(n: int, rate: float, powertools_ms: float, out: Any) -> dict[str, Any]:
    with LocalCloud(build_dir=BUILD_DIR, state_dir=ROOT / ".localcloud" / "cost", progress=out) as cloud:
        harness = harness_resources(cloud)
        physical = cloud.info()["resources"]
        names = {str(physical[lid]).rsplit("/", 1)[-1] for lid in harness if lid in physical}
        # GetQueueAttributes: this script waiting for the queues; Scan: the local TTL sweeper (on AWS,
        # TTL deletes are free): the product makes neither call
        measurement = [("sqs", "GetQueueAttributes"), ("dynamodb", "Scan")]
        ledger = Ledger(ignore_resources=names, ignore_operations=measurement)
        cloud.endpoint.on_call = ledger.record
        vins = bench_vins(cloud)
        out("warm-up: 4 commands")
        send(cloud, vins[-4:], 4, rate, out)
        settle(cloud, 120)
        ledger.reset()
        since_ms, logs0 = int(time.time() * 1000), log_bytes(cloud.state_dir, harness)
        out(f"measured run: {n} commands at {rate}/s")
        send(cloud, vins, n, rate, out)
        out(f"settling (every queue empty, the lifecycle checks done): {settle(cloud, 180)} s")
        until_ms = int(time.time() * 1000)
        calls = ledger.snapshot()
        executions, express_s, express_gb_s = express(calls)
        coldstart_path = ROOT / "reports" / "coldstart.json"
        coldstart = json.loads(coldstart_path.read_text()) if coldstart_path.is_file() else {}
        functions = {
            lid: f
            for lid, f in functions_usage(cloud, since_ms, until_ms, coldstart, powertools_ms).items()
            if lid not in harness
        }
        pipe_queue = cloud.physical("IncomingQueue").rsplit("/", 1)[-1]
        logs = log_bytes(cloud.state_dir, harness) - logs0
    sqs = calls["sqs"]
    per = 1 / n
    usage = {
        "apiRequests": 1.0,  # one POST per command (WAF inspects each)
        "expressExecutions": executions * per,
        "expressBilledGbS": express_gb_s * per,
        "snsPublishes": calls["calls"].get("sns", {}).get("Publish", 0) * per,
        "sqsRequests64k": (sqs["requests64k"] - sqs["emptyReceives"]) * per,
        "pipesRequests": sqs["receivedByQueue"].get(pipe_queue, 0) * per,
        "dynamodbReadUnits": calls["dynamodb"]["readUnits"] * per,
        "dynamodbWriteUnits": calls["dynamodb"]["writeUnits"] * per,
        "logBytes": logs * per,
        "functions": {
            lid: {**f, "invocations": f["invocations"] * per, "billedMs": f["billedMs"] * per}
            for lid, f in sorted(functions.items())
        },
    }
    return {
        "commands": n,
        "ratePerS": rate,
        "windowS": round((until_ms - since_ms) / 1000, 1),
        "calls": calls,
        "expressSeconds": round(express_s, 2),
        "emptyReceivesNotCounted": sqs["emptyReceives"],
        "usagePerCommand": usage,
    }


def emf_streams() -> int:
    """The custom metric streams one colour publishes at most (remote_services.obs.catalog): every
    dimension set times the values its dimensions take."""
    from remote_services import catalog as services
    from remote_services.obs import catalog
    from remote_services.status import FailureReason

    reasons = [v for k, v in vars(FailureReason).items() if k.isupper()]
    values = {"Colour": 1, "ServiceType": len(services.SERVICES), "Reason": 1, "Status": 1}
    final_combinations = 1 + len(reasons)  # EXECUTED/NONE, FAILED/<each reason>
    total = 0
    for _unit, sets in catalog.METRICS.values():
        for dims in sets:
            if "Status" in dims:
                total += final_combinations
            else:
                total += math.prod(values[d] for d in dims)
    return total


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--commands", type=int, default=100)
    ap.add_argument(
        "--rate", type=float, default=2.0, help="commands per second (what the local cloud carries)"
    )
    ap.add_argument("--cold-start-ratio", type=float, default=0.01, help="share of invocations that are cold")
    ap.add_argument("--output", type=Path, default=ROOT / "reports" / "cost.json")
    ap.add_argument("--no-readme", action="store_true", help="leave README.md's table alone")
    args = ap.parse_args(argv)

    def out(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    powertools_ms = powertools_import_ms()
    measured = measure(args.commands, args.rate, powertools_ms, out)
    prices = load_prices()
    r = args.cold_start_ratio
    variants = [
        Variant("native x86_64", "x86_64", False, None, r),
        Variant("native arm64", "arm64", False, None, r),
        Variant(
            f"python x86_64 boto3+Powertools ({CONVENTIONAL_MEMORY_MB} MB)",
            "x86_64",
            True,
            CONVENTIONAL_MEMORY_MB,
            r,
        ),
    ]
    report = {
        "machine": machine(),
        "utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "prices": {k: prices[k] for k in ("dated", "region", "currency", "source")},
        "assumptions": {
            "coldStartRatio": r,
            "publicPythonInitMs": PUBLIC_PYTHON_INIT_MS,
            "conventionalInit": "public Python INIT + boto3 and its clients (reports/coldstart.json: "
            "CPython + boto3 over CPython) + Powertools' Logger, Metrics and batch import, measured here",
            "powertoolsImportMs": powertools_ms,
            "conventionalMemoryMb": CONVENTIONAL_MEMORY_MB,
            "conventionalWarmDuration": "the native functions' measured warm billed duration (I/O-bound)",
            "sqsIdlePolling": "not per command: Lambda's pollers long-poll each queue, commands or not",
            "snsToSqsDeliveries": "free",
            "xray": "the default sampling rule at volume (5 %)",
            "localDurations": "Lambda and Express durations measured on this machine (see machine)",
        },
        **measured,
        "costPer1MCommands": compare(measured["usagePerCommand"], prices, variants),
        "fixedPerMonth": fixed_monthly(
            [load_template(ROOT / "stacks" / "shared.yaml"), load_template(ROOT / "template.yaml")],
            prices,
            emf_streams(),
        ),
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=1) + "\n")
    out(f"wrote {args.output}")
    if not args.no_readme:
        write_readme_table(report, ROOT / "README.md")
        out("wrote the cost table in README.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
