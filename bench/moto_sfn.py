"""How moto's Step Functions calls scale with the executions already made (issue 11, part 3).

    PYTHONPATH=src:. .venv/bin/python bench/moto_sfn.py [--executions 3000] [--step 500] [--samples 50]

Starts moto in this process (`localcloud.aws.moto_server.MotoServer`, with the local cloud's
speed-ups) and an EXPRESS state machine of one Pass state, then runs `--executions` executions in
steps of `--step`; after each step it times `--samples` StartExecution + DescribeExecution pairs
(the calls our StartSyncExecution makes) and prints, and writes as JSON with `--output`, the mean
milliseconds per call against the number of executions the machine has had. A cost that grows with
that number is a cost that grows with the length of a local-cloud run.
"""

from __future__ import annotations

import argparse
import json
import time
import uuid
from pathlib import Path
from typing import Any

from localcloud.aws.moto_proxy import InProcessMoto
from localcloud.aws.moto_server import MotoServer

AUTH = (
    "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/states/aws4_request, "
    "SignedHeaders=host, Signature=0"
)
DEFINITION = json.dumps({"StartAt": "Done", "States": {"Done": {"Type": "Pass", "End": True}}})


def call(moto: InProcessMoto, target: str, payload: dict[str, Any]) -> dict[str, Any]:
    status, data = moto.call_json(f"AWSStepFunctions.{target}", payload, AUTH)
    if status != 200:
        raise RuntimeError(f"{target}: {status} {data[:300]!r}")
    result: dict[str, Any] = json.loads(data or b"{}")
    return result


def run_one(moto: InProcessMoto, machine_arn: str) -> tuple[float, float]:
    """One execution: (StartExecution ms, DescribeExecution ms of the first describe), waited to its end."""
    t0 = time.perf_counter()
    arn = call(
        moto, "StartExecution", {"stateMachineArn": machine_arn, "name": str(uuid.uuid4()), "input": "{}"}
    )["executionArn"]
    t1 = time.perf_counter()
    described = call(moto, "DescribeExecution", {"executionArn": arn})
    t2 = time.perf_counter()
    while described["status"] == "RUNNING":
        time.sleep(0.001)
        described = call(moto, "DescribeExecution", {"executionArn": arn})
    return (t1 - t0) * 1000, (t2 - t1) * 1000


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--executions", type=int, default=3000)
    ap.add_argument("--step", type=int, default=500)
    ap.add_argument("--samples", type=int, default=50)
    ap.add_argument("--output", default="")
    args = ap.parse_args(argv)
    with MotoServer() as server:
        moto = InProcessMoto(server.app, server.host, server.port)
        machine_arn = call(
            moto,
            "CreateStateMachine",
            {
                "name": f"bench-{uuid.uuid4().hex[:8]}",
                "definition": DEFINITION,
                "roleArn": "arn:aws:iam::123456789012:role/bench",
                "type": "EXPRESS",
            },
        )["stateMachineArn"]
        rows: list[dict[str, Any]] = []
        done = 0
        while True:
            starts, describes = zip(*(run_one(moto, machine_arn) for _ in range(args.samples)), strict=True)
            done += args.samples
            row = {
                "executions_before": done - args.samples,
                "start_ms": round(sum(starts) / len(starts), 3),
                "describe_ms": round(sum(describes) / len(describes), 3),
            }
            rows.append(row)
            print(json.dumps(row), flush=True)
            if done >= args.executions:
                break
            for _ in range(min(args.step, args.executions - done)):
                run_one(moto, machine_arn)
                done += 1
    first, last = rows[0], rows[-1]
    summary = {
        "rows": rows,
        "describe_ratio_last_to_first": round(last["describe_ms"] / first["describe_ms"], 2),
        "start_ratio_last_to_first": round(last["start_ms"] / first["start_ms"], 2),
    }
    print(json.dumps({k: v for k, v in summary.items() if k != "rows"}))
    if args.output:
        Path(args.output).write_text(json.dumps(summary, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
