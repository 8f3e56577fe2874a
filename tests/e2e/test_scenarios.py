"""The scenario suite through the real runner (`python -m simulator run`) against a local cloud that
serves the deployed test harness (`python -m localcloud serve --harness`), each in a process of its
own, as a developer runs them: the hand-written suite passes; a pipeline broken on purpose fails
exactly the cases that see the break."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from localcloud.sam_build import build_state, sam_build
from simulator.scenario import SCENARIOS_DIR, load_dir

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)])}


def cpython_build() -> Path:
    """The NATIVE=0 build (its layer holds the Python sources, which a test may break on purpose)."""
    build = ROOT / ".localcloud" / "build"
    if build_state("0", build) is not None:
        sam_build("0", build, out=lambda _line: None)
    return build


@contextmanager
def serving(build_dir: Path, info_file: Path) -> Iterator[dict[str, Any]]:
    """`python -m localcloud serve --harness` on `build_dir`; yields its published description."""
    command = [sys.executable, "-m", "localcloud", "serve", "--harness", "--no-build",
               "--build-dir", str(build_dir), "--info-file", str(info_file)]
    process = subprocess.Popen(command, cwd=ROOT, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 120
        while not info_file.is_file():
            assert process.poll() is None, process.stdout.read().decode() if process.stdout else ""
            assert time.monotonic() < deadline, "the local cloud was not up within 120 s"
            time.sleep(0.2)
        yield json.loads(info_file.read_text())
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


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
    with serving(cpython_build(), tmp_path / "running.json"):
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
    with serving(broken, tmp_path / "running.json"):
        status, report, printed = run_suite(
            tmp_path / "running.json", tmp_path, "--cases", selection, "--concurrency", "6"
        )
    assert status == 1, printed[-6000:]
    failed = {c["case_id"] for c in report["cases"] if not c["passed"]}
    sees_the_break = {c["case_id"] for c in report["cases"] if c["final_status"] == "FAILED"}
    assert failed == sees_the_break and failed, printed[-6000:]
    assert all(any("push result" in r for r in c["reasons"]) for c in report["cases"] if not c["passed"])
    assert len(report["cases"]) > len(failed)  # the EXECUTED cases still pass
