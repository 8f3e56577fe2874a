"""The test harness end to end (run by test_harness.py in a process of its own: one local cloud per
process, and the session's `cloud` runs the in-process mocks). LocalCloud(harness=True): the
connector calls the deployed broker mock, the distributor the deployed subscription mock, both over
SigV4-signed Function URLs; each case writes its VIN's behaviour in HarnessTable first."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest

from localcloud.cloud import LocalCloud
from localcloud.demo import request_service
from tests.conftest import ROOT, _build_dir

FINAL_TIMEOUT_S = 60.0


@pytest.fixture(scope="module")
def hcloud() -> Iterator[LocalCloud]:
    with LocalCloud(
        build_dir=_build_dir(),
        time_scale=0.3,
        state_dir=ROOT / ".localcloud" / "e2e-harness",
        progress=None,
        harness=True,
    ) as running:
        yield running


def behave(cloud: LocalCloud, vin: str, behaviour: dict[str, Any]) -> None:
    cloud.client("dynamodb").put_item(
        TableName=cloud.physical("HarnessTable"),
        Item={
            "vin": {"S": vin},
            "caseId": {"S": "e2e"},
            "behaviour": {"S": json.dumps(behaviour)},
            "expiresAt": {"N": str(int(time.time()) + 3600)},
        },
    )


def command(cloud: LocalCloud, vin: str, service: str = "HORN_BLOW") -> str:
    res = request_service(cloud, "alice", vin, service)
    assert res.status == 202, res.body
    return str(res.body["eventId"])


def pushes(cloud: LocalCloud, event_id: str) -> list[dict[str, Any]]:
    deadline = time.monotonic() + 20
    while True:
        status, body = cloud.call_url(
            "SubscriptionMockFunctionUrl", "GET", f"/pushes?notificationId={event_id}"
        )
        assert status == 200, body
        if body["pushes"] or time.monotonic() > deadline:
            return list(body["pushes"])
        time.sleep(0.2)


def test_the_mocks_are_deployed_functions_behind_signed_urls(hcloud: LocalCloud) -> None:
    assert {"BrokerMockFunction", "SubscriptionMockFunction", "HarnessRelayFunction"} <= set(
        hcloud.resources.functions if hcloud.resources else {}
    )
    env = hcloud.resources.functions["VehicleConnectorFunction"].env if hcloud.resources else {}
    assert env["BROKER_URL"] == hcloud.function_urls["BrokerMockFunctionUrl"].url + "publish"
    assert env["BROKER_AUTH"] == "AWS_IAM"
    import urllib.error
    import urllib.request

    with pytest.raises(urllib.error.HTTPError) as info:  # unsigned: refused as Lambda does
        urllib.request.urlopen(hcloud.function_urls["SubscriptionMockFunctionUrl"].url + "stats", timeout=10)
    assert info.value.code == 403


def test_a_command_executes_as_the_behaviour_says_and_the_push_is_recorded(hcloud: LocalCloud) -> None:
    vin = "WVWZZZ1JZXW000001"
    since = int(time.time() * 1000)
    behave(hcloud, vin, {"vehicle": {"ack": {"delayMs": 100}, "done": {"delayMs": 600}}})
    eid = command(hcloud, vin)
    state = hcloud.wait_final(eid, FINAL_TIMEOUT_S)
    assert state is not None and state["status"] == "EXECUTED", state
    assert hcloud.history(eid) == ["CREATED", "PENDING", "RUNNING", "EXECUTED"]
    (push,) = pushes(hcloud, eid)
    assert push["body"]["result"] == "EXECUTED" and push["latencyMs"] >= 0
    status, stats = hcloud.call_url("SubscriptionMockFunctionUrl", "GET", f"/stats?sinceMs={since}")
    assert status == 200 and stats["count"] == 1, stats
    assert stats["p50"] == stats["max"] == push["latencyMs"]
    assert hcloud.broker.calls == []  # the in-process mock saw nothing


def test_a_vehicle_failure_and_a_silent_car(hcloud: LocalCloud) -> None:
    failing, silent = "WVWZZZ1JZXW000002", "WVWZZZ1JZXW000003"
    behave(hcloud, failing, {"vehicle": {"done": {"result": "FAILED", "reason": "VEHICLE_BUSY"}}})
    behave(hcloud, silent, {"vehicle": {"connected": False}})
    failed, quiet = command(hcloud, failing), command(hcloud, silent)
    state = hcloud.wait_final(failed, FINAL_TIMEOUT_S)
    assert state is not None and (state["status"], state.get("failureReason")) == ("FAILED", "VEHICLE_BUSY")
    state = hcloud.wait_final(quiet, FINAL_TIMEOUT_S)
    assert state is not None and (state["status"], state.get("failureReason")) == ("FAILED", "TIMEOUT")


def test_a_broker_in_error_mode_ends_broker_unavailable_then_accepts(hcloud: LocalCloud) -> None:
    vin = "WVWZZZ1JZXW000004"
    behave(hcloud, vin, {"broker": {"mode": "error", "times": 3}})  # the connector's three attempts
    eid = command(hcloud, vin)
    state = hcloud.wait_final(eid, FINAL_TIMEOUT_S)
    assert state is not None and (state["status"], state.get("failureReason")) == (
        "FAILED",
        "BROKER_UNAVAILABLE",
    )
    again = command(hcloud, vin)  # `times` used up: the broker accepts, the car answers
    state = hcloud.wait_final(again, FINAL_TIMEOUT_S)
    assert state is not None and state["status"] == "EXECUTED", state


def test_a_theft_alarm_raised_through_the_broker_mock(hcloud: LocalCloud) -> None:
    vin = "WVWZZZ1JZXW000002"
    status, body = hcloud.call_url("BrokerMockFunctionUrl", "POST", "/raise", {"vin": vin, "count": 2})
    assert (status, body) == (202, {"accepted": True, "messages": 2})
