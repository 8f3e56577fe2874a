"""The load test (loadtest/): the seed's profile, scaled down to a few seconds per phase, run by
Artillery against the session's local cloud; its requests joined with the pushes PushesTable holds."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from loadtest.plot import plot
from loadtest.run import ARTILLERY, LoadOptions, run_load
from simulator.runner.targets import Target

pytestmark = pytest.mark.e2e


def test_the_seed_profile_runs_end_to_end(target: Target, tmp_path: Path) -> None:
    assert ARTILLERY.is_file(), "make loadtest-deps (npm ci in loadtest/) installs Artillery"
    # 1-2 commands/s, phases of 5-6 s
    options = LoadOptions(rate_scale=0.01, time_scale=0.0005, drain_s=60, work_dir=tmp_path)
    report = run_load(target, options, out=lambda _m: None)
    result = report["result"]
    assert report["artilleryExitCode"] in (0, 1)  # 1: Artillery's own p99 check (the API's 202) failed
    assert [p["duration"] for p in report["profile"]["phases"]] == [5, 5, 6]
    assert result["sent"] == result["answered"] == result["accepted"] > 5
    assert result["http"] == {"202": result["accepted"]} and result["errors"] == {}
    assert result["final"] == {"EXECUTED": result["accepted"]}  # the fleet's bench cars answer at once
    assert result["endToEndMs"]["count"] == result["accepted"]
    assert result["seedThresholds"]["zeroErrors"]
    assert sum(row["acceptedPerS"] for row in result["series"]) * 10 == pytest.approx(result["accepted"])
    events = [json.loads(line) for line in (tmp_path / "local" / "events.jsonl").read_text().splitlines()]
    assert {e["service"] for e in events} <= {"HORN_BLOW", "LIGHT_FLASH"}
    png = tmp_path / "loadtest.png"
    plot(report, png)
    assert png.read_bytes()[:4] == b"\x89PNG"
