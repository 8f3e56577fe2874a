"""AWS mode of the cold-start benchmark: force cold starts of a deployed stack and price their INIT.

For every Lambda function of the stack: update its configuration (an environment variable with a
nonce, which retires the warm sandboxes), wait until the update is done, invoke it with its sample
event, and read the invocation's REPORT line from CloudWatch Logs (``Init Duration``, ``Duration``,
``Billed Duration``, ``Memory Size``, ``Max Memory Used``). Since August 2025 the INIT phase is
billed on every runtime, so the report gives the billed INIT cost per million cold starts.
The parsing and the pricing are pure functions, tested against recorded log lines.
"""

from __future__ import annotations

import base64
import json
import math
import re
import time
import uuid
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

# On-demand duration price per GB-second (first tier, us-east-1 / eu-west-1), by architecture.
PRICE_PER_GB_SECOND_USD: dict[str, float] = {"x86_64": 0.0000166667, "arm64": 0.0000133334}
NONCE_VARIABLE = "COLDSTART_NONCE"

_FIELD = re.compile(r"(?P<name>[A-Za-z][A-Za-z ]*?):\s*(?P<value>\d+(?:\.\d+)?)\s*(?P<unit>ms|MB)\b")
_REQUEST_ID = re.compile(r"REPORT\s+RequestId:\s*(?P<id>[0-9A-Za-z-]+)")
_XRAY = re.compile(r"XRAY TraceId:\s*(?P<trace>\S+)")
_TEXT_NAMES = {
    "Duration": "duration_ms",
    "Billed Duration": "billed_duration_ms",
    "Memory Size": "memory_size_mb",
    "Max Memory Used": "max_memory_used_mb",
    "Init Duration": "init_duration_ms",
    "Restore Duration": "restore_duration_ms",
    "Billed Restore Duration": "billed_restore_duration_ms",
}
_JSON_NAMES = {
    "durationMs": "duration_ms",
    "billedDurationMs": "billed_duration_ms",
    "memorySizeMB": "memory_size_mb",
    "maxMemoryUsedMB": "max_memory_used_mb",
    "initDurationMs": "init_duration_ms",
    "restoreDurationMs": "restore_duration_ms",
    "billedRestoreDurationMs": "billed_restore_duration_ms",
}


@dataclass(frozen=True)
class Report:
    """The figures of one REPORT line (``init_duration_ms`` is None for a warm invocation)."""

    request_id: str
    duration_ms: float
    billed_duration_ms: float
    memory_size_mb: int
    max_memory_used_mb: int
    init_duration_ms: float | None = None
    restore_duration_ms: float | None = None
    billed_restore_duration_ms: float | None = None
    xray_trace_id: str | None = None

    @property
    def cold(self) -> bool:
        """A cold start: the line has an Init Duration (or a SnapStart Restore Duration)."""
        return self.init_duration_ms is not None or self.restore_duration_ms is not None


def _build(request_id: str, values: dict[str, float], trace: str | None) -> Report | None:
    required = ("duration_ms", "billed_duration_ms", "memory_size_mb", "max_memory_used_mb")
    if any(name not in values for name in required):
        return None
    return Report(
        request_id=request_id,
        duration_ms=values["duration_ms"],
        billed_duration_ms=values["billed_duration_ms"],
        memory_size_mb=int(values["memory_size_mb"]),
        max_memory_used_mb=int(values["max_memory_used_mb"]),
        init_duration_ms=values.get("init_duration_ms"),
        restore_duration_ms=values.get("restore_duration_ms"),
        billed_restore_duration_ms=values.get("billed_restore_duration_ms"),
        xray_trace_id=trace,
    )


def parse_report(message: str) -> Report | None:
    """Parse one log event: a text ``REPORT RequestId: ...`` line or a JSON ``platform.report`` record.

    Returns None for any other log event (START, END, function output, a truncated line).
    """
    text = message.strip()
    if text.startswith("{"):
        try:
            data = json.loads(text)
        except ValueError:
            return None
        if not isinstance(data, dict) or data.get("type") != "platform.report":
            return None
        record = data.get("record") or {}
        metrics = record.get("metrics") or {}
        found = {_JSON_NAMES[k]: float(v) for k, v in metrics.items() if k in _JSON_NAMES and v is not None}
        tracing = record.get("tracing") or {}
        trace = tracing.get("value") if isinstance(tracing, dict) else None
        return _build(str(record.get("requestId", "")), found, trace)
    match = _REQUEST_ID.search(text)
    if match is None:
        return None
    report_part = text[match.end() :]
    xray = _XRAY.search(report_part)
    if xray is not None:
        report_part = report_part[: xray.start()]
    values: dict[str, float] = {}
    for field in _FIELD.finditer(report_part):
        key = _TEXT_NAMES.get(field.group("name").strip())
        if key is not None:
            values[key] = float(field.group("value"))
    return _build(match.group("id"), values, xray.group("trace") if xray else None)


def find_reports(messages: Iterable[str]) -> list[Report]:
    """Every REPORT in a sequence of log events (or the lines of an invoke's ``LogResult`` tail)."""
    reports = []
    for message in messages:
        report = parse_report(message)
        if report is not None:
            reports.append(report)
    return reports


def init_cost_per_million_usd(init_ms: float, memory_mb: int, architecture: str) -> float:
    """What one million INIT phases of ``init_ms`` cost (billed per started ms, per GB-second)."""
    try:
        price = PRICE_PER_GB_SECOND_USD[architecture]
    except KeyError:
        raise ValueError(
            f"no price for architecture {architecture!r}; known: {sorted(PRICE_PER_GB_SECOND_USD)}"
        ) from None
    billed_seconds = math.ceil(init_ms) / 1000
    return round(billed_seconds * (memory_mb / 1024) * price * 1_000_000, 4)


def summarize_reports(reports: list[Report], architecture: str) -> dict[str, Any]:
    """Medians and the INIT cost of the cold reports of one function."""
    from bench.coldstart_stats import summarize

    cold = [r for r in reports if r.init_duration_ms is not None]
    out: dict[str, Any] = {"reports": len(reports), "cold_starts": len(cold), "architecture": architecture}
    if not cold:
        out["error"] = "no REPORT line with an Init Duration was found"
        return out
    init = summarize([r.init_duration_ms for r in cold if r.init_duration_ms is not None])
    memory = cold[0].memory_size_mb
    out.update(
        {
            "memory_size_mb": memory,
            "init_ms": init,
            "duration_ms": summarize([r.duration_ms for r in cold]),
            "billed_duration_ms": summarize([r.billed_duration_ms for r in cold]),
            "max_memory_used_mb": max(r.max_memory_used_mb for r in cold),
            "init_cost_per_million_usd": init_cost_per_million_usd(
                float(init["median_ms"]), memory, architecture
            ),
            "cold_invocation_cost_per_million_usd": round(
                float(summarize([r.billed_duration_ms for r in cold])["median_ms"])
                / 1000
                * (memory / 1024)
                * PRICE_PER_GB_SECOND_USD[architecture]
                * 1_000_000,
                4,
            ),
        }
    )
    return out


# ---- talking to AWS (boto3: a dev tool, never inside a Lambda) ----------------------------------


def stack_functions(cloudformation: Any, stack: str) -> dict[str, str]:
    """``{LogicalId: function name}`` of every Lambda function in the stack."""
    functions: dict[str, str] = {}
    for page in cloudformation.get_paginator("list_stack_resources").paginate(StackName=stack):
        for resource in page["StackResourceSummaries"]:
            if resource["ResourceType"] == "AWS::Lambda::Function":
                functions[resource["LogicalResourceId"]] = resource["PhysicalResourceId"]
    return functions


def force_cold_start(lambda_client: Any, function_name: str, variables: dict[str, str]) -> None:
    """Change an environment variable (a new nonce) and wait until the update is live."""
    updated = dict(variables, **{NONCE_VARIABLE: uuid.uuid4().hex})
    lambda_client.update_function_configuration(
        FunctionName=function_name, Environment={"Variables": updated}
    )
    lambda_client.get_waiter("function_updated_v2").wait(
        FunctionName=function_name, WaiterConfig={"Delay": 2, "MaxAttempts": 90}
    )


def report_from_logs(
    logs_client: Any, log_group: str, request_id: str, since_ms: int, timeout_s: float = 90.0
) -> Report | None:
    """Poll CloudWatch Logs for the REPORT of ``request_id`` (log delivery takes a few seconds)."""
    deadline = time.monotonic() + timeout_s
    while True:
        kwargs: dict[str, Any] = {
            "logGroupName": log_group,
            "startTime": since_ms,
            "filterPattern": f'"{request_id}"',
        }
        while True:
            page = logs_client.filter_log_events(**kwargs)
            for report in find_reports(event["message"] for event in page.get("events", [])):
                if report.request_id == request_id:
                    return report
            token = page.get("nextToken")
            if not token:
                break
            kwargs["nextToken"] = token
        if time.monotonic() > deadline:
            return None
        time.sleep(3)


def run_aws(stack: str, region: str | None, invokes: int, out: Path) -> int:
    """AWS mode entry point: measure every function of ``stack``; writes ``out``."""
    try:
        import boto3  # type: ignore[import-untyped, unused-ignore]
    except ImportError:
        print("AWS mode needs boto3 (make venv)")
        return 2
    from bench.coldstart_template import discover, folder_for, sample_event

    session = boto3.Session(region_name=region)
    lambda_client = session.client("lambda")
    logs_client = session.client("logs")
    functions = stack_functions(session.client("cloudformation"), stack)
    if not functions:
        print(f"stack {stack}: no Lambda functions")
        return 1
    specs = {s.logical_id: s for s in discover(ROOT, ROOT / "template.yaml")[0]}
    results: dict[str, Any] = {}
    for logical_id, name in sorted(functions.items()):
        config = lambda_client.get_function_configuration(FunctionName=name)
        original = dict((config.get("Environment") or {}).get("Variables") or {})
        original.pop(NONCE_VARIABLE, None)
        architecture = (config.get("Architectures") or ["x86_64"])[0]
        log_group = (config.get("LoggingConfig") or {}).get("LogGroup") or f"/aws/lambda/{name}"
        spec = specs.get(logical_id)
        try:
            event = sample_event(ROOT, spec)[0] if spec else {"Records": []}
        except LookupError:
            event = {"Records": []}
        print(
            f"{logical_id} ({name}, {architecture}, {config.get('MemorySize')} MB): {invokes} cold start(s)"
        )
        reports: list[Report] = []
        errors: list[str] = []
        try:
            for _ in range(invokes):
                force_cold_start(lambda_client, name, original)
                since_ms = int(time.time() * 1000) - 5_000
                response = lambda_client.invoke(
                    FunctionName=name, Payload=json.dumps(event).encode(), LogType="Tail"
                )
                request_id = response["ResponseMetadata"]["RequestId"]
                if response.get("FunctionError"):
                    errors.append(
                        f"{request_id}: {response['FunctionError']}: {response['Payload'].read()[:300]!r}"
                    )
                report = report_from_logs(logs_client, log_group, request_id, since_ms)
                if report is None and response.get("LogResult"):  # fall back to the invoke's log tail
                    tail = base64.b64decode(response["LogResult"]).decode(errors="replace")
                    report = next(
                        (r for r in find_reports(tail.splitlines()) if r.request_id == request_id), None
                    )
                if report is None:
                    errors.append(f"{request_id}: no REPORT line found in {log_group}")
                else:
                    reports.append(report)
                    print(f"  init {report.init_duration_ms} ms, duration {report.duration_ms} ms")
        finally:  # leave the configuration as it was
            lambda_client.update_function_configuration(
                FunctionName=name, Environment={"Variables": original}
            )
        row = summarize_reports(reports, architecture)
        row.update({"function_name": name, "folder": folder_for(logical_id), "errors": errors})
        row["raw"] = [asdict(r) for r in reports]
        results[logical_id] = row
    document = {
        "stack": stack,
        "region": session.region_name,
        "prices_per_gb_s_usd": PRICE_PER_GB_SECOND_USD,
        "functions": results,
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(document, indent=2) + "\n")
    print(f"{'function':<28} {'init med ms':>11} {'billed med ms':>13} {'max MB':>7} {'INIT $/1M cold':>15}")
    for logical_id, row in results.items():
        init = (row.get("init_ms") or {}).get("median_ms", "-")
        billed = (row.get("billed_duration_ms") or {}).get("median_ms", "-")
        print(
            f"{logical_id:<28} {init:>11} {billed:>13} "
            f"{row.get('max_memory_used_mb', '-'):>7} {row.get('init_cost_per_million_usd', '-'):>15}"
        )
    print(f"wrote {out}")
    return 0 if all(row.get("cold_starts") for row in results.values()) else 1
