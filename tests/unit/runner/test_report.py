"""The runner's reports: nearest-rank percentiles, the summary, JUnit XML a CI can read, the table."""

from __future__ import annotations

import io
import json
import xml.etree.ElementTree as ET
from pathlib import Path

from simulator.runner import report
from simulator.runner.execute import CaseResult


def results() -> list[CaseResult]:
    ok = CaseResult("horn/g1", "simulator/scenarios/horn.yaml", vin="V1", event_id="e1", http_status=202,
                    final_status="EXECUTED", history=["CREATED", "PENDING", "RUNNING", "EXECUTED"], pushes=1,
                    end_to_end_ms=410.0, push_latency_ms=380.0, duration_s=0.6)
    bad = CaseResult("silent/g2", "simulator/scenarios/silent.yaml", vin="V2", event_id="e2", http_status=202,
                     final_status="EXECUTED", pushes=1, end_to_end_ms=900.0, push_latency_ms=870.0,
                     reasons=["final status EXECUTED (expected FAILED)"])
    return [ok, bad]


def test_percentiles_are_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert [report.percentile(values, q) for q in (50, 90, 99)] == [50.0, 90.0, 99.0]
    assert report.percentile([7.0], 99) == 7.0
    assert report.percentile([], 50) is None


def test_summary_counts_failures_and_latencies() -> None:
    summary = report.summary(results(), wall_s=30.0)
    assert (summary["cases"], summary["passed"], summary["failed"]) == (2, 1, 1)
    assert summary["failedCases"] == ["silent/g2"]
    assert summary["casesPerMinute"] == 4.0
    assert summary["pushLatencyMs"]["max"] == 870.0


def test_junit_xml_names_each_case_and_why_it_failed(tmp_path: Path) -> None:
    path = tmp_path / "r.xml"
    report.write_junit(results(), path, "scenarios", 30.0)
    suite = ET.parse(path).getroot()
    assert (suite.get("tests"), suite.get("failures")) == ("2", "1")
    cases = {c.get("name"): c for c in suite.iter("testcase")}
    assert cases["horn/g1"].find("failure") is None
    failure = cases["silent/g2"].find("failure")
    assert failure is not None and "expected FAILED" in (failure.get("message") or "")


def test_json_report_and_table(tmp_path: Path) -> None:
    written = report.write_json(results(), tmp_path / "r.json", "local", 30.0)
    assert json.loads((tmp_path / "r.json").read_text()) == written
    assert [c["passed"] for c in written["cases"]] == [True, False]
    out = io.StringIO()
    report.print_table(results(), out)
    text = out.getvalue()
    assert "horn/g1" in text and "FAIL" in text and "why: final status EXECUTED (expected FAILED)" in text
