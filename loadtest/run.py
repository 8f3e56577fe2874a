"""One load test: the profile scaled for the target, Artillery run on it, the pushes waited for and
read back, the report written.

    report = run_load(target, LoadOptions(rate_scale=0.03, time_scale=0.05), out=print)

The target is the scenario runner's (`simulator.runner.targets`): the API URL, a token per owner, the
fleet's vehicles, and the test harness's PushesTable, for the local cloud and a deployed stack alike.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml  # type: ignore[import-untyped, unused-ignore]

from bench.machine import machine
from loadtest.profile import HERE, expected_requests, load_profile, phases, scaled
from loadtest.results import summary
from simulator.runner.targets import Target, TargetError

OWNER = "bench"  # the fleet's load-test owner: its vehicles answer at once (fleet-immediate.yaml)
ARTILLERY = HERE / "node_modules" / ".bin" / "artillery"


@dataclass
class LoadOptions:
    rate_scale: float = 1.0
    time_scale: float = 1.0
    drain_s: float = 120.0  # after the last request: how long pushes may still come
    work_dir: Path = field(default_factory=lambda: HERE.parent / "reports" / "loadtest")


def _events(path: Path) -> list[dict[str, Any]]:
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _artillery(profile_path: Path, report_path: Path, env: dict[str, str], out: Any) -> int:
    if not ARTILLERY.is_file():
        raise TargetError(
            f"{ARTILLERY} is missing: install Artillery with `make loadtest-deps` (npm ci in loadtest/)"
        )
    command = [str(ARTILLERY), "run", "--output", str(report_path), str(profile_path)]
    out(f"artillery: {' '.join(command[1:])}")
    process = subprocess.Popen(
        command, cwd=HERE, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    assert process.stdout is not None
    for line in process.stdout:  # Artillery's own progress, every 10 s
        line = line.rstrip()
        if line:
            out(f"  | {line}")
    return process.wait()


def run_load(target: Target, options: LoadOptions, out: Any = print) -> dict[str, Any]:
    """The whole run; the returned report is what reports/loadtest-<target>.json holds."""
    vehicles = [v.vin for v in target.fleet if v.owner == OWNER]
    if not vehicles:
        raise TargetError(
            f"the fleet has no vehicle of the owner {OWNER!r} (simulator/fleet.json, generated)"
        )
    work = options.work_dir / target.name
    work.mkdir(parents=True, exist_ok=True)
    profile = scaled(load_profile(), options.rate_scale, options.time_scale)
    profile["config"]["payload"]["path"] = "vehicles.csv"  # Artillery reads it beside the profile
    (work / "vehicles.csv").write_text("\n".join(vehicles) + "\n")
    (work / "profile.yml").write_text(yaml.safe_dump(profile, sort_keys=False))
    events_path, report_path = work / "events.jsonl", work / "artillery.json"
    events_path.unlink(missing_ok=True)
    env = {
        **os.environ,
        "ARTILLERY_DISABLE_TELEMETRY": "true",
        "LOADTEST_API_URL": target.api_url.rstrip("/"),
        "LOADTEST_TOKEN": target.tokens(OWNER),
        "LOADTEST_EVENTS": str(events_path),
    }
    planned = expected_requests(profile)
    out(
        f"load test against {target.name}: {len(phases(profile))} phases, about {planned} requests, "
        f"{len(vehicles)} vehicles (rates x{options.rate_scale}, durations x{options.time_scale})"
    )
    started_ms = int(time.time() * 1000)
    code = _artillery(work / "profile.yml", report_path, env, out)
    ended_ms = int(time.time() * 1000)
    events = _events(events_path)
    accepted = {str(e["eventId"]) for e in events if e["status"] == 202 and e.get("eventId")}
    pushes = _drain(target, accepted, started_ms, options.drain_s, out)
    artillery_report = json.loads(report_path.read_text()) if report_path.is_file() else {}
    result = summary(events, pushes, artillery_report, started_ms)
    return {
        "target": target.name,
        "apiUrl": target.api_url,
        "machine": machine(),
        "utcStart": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started_ms / 1000)),
        "durationS": round((ended_ms - started_ms) / 1000, 1),
        "profile": {
            "rateScale": options.rate_scale,
            "timeScale": options.time_scale,
            "phases": phases(profile),
            "plannedRequests": planned,
            "vehicles": len(vehicles),
        },
        "artilleryExitCode": code,
        "result": result,
    }


def _drain(
    target: Target, accepted: set[str], since_ms: int, limit_s: float, out: Any
) -> list[dict[str, Any]]:
    """Read PushesTable until every accepted command was pushed (or `limit_s` passed)."""
    deadline = time.monotonic() + limit_s
    while True:
        pushes = target.harness.pushes_since(since_ms)
        missing = accepted - {str(p["notificationId"]) for p in pushes}
        if not missing or time.monotonic() >= deadline:
            if missing:
                lost = f"{len(missing)} of {len(accepted)} accepted commands"
                out(f"drain: {lost} without a push after {limit_s:.0f} s")
            return pushes
        out(f"drain: waiting for {len(missing)} push(es)")
        time.sleep(5)
