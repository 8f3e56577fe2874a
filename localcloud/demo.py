"""The demo, run against a started LocalCloud: the scenario file `simulator/scenarios/demo.yaml` through
the scenario runner (in this process, over HTTP, as `python -m simulator run` runs it), plus three
requests the scenario format cannot express (it names only known service types and fleet VINs).

Expected outcomes (each one checked; `run_demo` returns the runner's results): horn blow EXECUTED,
light flash EXECUTED, a second command for a busy vehicle 409 (the vehicle's command EXECUTED), bad
requests 400 (a parameter out of range, malformed JSON, an unknown service type, a bad VIN), a car
without connectivity FAILED/TIMEOUT, a theft alarm pushed to the subscriber.
"""

from __future__ import annotations

import io
import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from simulator.runner import report
from simulator.runner.execute import CaseResult
from simulator.runner.suite import run_suite
from simulator.runner.targets import local_target
from simulator.scenario import SCENARIOS_DIR, load

if TYPE_CHECKING:
    from localcloud.cloud import LocalCloud

DEMO_FILE = SCENARIOS_DIR / "demo.yaml"
VIN_HORN = "WVWZZZ1JZXW000001"  # G2, answers at once


@dataclass
class HttpResult:
    status: int
    body: Any
    elapsed_ms: float


def call_api(
    api_url: str, method: str, path: str, token: str | None, body: bytes | None = None, timeout: float = 30.0
) -> HttpResult:
    """One request to the local API (JSON answer parsed when possible)."""
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = token
    req = urllib.request.Request(api_url + path, data=body, method=method, headers=headers)
    t0 = time.perf_counter()
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            status, raw = int(resp.status), resp.read()
    except urllib.error.HTTPError as exc:
        status, raw = int(exc.code), exc.read()
    elapsed = (time.perf_counter() - t0) * 1000
    try:
        parsed: Any = json.loads(raw) if raw else None
    except ValueError:
        parsed = raw.decode("utf-8", "replace")
    return HttpResult(status, parsed, elapsed)


def request_service(
    cloud: LocalCloud, user: str, vin: str, service: str, parameters: dict[str, Any] | None = None
) -> HttpResult:
    """POST /v1/vehicles/{vin}/services/{service} as `user`."""
    body = json.dumps({"parameters": parameters or {}}).encode()
    return call_api(cloud.api_url, "POST", f"/v1/vehicles/{vin}/services/{service}", cloud.token(user), body)


# requests the scenario format cannot express: (case id, path, body, a word the 400's message holds)
RAW_REFUSALS = (
    ("malformed-json-400", f"/v1/vehicles/{VIN_HORN}/services/HORN_BLOW", b'{"parameters": ', "json"),
    ("unknown-service-type-400", f"/v1/vehicles/{VIN_HORN}/services/TELEPORT", b"{}", "TELEPORT"),
    ("bad-vin-400", "/v1/vehicles/NOT-A-VIN/services/HORN_BLOW", b"{}", "vin"),
)


def raw_refusals(cloud: LocalCloud) -> list[CaseResult]:
    """The three raw requests, as the runner's results (400 with a message that names the problem)."""
    results = []
    for name, path, body, needle in RAW_REFUSALS:
        started = time.monotonic()
        res = call_api(cloud.api_url, "POST", path, cloud.token("alice"), body)
        result = CaseResult(f"demo/{name}", "localcloud/demo.py", http_status=res.status)
        message = res.body.get("message") if isinstance(res.body, dict) else None
        result.failure_reason = str(res.body.get("error")) if isinstance(res.body, dict) else None
        if res.status != 400:
            result.reasons.append(f"HTTP {res.status} (expected 400): {str(res.body)[:160]}")
        elif not message or needle.lower() not in json.dumps(res.body).lower():
            result.reasons.append(f"the 400's message does not name {needle!r}: {str(res.body)[:160]}")
        result.duration_s = round(time.monotonic() - started, 3)
        results.append(result)
    return results


def run_demo(cloud: LocalCloud, out: Callable[[str], None] = print, concurrency: int = 4) -> list[CaseResult]:
    """Run the demo's cases; print the runner's table. Every result must pass."""
    cases = load([DEMO_FILE], cloud.fleet)
    target = local_target(cloud.info(), cloud.fleet)
    out(f"demo: {len(cases)} cases of {DEMO_FILE.name} through the scenario runner, {concurrency} at once")

    def progress(result: CaseResult) -> None:
        out(f"  {'ok  ' if result.passed else 'FAIL'} {result.case_id} ({result.duration_s:.1f} s)")

    results = run_suite(target, cases, concurrency, on_result=progress)
    out(f"demo: {len(RAW_REFUSALS)} requests the scenario format cannot express")
    for result in raw_refusals(cloud):
        progress(result)
        results.append(result)
    table = io.StringIO()
    report.print_table(results, table)
    out("")
    for line in table.getvalue().rstrip("\n").splitlines():
        out(line)
    return results
