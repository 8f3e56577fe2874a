"""CPU per request to moto in this process: the direct dispatch (`localcloud.aws.moto_dispatch`)
against moto's WSGI application (DomainDispatcher -> Flask -> convert_to_flask_response).

    PYTHONPATH=src:. .venv/bin/python bench/moto_dispatch.py [--iterations 2000] [--only dynamodb_get_item]
        [--output reports/moto-dispatch.json]

Starts moto in this process (`localcloud.aws.moto_server.MotoServer`, with the local cloud's
speed-ups) and, for each workload, runs `--iterations` rounds; every round times the workload once
through each path (`InProcessMoto` with and without the direct dispatch; which one goes first
alternates), in CPU time of the process (`time.process_time`). Workloads: a DynamoDB GetItem, a
PutItem (the same key, overwritten), an SQS SendMessage + ReceiveMessage + DeleteMessage (JSON
protocol), an SNS Publish (query protocol) to a topic with one SQS subscription (the message is
received and deleted after the timed Publish, untimed). Prints, and writes as JSON with the
machine (`bench.machine`), the mean CPU microseconds per request of each path, direct / WSGI, and
the per-block ratios (blocks of `--block` rounds) to show the noise.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import time
import urllib.parse
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.machine import machine
from localcloud.aws.moto_proxy import InProcessMoto
from localcloud.aws.moto_server import MotoServer

REGION = "us-east-1"
ACCOUNT = "123456789012"


def _auth(service: str) -> str:
    return (
        f"AWS4-HMAC-SHA256 Credential=testing/20260101/{REGION}/{service}/aws4_request, "
        "SignedHeaders=host;x-amz-date, Signature=0"
    )


class Client:
    """AWS JSON and query calls through one `InProcessMoto` (status checked)."""

    def __init__(self, moto: InProcessMoto) -> None:
        self.moto = moto
        self.host = ("Host", f"{moto.host}:{moto.port}")

    def json(self, service: str, target: str, payload: dict[str, Any]) -> dict[str, Any]:
        headers = [
            self.host,
            ("Content-Type", "application/x-amz-json-1.0"),
            ("X-Amz-Target", target),
            ("Authorization", _auth(service)),
        ]
        status, _, body = self.moto.request("POST", "/", json.dumps(payload).encode(), headers)
        if status != 200:
            raise RuntimeError(f"{target}: {status} {body[:300]!r}")
        result: dict[str, Any] = json.loads(body or b"{}")
        return result

    def query(self, service: str, params: dict[str, str]) -> bytes:
        headers = [
            self.host,
            ("Content-Type", "application/x-www-form-urlencoded; charset=utf-8"),
            ("Authorization", _auth(service)),
        ]
        status, _, body = self.moto.request("POST", "/", urllib.parse.urlencode(params).encode(), headers)
        if status != 200:
            raise RuntimeError(f"{params.get('Action')}: {status} {body[:300]!r}")
        return body


Workload = tuple[int, Callable[[Client], None], Callable[[Client], None] | None]  # requests, timed, after


def workloads(setup: Client) -> dict[str, Workload]:
    """Creates the resources (through `setup`); returns name -> (requests, timed part, untimed part)."""
    setup.json(
        "dynamodb",
        "DynamoDB_20120810.CreateTable",
        {
            "TableName": "bench",
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
            "BillingMode": "PAY_PER_REQUEST",
        },
    )
    item = {"pk": {"S": "vehicle-1"}, "status": {"S": "RUNNING"}, "n": {"N": "1"}, "at": {"S": "2026-01-01"}}
    setup.json("dynamodb", "DynamoDB_20120810.PutItem", {"TableName": "bench", "Item": item})
    queue = setup.json("sqs", "AmazonSQS.CreateQueue", {"QueueName": "bench"})["QueueUrl"]
    fanout = setup.json("sqs", "AmazonSQS.CreateQueue", {"QueueName": "bench-fanout"})["QueueUrl"]
    created = setup.query("sns", {"Action": "CreateTopic", "Name": "bench", "Version": "2010-03-31"})
    topic = created.split(b"<TopicArn>")[1].split(b"</TopicArn>")[0].decode()
    subscribe = {
        "Action": "Subscribe",
        "TopicArn": topic,
        "Protocol": "sqs",
        "Endpoint": f"arn:aws:sqs:{REGION}:{ACCOUNT}:bench-fanout",
        "Version": "2010-03-31",
    }
    setup.query("sns", subscribe)

    def get_item(c: Client) -> None:
        c.json(
            "dynamodb", "DynamoDB_20120810.GetItem", {"TableName": "bench", "Key": {"pk": {"S": "vehicle-1"}}}
        )

    def put_item(c: Client) -> None:
        c.json("dynamodb", "DynamoDB_20120810.PutItem", {"TableName": "bench", "Item": item})

    def sqs_round_trip(c: Client) -> None:
        c.json("sqs", "AmazonSQS.SendMessage", {"QueueUrl": queue, "MessageBody": '{"command": "lock"}'})
        got = c.json("sqs", "AmazonSQS.ReceiveMessage", {"QueueUrl": queue, "MaxNumberOfMessages": 1})
        handle = got["Messages"][0]["ReceiptHandle"]
        c.json("sqs", "AmazonSQS.DeleteMessage", {"QueueUrl": queue, "ReceiptHandle": handle})

    def publish(c: Client) -> None:
        c.query("sns", {"Action": "Publish", "TopicArn": topic, "Message": '{"command": "lock"}'})

    def drain_fanout(c: Client) -> None:
        got = c.json("sqs", "AmazonSQS.ReceiveMessage", {"QueueUrl": fanout, "MaxNumberOfMessages": 10})
        for message in got.get("Messages", []):
            c.json(
                "sqs",
                "AmazonSQS.DeleteMessage",
                {"QueueUrl": fanout, "ReceiptHandle": message["ReceiptHandle"]},
            )

    return {
        "dynamodb_get_item": (1, get_item, None),
        "dynamodb_put_item": (1, put_item, None),
        "sqs_send_receive_delete": (3, sqs_round_trip, None),
        "sns_publish_to_sqs": (1, publish, drain_fanout),
    }


def check_direct(client: Client, workload: Workload) -> None:
    """The workload's requests are all answered by the direct dispatch (none falls back)."""
    dispatcher = client.moto.direct
    assert dispatcher is not None
    declined: list[str] = []
    original = dispatcher.dispatch

    def counting(environ: dict[str, Any]) -> Any:
        answer = original(environ)
        if answer is None:
            declined.append(str(environ.get("HTTP_X_AMZ_TARGET") or environ.get("PATH_INFO")))
        return answer

    setattr(dispatcher, "dispatch", counting)  # noqa: B010 - an instance attribute, for this check only
    try:
        _, timed, after = workload
        timed(client)
        if after is not None:
            after(client)
    finally:
        delattr(dispatcher, "dispatch")
    if declined:
        raise RuntimeError(f"fell back to the WSGI application: {declined}")


def measure(
    paths: dict[str, Client], workload: Workload, iterations: int, block: int, warmup: int
) -> dict[str, Any]:
    """`iterations` rounds, each path once per round (alternating order): CPU µs per request."""
    requests, timed, after = workload
    names = list(paths)
    for _ in range(warmup):
        for name in names:
            timed(paths[name])
            if after is not None:
                after(paths[name])
    totals = dict.fromkeys(names, 0.0)
    blocks: dict[str, list[float]] = {name: [] for name in names}
    in_block = dict.fromkeys(names, 0.0)
    for i in range(iterations):
        order = names if i % 2 == 0 else names[::-1]
        for name in order:
            client = paths[name]
            t0 = time.process_time()
            timed(client)
            spent = time.process_time() - t0
            totals[name] += spent
            in_block[name] += spent
            if after is not None:
                after(client)
        if (i + 1) % block == 0:
            for name in names:
                blocks[name].append(in_block[name])
                in_block[name] = 0.0
    per_request = {name: totals[name] / (iterations * requests) * 1e6 for name in names}
    ratios = [d / w for d, w in zip(blocks["direct"], blocks["wsgi"], strict=True) if w > 0]
    return {
        "requests_per_round": requests,
        "rounds": iterations,
        "direct_cpu_us_per_request": round(per_request["direct"], 1),
        "wsgi_cpu_us_per_request": round(per_request["wsgi"], 1),
        "ratio_direct_to_wsgi": round(per_request["direct"] / per_request["wsgi"], 3),
        "saved_cpu_us_per_request": round(per_request["wsgi"] - per_request["direct"], 1),
        "block_ratios": {
            "blocks": len(ratios),
            "median": round(statistics.median(ratios), 3) if ratios else None,
            "min": round(min(ratios), 3) if ratios else None,
            "max": round(max(ratios), 3) if ratios else None,
        },
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--iterations", type=int, default=2000, help="rounds per workload (each path once)")
    ap.add_argument("--block", type=int, default=100, help="rounds per block (the per-block ratios)")
    ap.add_argument("--warmup", type=int, default=50)
    ap.add_argument("--only", default="", help="comma-separated workload names (default: all)")
    ap.add_argument("--output", default="reports/moto-dispatch.json")
    args = ap.parse_args(argv)
    report: dict[str, Any] = {"machine": machine(), "iterations": args.iterations, "workloads": {}}
    with MotoServer() as server:
        direct = InProcessMoto(server.app, server.host, server.port)
        wsgi = InProcessMoto(server.app, server.host, server.port, direct=False)
        paths = {"direct": Client(direct), "wsgi": Client(wsgi)}
        chosen = workloads(paths["wsgi"])  # the first request of a service creates its app (WSGI)
        only = [name for name in args.only.split(",") if name]
        for name, workload in chosen.items():
            if only and name not in only:
                continue
            check_direct(paths["direct"], workload)
            gc.collect()
            result = measure(paths, workload, args.iterations, args.block, args.warmup)
            report["workloads"][name] = result
            print(name, json.dumps(result), flush=True)
    report["machine"]["loadavg_at_end"] = list(os.getloadavg())
    if args.output:
        Path(args.output).parent.mkdir(parents=True, exist_ok=True)
        Path(args.output).write_text(json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
