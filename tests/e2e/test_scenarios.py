"""The scenario suite through the real runner (`python -m simulator run`) against a local cloud that
serves the deployed test harness (`python -m localcloud serve --harness`), each in a process of its
own, as a developer runs them: the hand-written suite passes; a pipeline broken on purpose fails
exactly the cases that see the break."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest

from localcloud.sam_build import build_state, sam_build
from simulator.scenario import SCENARIOS_DIR, load_dir
from tests.support.serving import ENV, serving

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]


def cpython_build() -> Path:
    """The NATIVE=0 build (its layer holds the Python sources, which a test may break on purpose)."""
    build = ROOT / ".localcloud" / "build"
    if build_state("0", build) is not None:
        sam_build("0", build, out=lambda _line: None)
    return build


def run_suite(info_file: Path, out: Path, *args: str) -> tuple[int, dict[str, Any], str]:
    """The runner against the serving cloud; (exit status, the JSON report, what it printed)."""
    command = [sys.executable, "-m", "simulator", "run", "--running", str(info_file),
               "--json", str(out / "scenarios.json"), "--junit", str(out / "scenarios.xml"), *args]
    result = subprocess.run(
        command, cwd=ROOT, env=ENV, capture_output=True, text=True, timeout=900, check=False
    )
    report = json.loads((out / "scenarios.json").read_text()) if (out / "scenarios.json").is_file() else {}
    return result.returncode, report, result.stdout + result.stderr


def test_the_hand_written_suite_passes(tmp_path: Path) -> None:
    with serving(tmp_path / "running.json", "--build-dir", str(cpython_build())):
        status, report, printed = run_suite(tmp_path / "running.json", tmp_path, "--concurrency", "6")
    assert status == 0, printed[-6000:]
    summary = report["summary"]
    assert summary["failed"] == 0 and summary["cases"] == len(load_dir(SCENARIOS_DIR)) >= 30
    assert (tmp_path / "scenarios.xml").is_file()


def test_a_broken_pipeline_fails_exactly_the_cases_that_see_the_break(
    tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    # The break: the distributor pushes every final event as EXECUTED (in a copy of the built layer,
    # two levels below the repository like the build itself: the built template's paths are relative).
    broken = ROOT / ".localcloud" / f"broken-{uuid.uuid4().hex[:8]}"
    shutil.copytree(cpython_build(), broken, symlinks=True)
    request.addfinalizer(lambda: shutil.rmtree(broken, ignore_errors=True))
    push = broken / "NativeRuntimeLayer" / "remote_services" / "push.py"
    source = push.read_text()
    assert '"result": event["status"],' in source
    push.write_text(source.replace('"result": event["status"],', '"result": "EXECUTED",'))
    selection = r"^fleet-(immediate|reject|silent)/|^commands/door-lock-rejected-by-vehicle$"
    with serving(tmp_path / "running.json", "--build-dir", str(broken)):
        status, report, printed = run_suite(
            tmp_path / "running.json", tmp_path, "--cases", selection, "--concurrency", "6"
        )
    assert status == 1, printed[-6000:]
    failed = {c["case_id"] for c in report["cases"] if not c["passed"]}
    sees_the_break = {c["case_id"] for c in report["cases"] if c["final_status"] == "FAILED"}
    assert failed == sees_the_break and failed, printed[-6000:]
    assert all(any("push result" in r for r in c["reasons"]) for c in report["cases"] if not c["passed"])
    assert len(report["cases"]) > len(failed)  # the EXECUTED cases still pass
