"""AWS mode of the cold-start benchmark: REPORT-line parsing, INIT pricing, reading CloudWatch Logs."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3  # type: ignore[import-untyped, unused-ignore]
import pytest

from bench.coldstart_aws import (
    PRICE_PER_GB_SECOND_USD,
    find_reports,
    init_cost_per_million_usd,
    parse_report,
    report_from_logs,
    summarize_reports,
)
from tests.support.moto import running_moto

EVENTS: list[str] = json.loads((Path(__file__).parent / "fixtures" / "report_log_events.json").read_text())


def test_only_complete_report_lines_are_found() -> None:
    reports = find_reports(EVENTS)
    assert [r.request_id for r in reports] == [
        "6f1c2a4e-9b1d-4a3c-8f7e-2d5b6c7a8e90",
        "0a9b8c7d-6e5f-4a3b-2c1d-0e9f8a7b6c5d",
        "3c2b1a09-8f7e-4d6c-b5a4-9382716a5b4c",
        "5d4c3b2a-1f0e-4d9c-8b7a-6f5e4d3c2b1a",
        "9e8d7c6b-5a49-4382-b716-0a9b8c7d6e5f",
    ]  # START/END/INIT_START, function output mentioning REPORT, and a truncated line are not reports


def test_cold_text_report() -> None:
    report = parse_report(EVENTS[4])
    assert report is not None
    assert (report.duration_ms, report.billed_duration_ms) == (3.21, 19)
    assert (report.memory_size_mb, report.max_memory_used_mb) == (128, 31)
    assert report.init_duration_ms == 15.12
    assert report.cold and report.xray_trace_id is None


def test_warm_text_report_has_no_init() -> None:
    report = parse_report(EVENTS[7])
    assert report is not None
    assert report.init_duration_ms is None and not report.cold
    assert report.billed_duration_ms == 2


def test_xray_segment_is_read_and_not_mistaken_for_a_field() -> None:
    report = parse_report(EVENTS[8])
    assert report is not None
    assert report.init_duration_ms == 312.55
    assert report.memory_size_mb == 256
    assert report.xray_trace_id == "1-6740a1b2-3c4d5e6f7a8b9c0d1e2f3a4b"


def test_snapstart_restore_duration() -> None:
    report = parse_report(EVENTS[9])
    assert report is not None
    assert report.init_duration_ms is None
    assert (report.restore_duration_ms, report.billed_restore_duration_ms) == (568.35, 183)
    assert report.cold


def test_json_platform_report() -> None:
    report = parse_report(EVENTS[10])
    assert report is not None
    assert report.request_id == "9e8d7c6b-5a49-4382-b716-0a9b8c7d6e5f"
    assert (report.duration_ms, report.billed_duration_ms, report.init_duration_ms) == (2.4, 22, 18.9)
    assert (report.memory_size_mb, report.max_memory_used_mb) == (1024, 35)
    assert report.xray_trace_id is not None and report.xray_trace_id.startswith("Root=1-6740a1b2")


def test_init_cost_per_million_cold_starts() -> None:
    # 15.12 ms is billed as 16 ms; 128 MB = 0.125 GB; x86_64 $0.0000166667 per GB-s.
    assert init_cost_per_million_usd(15.12, 128, "x86_64") == pytest.approx(0.016 * 0.125 * 16.6667, abs=1e-4)
    assert init_cost_per_million_usd(312.55, 256, "arm64") == pytest.approx(0.313 * 0.25 * 13.3334, abs=1e-4)
    assert init_cost_per_million_usd(312.55, 256, "arm64") < init_cost_per_million_usd(312.55, 256, "x86_64")
    assert PRICE_PER_GB_SECOND_USD == {"x86_64": 0.0000166667, "arm64": 0.0000133334}
    with pytest.raises(ValueError, match="no price for architecture"):
        init_cost_per_million_usd(10, 128, "mips")


def test_summary_uses_only_cold_reports() -> None:
    summary = summarize_reports(find_reports(EVENTS[:8]), "x86_64")
    assert (summary["reports"], summary["cold_starts"]) == (2, 1)
    assert summary["init_ms"]["median_ms"] == 15.12
    assert summary["init_cost_per_million_usd"] == init_cost_per_million_usd(15.12, 128, "x86_64")
    assert summary["cold_invocation_cost_per_million_usd"] == pytest.approx(0.019 * 0.125 * 16.6667, abs=1e-4)
    assert summarize_reports(find_reports([EVENTS[7]]), "x86_64")["error"].startswith("no REPORT line")


@pytest.fixture(scope="module")
def logs() -> Iterator[Any]:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    with running_moto() as server:
        yield boto3.client(
            "logs",
            endpoint_url=server.url,
            region_name="eu-west-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )


def test_report_is_read_from_cloudwatch_logs(logs: Any) -> None:
    group, stream = "/aws/lambda/bench-persister", "2026/11/24/[$LATEST]0123456789abcdef"
    logs.create_log_group(logGroupName=group)
    logs.create_log_stream(logGroupName=group, logStreamName=stream)
    now = int(time.time() * 1000)
    logs.put_log_events(
        logGroupName=group,
        logStreamName=stream,
        logEvents=[{"timestamp": now + i, "message": message} for i, message in enumerate(EVENTS[:8])],
    )
    report = report_from_logs(logs, group, "0a9b8c7d-6e5f-4a3b-2c1d-0e9f8a7b6c5d", now - 1000, timeout_s=0)
    assert report is not None and report.billed_duration_ms == 2 and not report.cold
    cold = report_from_logs(logs, group, "6f1c2a4e-9b1d-4a3c-8f7e-2d5b6c7a8e90", now - 1000, timeout_s=0)
    assert cold is not None and cold.init_duration_ms == 15.12
    assert (
        report_from_logs(logs, group, "ffffffff-0000-4000-8000-000000000000", now - 1000, timeout_s=0) is None
    )
