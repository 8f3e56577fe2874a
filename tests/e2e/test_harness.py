"""The deployable test harness end to end through the session's local cloud (which runs it): the
connector calls the deployed broker mock, the distributor the deployed subscription mock, both over
SigV4-signed Function URLs; a test writes its VIN's behaviour in HarnessTable first and puts the
fleet's standing behaviour back afterwards."""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from localcloud.cloud import LocalCloud
from localcloud.demo import request_service

pytestmark = pytest.mark.e2e

FINAL_TIMEOUT_S = 60.0


@pytest.fixture
def behave(cloud: LocalCloud) -> Iterator[Any]:
    """behave(vin, behaviour): the vehicle answers so during the test, as seeded afterwards."""
    touched: list[str] = []

    def set_behaviour(vin: str, behaviour: dict[str, Any]) -> None:
        touched.append(vin)
        cloud.mocks.behave(vin, behaviour, case_id="e2e")

    yield set_behaviour
    for vin in touched:
        cloud.mocks.behave(vin, None)


def command(cloud: LocalCloud, vin: str, service: str = "HORN_BLOW") -> str:
    res = request_service(cloud, "alice", vin, service)
    assert res.status == 202, res.body
    return str(res.body["eventId"])


def pushes(cloud: LocalCloud, event_id: str) -> list[dict[str, Any]]:
    """Through the subscription mock's own route (GET /pushes), as a deployed stack's reader does."""
    deadline = time.monotonic() + 20
    while True:
        status, body = cloud.call_url(
            "SubscriptionMockFunctionUrl", "GET", f"/pushes?notificationId={event_id}"
        )
        assert status == 200, body
        if body["pushes"] or time.monotonic() > deadline:
            return list(body["pushes"])
        time.sleep(0.2)


def test_the_mocks_are_deployed_functions_behind_signed_urls(cloud: LocalCloud) -> None:
    assert {"BrokerMockFunction", "SubscriptionMockFunction", "HarnessRelayFunction"} <= set(
        cloud.resources.functions if cloud.resources else {}
    )
    functions = cloud.resources.functions if cloud.resources else {}
    env = functions["VehicleConnectorFunction"].env
    assert env["BROKER_URL"] == cloud.function_urls["BrokerMockFunctionUrl"].url + "publish"
    assert env["BROKER_AUTH"] == "AWS_IAM"
    env = functions["DisclosureFunction"].env
    assert env["DISCLOSURE_URL"] == cloud.function_urls["SubscriptionMockFunctionUrl"].url + "disclosure"
    assert env["DISCLOSURE_AUTH"] == "AWS_IAM"
    with pytest.raises(urllib.error.HTTPError) as info:  # unsigned: refused as Lambda does
        urllib.request.urlopen(cloud.function_urls["SubscriptionMockFunctionUrl"].url + "stats", timeout=10)
    assert info.value.code == 403


def test_a_command_executes_as_the_behaviour_says_and_the_push_is_recorded(
    cloud: LocalCloud, behave: Any
) -> None:
    vin = "WVWZZZ1JZXW000001"
    since = int(time.time() * 1000)
    behave(vin, {"vehicle": {"ack": {"delayMs": 100}, "done": {"delayMs": 600}}})
    eid = command(cloud, vin)
    state = cloud.events.wait_final(eid, FINAL_TIMEOUT_S)
    assert state is not None and state["status"] == "EXECUTED", state
    assert cloud.events.history(eid) == ["CREATED", "PENDING", "RUNNING", "EXECUTED"]
    (push,) = pushes(cloud, eid)
    assert push["body"]["result"] == "EXECUTED" and push["latencyMs"] >= 0
    # the earlier tests of the shared cloud waited for their own pushes: this is the only one since
    status, stats = cloud.call_url("SubscriptionMockFunctionUrl", "GET", f"/stats?sinceMs={since}")
    assert status == 200 and stats["count"] == 1, (stats, cloud.mocks.all_pushes(since))
    assert stats["p50"] == stats["max"] == push["latencyMs"]


def test_a_vehicle_failure_and_a_silent_car(cloud: LocalCloud, behave: Any) -> None:
    failing, silent = "WVWZZZ1JZXW000002", "WVWZZZ1JZXW000003"
    behave(failing, {"vehicle": {"done": {"result": "FAILED", "reason": "VEHICLE_BUSY"}}})
    behave(silent, {"vehicle": {"connected": False}})
    failed, quiet = command(cloud, failing), command(cloud, silent)
    state = cloud.events.wait_final(failed, FINAL_TIMEOUT_S)
    assert state is not None and (state["status"], state.get("failureReason")) == ("FAILED", "VEHICLE_BUSY")
    state = cloud.events.wait_final(quiet, FINAL_TIMEOUT_S)
    assert state is not None and (state["status"], state.get("failureReason")) == ("FAILED", "TIMEOUT")


def test_a_broker_in_error_mode_ends_broker_unavailable_then_accepts(cloud: LocalCloud, behave: Any) -> None:
    vin = "WVWZZZ1JZXW000004"
    behave(vin, {"broker": {"mode": "error", "times": 3}})  # the connector's three attempts
    eid = command(cloud, vin)
    state = cloud.events.wait_final(eid, FINAL_TIMEOUT_S)
    assert state is not None and (state["status"], state.get("failureReason")) == (
        "FAILED",
        "BROKER_UNAVAILABLE",
    )
    again = command(cloud, vin)  # `times` used up: the broker accepts, the car answers
    state = cloud.events.wait_final(again, FINAL_TIMEOUT_S)
    assert state is not None and state["status"] == "EXECUTED", state


def test_a_theft_alarm_raised_through_the_broker_mock(cloud: LocalCloud) -> None:
    vin = "WVWZZZ1JZXW000002"
    status, body = cloud.call_url("BrokerMockFunctionUrl", "POST", "/raise", {"vin": vin, "count": 2})
    assert (status, body) == (202, {"accepted": True, "messages": 2})
