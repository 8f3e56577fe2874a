"""Our Logger and Metrics emit what aws-lambda-powertools emits for the same input: same keys, same order,
same structure (powertools is installed for the tests only)."""

from __future__ import annotations

import io
import json
import re
from typing import Any

import pytest
from aws_lambda_powertools import Logger as PtLogger
from aws_lambda_powertools import Metrics as PtMetrics

from remote_services.obs.logger import Logger
from remote_services.obs.metrics import Metrics

TRACE = "Root=1-6742c000-abcdef0123456789abcdef01;Parent=53995c3f42cd8ad8;Sampled=1"


class Context:
    function_name = "rs-dev-blue-PersisterFunction"
    memory_limit_in_mb = 128
    invoked_function_arn = "arn:aws:lambda:eu-central-1:123456789012:function:rs-dev-blue-PersisterFunction"
    aws_request_id = "c6af9ac6-7b61-11e6-9a41-93e812345678"

    def get_remaining_time_in_millis(self) -> int:
        return 3000


@pytest.fixture(autouse=True)
def lambda_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", "remote-services")
    monkeypatch.setenv("_X_AMZN_TRACE_ID", TRACE)
    monkeypatch.setenv("LOG_LEVEL", "INFO")


def lines(buffer: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in buffer.getvalue().splitlines()]


def shape(value: Any) -> Any:
    """The structure of a JSON value: dict keys (in order) and value types, recursively."""
    if isinstance(value, dict):
        return [(k, shape(v)) for k, v in value.items()]
    if isinstance(value, list):
        return [shape(v) for v in value[:1]]
    return type(value).__name__


def run_both() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    ours_buf, theirs_buf = io.StringIO(), io.StringIO()
    ours, theirs = Logger(stream=ours_buf), PtLogger(stream=theirs_buf)
    ours.inject_lambda_context(Context())

    @theirs.inject_lambda_context
    def handler(event: Any, context: Any) -> None:
        theirs.info("persisted", extra={"eventId": "e-1", "status": "RUNNING"})
        theirs.append_keys(messageId="m-1")
        theirs.warning({"detail": [1, 2]})
        try:
            raise ValueError("bad record")
        except ValueError:
            theirs.exception("record failed")

    handler({}, Context())
    ours.info("persisted", eventId="e-1", status="RUNNING")
    ours.append_keys(messageId="m-1")
    ours.warning({"detail": [1, 2]})
    try:
        raise ValueError("bad record")
    except ValueError:
        ours.exception("record failed")
    return lines(ours_buf), lines(theirs_buf)


def test_log_lines_have_the_powertools_shape() -> None:
    ours, theirs = run_both()
    assert len(ours) == len(theirs) == 3
    for mine, pt in zip(ours, theirs, strict=True):
        mine_shape, pt_shape = shape(mine), shape(pt)
        # stack_trace frames hold the test's own frames: compare down to the frame keys
        assert [k for k, _ in mine_shape] == [k for k, _ in pt_shape]
        assert mine_shape == pt_shape
        for key in (
            "level",
            "message",
            "service",
            "function_name",
            "function_memory_size",
            "function_arn",
            "function_request_id",
            "xray_trace_id",
        ):
            assert mine[key] == pt[key], key
        assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}\+0000", mine["timestamp"])
        assert re.fullmatch(r"run_both:\d+", mine["location"]) and re.fullmatch(
            r"handler:\d+", pt["location"]
        )
    assert ours[0]["eventId"] == "e-1" and ours[1]["messageId"] == "m-1"
    assert ours[2]["exception_name"] == "ValueError" and "bad record" in ours[2]["exception"]


def test_cold_start_only_on_the_first_invocation() -> None:
    buf = io.StringIO()
    logger = Logger(stream=buf)
    logger.inject_lambda_context(Context())
    logger.inject_lambda_context(Context())
    logger.info("second")
    assert lines(buf)[-1]["cold_start"] is False


def test_level_filter() -> None:
    buf = io.StringIO()
    logger = Logger(level="WARNING", stream=buf)
    logger.info("hidden")
    logger.debug("hidden")
    logger.error("shown")
    assert [line["message"] for line in lines(buf)] == ["shown"]


def test_emf_document_matches_powertools() -> None:
    theirs = PtMetrics(namespace="RemoteServices", service="remote-services")
    ours = Metrics(namespace="RemoteServices", service="remote-services")
    for metrics in (theirs, ours):
        metrics.add_dimension(name="ServiceType", value="HORN_BLOW")
        metrics.add_dimension(name="Colour", value="blue")
        metrics.add_metric(name="EndToEndLatency", unit="Milliseconds", value=312)
        metrics.add_metric(name="Pushes", unit="Count", value=1)
        metrics.add_metric(name="Pushes", unit="Count", value=1)
    pt_doc = theirs.serialize_metric_set()
    our_doc = ours.serialize(timestamp_ms=pt_doc["_aws"]["Timestamp"])
    assert our_doc == pt_doc
    assert list(our_doc) == list(pt_doc)


def test_emf_flush_prints_one_line_and_clears() -> None:
    buf = io.StringIO()
    metrics = Metrics(namespace="NS", service="", stream=buf)
    metrics.flush()
    assert buf.getvalue() == ""  # nothing to publish
    metrics.add_dimension("ServiceType", "DOOR_LOCK")
    metrics.add_dimension("Colour", "green")
    metrics.add_metric("EndToEndLatency", "Milliseconds", 250)
    metrics.flush()
    doc = lines(buf)[0]
    assert doc["_aws"]["CloudWatchMetrics"] == [
        {
            "Namespace": "NS",
            "Dimensions": [["ServiceType", "Colour"]],
            "Metrics": [{"Name": "EndToEndLatency", "Unit": "Milliseconds"}],
        }
    ]
    assert doc["EndToEndLatency"] == [250.0] and doc["Colour"] == "green"
    metrics.add_metric("Other", "Count", 1)
    metrics.flush()
    assert "ServiceType" not in lines(buf)[1]
