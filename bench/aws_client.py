"""Lean AWS client vs boto3: import + client creation + first call, each in a fresh subprocess.

    .venv/bin/python bench/aws_client.py [--runs 20] [--out reports/aws_client.json]

A moto server on a free 127.0.0.1 port holds a DynamoDB table; every run is a new Python process
that imports the client, creates a DynamoDB client and makes one GetItem (then a second, warm one),
timing each step with perf_counter. Prints a table and writes the JSON report.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TABLE = "BenchEvents"

CHILD = r"""
import sys, time
t0 = time.perf_counter()
m0 = len(sys.modules)
{import_}
t1 = time.perf_counter()
{create}
t2 = time.perf_counter()
key = {{"eventId": {{"S": "e1"}}, "sk": {{"S": "ITEM"}}}}
r = {call}
t3 = time.perf_counter()
r = {call}
t4 = time.perf_counter()
assert r["Item"]["status"] == {{"S": "EXECUTED"}}, r
import json
print(json.dumps({{"import_ms": (t1 - t0) * 1e3, "create_ms": (t2 - t1) * 1e3,
                  "first_call_ms": (t3 - t2) * 1e3, "total_ms": (t3 - t0) * 1e3,
                  "warm_call_ms": (t4 - t3) * 1e3, "modules": len(sys.modules) - m0}}))
"""

VARIANTS: dict[str, dict[str, str]] = {
    "lean": {
        "import_": "from remote_services.aws import DynamoDB",
        "create": "c = DynamoDB()",
        "call": f'c.call("GetItem", {{"TableName": "{TABLE}", "Key": key}})',
    },
    "boto3.client": {
        "import_": "import boto3",
        "create": 'c = boto3.client("dynamodb")',
        "call": f'c.get_item(TableName="{TABLE}", Key=key)',
    },
    "botocore.create_client": {
        "import_": "import botocore.session",
        "create": 'c = botocore.session.get_session().create_client("dynamodb")',
        "call": f'c.get_item(TableName="{TABLE}", Key=key)',
    },
}
# What the lean client's import is made of: shares that a handler may already pay for.
BREAKDOWN = {
    "json": "import json",
    "json + http.client": "import json, http.client",
    "lean client (all)": "import json; from remote_services.aws import DynamoDB, Sns, Sqs",
}
BREAKDOWN_CHILD = r"""
import time
t0 = time.perf_counter()
{code}
print((time.perf_counter() - t0) * 1e3)
"""
METRICS = ("import_ms", "create_ms", "first_call_ms", "total_ms", "warm_call_ms", "process_ms")


def summary(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    p90 = ordered[min(len(ordered) - 1, round(0.9 * (len(ordered) - 1)))]
    return {
        "min_ms": round(ordered[0], 2),
        "median_ms": round(statistics.median(ordered), 2),
        "p90_ms": round(p90, 2),
    }


def run_child(code: str, env: dict[str, str]) -> dict[str, float]:
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    process_ms = (time.perf_counter() - start) * 1e3
    if done.returncode != 0:
        raise RuntimeError(f"benchmark child failed:\n{done.stderr}")
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    result["process_ms"] = process_ms
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=20, help="fresh processes per variant (default 20)")
    parser.add_argument("--out", type=Path, default=ROOT / "reports" / "aws_client.json")
    args = parser.parse_args(argv)

    import logging

    load_before = round(os.getloadavg()[0], 2)  # other work on the machine inflates every number alike

    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no access log line per request
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        env = dict(os.environ)
        env.update(
            {
                "AWS_REGION": "eu-central-1",
                "AWS_DEFAULT_REGION": "eu-central-1",
                "AWS_ACCESS_KEY_ID": "testing",
                "AWS_SECRET_ACCESS_KEY": "testing",
                "AWS_SESSION_TOKEN": "testing-token",
                "AWS_ENDPOINT_URL": f"http://{host}:{port}",
                "PYTHONPATH": os.pathsep.join(str(ROOT / p) for p in ("src", ".")),
            }
        )
        for name in (
            "AWS_PROFILE",
            "AWS_CONFIG_FILE",
            "AWS_SHARED_CREDENTIALS_FILE",
            "PYTHONDONTWRITEBYTECODE",
        ):
            env.pop(name, None)
        # Every variant runs from bytecode, as boto3 does from its installed .pyc files.
        import compileall

        compileall.compile_dir(str(ROOT / "src" / "remote_services"), quiet=1)
        os.environ.update({k: v for k, v in env.items() if k.startswith("AWS_")})
        import boto3  # type: ignore[import-untyped]

        ddb = boto3.client("dynamodb")
        ddb.create_table(
            TableName=TABLE,
            KeySchema=[
                {"AttributeName": "eventId", "KeyType": "HASH"},
                {"AttributeName": "sk", "KeyType": "RANGE"},
            ],
            AttributeDefinitions=[
                {"AttributeName": "eventId", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "S"},
            ],
            BillingMode="PAY_PER_REQUEST",
        )
        ddb.put_item(
            TableName=TABLE, Item={"eventId": {"S": "e1"}, "sk": {"S": "ITEM"}, "status": {"S": "EXECUTED"}}
        )

        samples: dict[str, list[dict[str, float]]] = {name: [] for name in VARIANTS}
        codes = {name: CHILD.format(**parts) for name, parts in VARIANTS.items()}
        for code in codes.values():  # one warm-up each: page cache, .pyc files
            run_child(code, env)
        for _ in range(args.runs):  # interleaved, so that machine noise hits every variant alike
            for name, code in codes.items():
                samples[name].append(run_child(code, env))
        breakdown: dict[str, list[float]] = {name: [] for name in BREAKDOWN}
        for _ in range(args.runs):
            for name, code in BREAKDOWN.items():
                done = subprocess.run(
                    [sys.executable, "-c", BREAKDOWN_CHILD.format(code=code)],
                    env=env,
                    capture_output=True,
                    text=True,
                    timeout=60,
                    check=True,
                )
                breakdown[name].append(float(done.stdout.strip()))
    finally:
        server.stop()

    report: dict[str, Any] = {
        "machine": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "load_average_1m_before": load_before,
            "load_average_1m_after": round(os.getloadavg()[0], 2),
        },
        "runs": args.runs,
        "endpoint": "moto server on 127.0.0.1 (http)",
        "operation": "DynamoDB GetItem",
        "bytecode": "precompiled .pyc for every variant (CPython, not Nuitka)",
        "variants": {},
    }
    for name, runs in samples.items():
        entry: dict[str, Any] = {m: summary([r[m] for r in runs]) for m in METRICS}
        entry["modules_imported"] = int(statistics.median(r["modules"] for r in runs))
        report["variants"][name] = entry

    report["import_breakdown"] = {name: summary(values) for name, values in breakdown.items()}
    lean_total = report["variants"]["lean"]["total_ms"]["median_ms"]
    header = (
        f"{'variant':<24}{'import':>9}{'create':>9}{'1st call':>10}{'total':>9}"
        f"{'warm':>8}{'process':>9}{'modules':>9}"
    )
    machine = report["machine"]
    print(
        f"median ms over {args.runs} fresh processes (import + create + first GetItem against moto); "
        f"load average {machine['load_average_1m_before']} -> {machine['load_average_1m_after']}"
    )
    print(header)
    print("-" * len(header))
    for name, entry in report["variants"].items():
        med = {m: entry[m]["median_ms"] for m in METRICS}
        print(
            f"{name:<24}{med['import_ms']:>9.1f}{med['create_ms']:>9.1f}{med['first_call_ms']:>10.1f}"
            f"{med['total_ms']:>9.1f}{med['warm_call_ms']:>8.2f}{med['process_ms']:>9.1f}"
            f"{entry['modules_imported']:>9}"
        )
    for name in VARIANTS:
        if name != "lean":
            ratio = report["variants"][name]["total_ms"]["median_ms"] / lean_total
            report["variants"][name]["total_vs_lean"] = round(ratio, 1)
            print(f"{name}: {ratio:.1f}x the lean client's import + create + first call")
    print(
        "import only, median ms: "
        + ", ".join(f"{name} {entry['median_ms']:.1f}" for name, entry in report["import_breakdown"].items())
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
