"""The local dashboard (localcloud.cloudwatch): a command through the local cloud shows on the panels
the template defines, from the datapoints the emulators and the functions' EMF lines produced."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from localcloud.cloud import LocalCloud
from localcloud.cloudwatch.dashboard import evaluate, render
from localcloud.demo import request_service

pytestmark = pytest.mark.e2e


def panel(result: dict[str, object], title_start: str) -> dict[str, object]:
    panels = result["panels"]
    assert isinstance(panels, list)
    (found,) = [p for p in panels if str(p["title"]).startswith(title_start)]
    assert isinstance(found, dict)
    return found


def labels_with_data(found: dict[str, object]) -> set[str]:
    series = found["series"]
    assert isinstance(series, list)
    return {str(s["label"]) for s in series if s["points"]}


def test_a_command_shows_on_the_templates_panels(cloud: LocalCloud, tmp_path: Path) -> None:
    vin = "WVWZZZ1JZXW000009"  # the fleet's immediate G2 car
    res = request_service(cloud, "alice", vin, "VEHICLE_FINDER")
    assert res.status == 202, res.body
    event_id = str(res.body["eventId"])
    assert cloud.events.wait_final(event_id, 60) is not None
    deadline = time.monotonic() + 30
    while not cloud.mocks.pushes(event_id):  # the distributor's EMF is written when it pushes
        assert time.monotonic() < deadline, "no push"
        time.sleep(0.1)
    cloud.metrics_sampler.sample()  # an SQS sample now, not in up to 10 s
    result = evaluate(cloud.state_dir)
    assert "VEHICLE_FINDER" in labels_with_data(panel(result, "End-to-end latency P99 (ms) by service type"))
    assert "NONE EXECUTED" in labels_with_data(panel(result, "Commands per minute by final status"))
    assert {"P50", "P99"} <= labels_with_data(panel(result, "End-to-end latency (ms)"))
    assert "Count Sum" in labels_with_data(panel(result, "API requests"))
    functions = labels_with_data(panel(result, "Function duration P99"))
    assert any(name.endswith("-distributor") for name in functions), functions
    assert any(name.endswith("-persister") for name in labels_with_data(panel(result, "Queue depth")))
    assert panel(result, "Step Functions Express: failed")["note"]  # no local source, and it says so
    png = tmp_path / "dashboard.png"
    render(cloud.state_dir, png, tmp_path / "dashboard.json", progress=lambda _m: None)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
