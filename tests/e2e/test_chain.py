"""End to end through the local cloud's HTTP API, results read back from its DynamoDB and the test
harness's subscription mock (PushesTable). The vehicles answer as the fleet's scenario files say
(seeded in HarnessTable); a test that is a scenario case runs it through the scenario runner."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from localcloud.cloud import LocalCloud
from localcloud.demo import call_api, request_service
from simulator.runner.targets import Target
from tests.support.scenarios import run_scenario

pytestmark = pytest.mark.e2e

FINAL_TIMEOUT_S = 60.0
SETTLE_S = 1.5  # after the final push: time for a (wrong) second push to show up
DONE = {"send": True, "jitterMs": 0, "result": "EXECUTED", "reason": None}


def accepted(res: Any) -> str:
    assert res.status == 202, f"expected 202, got {res.status}: {res.body}"
    assert res.body["status"] == "PENDING"
    return str(res.body["eventId"])


def pushes_after_settle(cloud: LocalCloud, event_id: str) -> list[dict[str, Any]]:
    """The event's pushes (each {"receivedMs", "latencyMs", "body"}) once one came, after a settle."""
    deadline = time.monotonic() + FINAL_TIMEOUT_S
    while not cloud.mocks.pushes(event_id):
        assert time.monotonic() < deadline, f"no push for {event_id}"
        time.sleep(0.1)
    time.sleep(SETTLE_S)
    return cloud.mocks.pushes(event_id)


def test_horn_blow_executes_with_full_history_and_one_push(cloud: LocalCloud) -> None:
    vin = "WVWZZZ1JZXW000001"
    # the fleet's immediate car, its done 1 s after the ack: reports due at the same moment reach the
    # pipeline in no certain order (the broker mock's SQS delays are whole seconds)
    cloud.mocks.behave(vin, {"vehicle": {"ack": {"delayMs": 0}, "done": {"delayMs": 1000}}}, case_id="e2e")
    try:
        horn_blow(cloud, vin)
    finally:
        cloud.mocks.behave(vin, None)


def horn_blow(cloud: LocalCloud, vin: str) -> None:
    eid = accepted(request_service(cloud, "alice", vin, "HORN_BLOW", {"durationS": 2}))
    state = cloud.events.wait_final(eid, FINAL_TIMEOUT_S)
    assert state is not None and state["status"] == "EXECUTED", state
    pushes = pushes_after_settle(cloud, eid)
    # the ack may be processed after the final report (it is then recorded, but stale): order by time
    assert cloud.events.history(eid) == ["CREATED", "PENDING", "RUNNING", "EXECUTED"]
    assert len(pushes) == 1
    body = pushes[0]["body"]
    assert body["result"] == "EXECUTED" and body["vin"] == vin and body["service"] == "HORN_BLOW"
    assert body["source"] == "APP" and body["firstSeenMs"] == state["firstSeenMs"]
    got = call_api(cloud.api_url, "GET", f"/v1/vehicles/{vin}/services/{eid}", cloud.token("alice"))
    assert got.status == 200, got.body
    assert got.body["status"] == "EXECUTED"
    assert [h["status"] for h in got.body["history"]] == ["CREATED", "PENDING", "RUNNING", "EXECUTED"]


def test_g1_light_flash_executes(target: Target) -> None:
    result = run_scenario(target, "fleet-immediate/vin-000002-light-flash")
    assert (result.vin, result.final_status) == ("WVWZZZ1JZXW000002", "EXECUTED")


def test_busy_vehicle_gets_409_then_accepts_after_the_final_state(cloud: LocalCloud) -> None:
    vin = "WVWZZZ1JZXW000010"  # answers late: the first command stays in flight for a while
    since_ms = int(time.time() * 1000)
    first = accepted(request_service(cloud, "alice", vin, "DOOR_LOCK"))
    second = request_service(cloud, "alice", vin, "HORN_BLOW")
    assert second.status == 409, second.body
    assert second.body["error"] == "VEHICLE_BUSY" and second.body["message"]
    state = cloud.events.wait_final(first, FINAL_TIMEOUT_S)
    assert state is not None and state["status"] == "EXECUTED"
    deadline = time.monotonic() + 10
    third = request_service(cloud, "alice", vin, "HORN_BLOW")
    while third.status == 409 and time.monotonic() < deadline:  # the lock is released just after the final
        time.sleep(0.2)
        third = request_service(cloud, "alice", vin, "HORN_BLOW")
    eid = accepted(third)
    assert cloud.events.wait_final(eid, FINAL_TIMEOUT_S) is not None
    pushes_after_settle(cloud, eid)
    # the caller of the refused request had its 409: the app gets no FAILED push for it
    pushed = cloud.mocks.all_pushes(since_ms)
    assert not [p for p in pushed if p["body"].get("vin") == vin and p["body"].get("reason")]


def test_a_vin_in_lower_case_or_padded_is_the_same_vehicle(cloud: LocalCloud) -> None:
    """Normalised once at the API (trim + upper case): validation and the ownership check agree."""
    vin = "WVWZZZ1JZXW000002"
    res = call_api(
        cloud.api_url,
        "POST",
        f"/v1/vehicles/%20{vin.lower()}%20/services/LIGHT_FLASH",
        cloud.token("alice"),
        b"{}",
    )
    eid = accepted(res)
    assert cloud.events.wait_final(eid, FINAL_TIMEOUT_S) is not None
    got = call_api(cloud.api_url, "GET", f"/v1/vehicles/{vin.lower()}/services/{eid}", cloud.token("alice"))
    assert got.status == 200 and got.body["vin"] == vin, got.body


def test_silent_car_times_out(cloud: LocalCloud, target: Target) -> None:
    result = run_scenario(target, "fleet-silent/vin-000003-horn-blow")  # FAILED/TIMEOUT, one push
    assert (result.final_status, result.failure_reason) == ("FAILED", "TIMEOUT")
    pushes = pushes_after_settle(cloud, result.event_id)
    assert [(p["body"]["result"], p["body"].get("reason")) for p in pushes] == [("FAILED", "TIMEOUT")]


def test_rejecting_car_fails_with_reason(target: Target) -> None:
    result = run_scenario(target, "fleet-reject/vin-000005-horn-blow")
    assert (result.final_status, result.failure_reason) == ("FAILED", "REJECTED_BY_VEHICLE")


def test_duplicate_and_out_of_order_messages_give_one_final_push(cloud: LocalCloud, target: Target) -> None:
    # the fleet's cases with the done 1 s after the ack (the broker mock's SQS delays are whole seconds:
    # reports due at the same moment reach the pipeline in no certain order), so the history is certain
    ack_now = {"ack": {"send": True, "delayMs": 0, "jitterMs": 0}}
    dup = run_scenario(  # EXECUTED, one push
        target,
        "fleet-duplicate/vin-000006-horn-blow",
        vehicle={**ack_now, "done": {**DONE, "delayMs": 1000}},
        history=("CREATED", "PENDING", "RUNNING", "EXECUTED"),
    ).event_id
    ooo = run_scenario(  # done-first: the done at the ack's 0 ms, the ack at the done's 1000 ms
        target,
        "fleet-out-of-order/vin-000007-horn-blow",
        vehicle={**ack_now, "done": {**DONE, "delayMs": 1000}},
        history=("CREATED", "PENDING", "EXECUTED"),
    ).event_id
    assert len(pushes_after_settle(cloud, dup)) == 1
    assert len(cloud.mocks.pushes(ooo)) == 1
    # the ack after the done is late: kept for audit (a LATE# item, or an H# item after the final one
    # if the pipe read it first), not in the history GET returns
    assert cloud.events.history(ooo) == ["CREATED", "PENDING", "EXECUTED"]
    assert (cloud.events.state(ooo) or {}).get("status") == "EXECUTED"
    # the broker delivered each report twice: the history has each status once, the repeats are LATE#
    assert cloud.events.history(dup) == ["CREATED", "PENDING", "RUNNING", "EXECUTED"]
    assert sorted(i["status"] for i in cloud.events.items(dup) if str(i["sk"]).startswith("LATE#")) == [
        "EXECUTED",
        "RUNNING",
    ]


def test_theft_alarm_reaches_the_subscriber(cloud: LocalCloud) -> None:
    vin = "WVWZZZ1JZXW000009"
    since_ms = int(time.time() * 1000)
    cloud.mocks.raise_event(vin, "THEFT_ALARM")  # through the broker mock's POST /raise
    deadline = time.monotonic() + FINAL_TIMEOUT_S
    while True:
        alarms = [
            p["body"]
            for p in cloud.mocks.all_pushes(since_ms)
            if p["body"].get("service") == "THEFT_ALARM" and p["body"].get("vin") == vin
        ]
        if alarms or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert alarms, "no theft alarm pushed"
    push = alarms[0]
    assert push["result"] == "EXECUTED" and push["source"] == "VEHICLE"
    state = cloud.events.wait_final(str(push["notificationId"]), 10)
    assert state is not None and state["source"] == "VEHICLE"


@pytest.mark.parametrize(
    ("path", "body", "needle"),
    [
        ("/v1/vehicles/WVWZZZ1JZXW000001/services/HORN_BLOW", b'{"parameters": ', "json"),
        ("/v1/vehicles/WVWZZZ1JZXW000001/services/TELEPORT", b"{}", "TELEPORT"),
        ("/v1/vehicles/WVWZZZ1JZXW00000I/services/HORN_BLOW", b"{}", "vin"),
        (
            "/v1/vehicles/WVWZZZ1JZXW000001/services/HORN_BLOW",
            b'{"parameters": {"durationS": 99}}',
            "durationS",
        ),
    ],
    ids=["malformed-json", "unknown-service", "bad-vin", "parameter-out-of-range"],
)
def test_bad_requests_get_400_with_a_clear_message(
    cloud: LocalCloud, path: str, body: bytes, needle: str
) -> None:
    res = call_api(cloud.api_url, "POST", path, cloud.token("alice"), body)
    assert res.status == 400, res.body
    assert isinstance(res.body, dict) and res.body.get("message"), res.body
    assert needle.lower() in json.dumps(res.body).lower(), res.body


def test_not_owner_gets_403_and_no_token_401(cloud: LocalCloud) -> None:
    res = request_service(cloud, "bob", "WVWZZZ1JZXW000001", "HORN_BLOW")
    assert res.status == 403, res.body
    anonymous = call_api(
        cloud.api_url, "POST", "/v1/vehicles/WVWZZZ1JZXW000001/services/HORN_BLOW", None, b"{}"
    )
    assert anonymous.status == 401, anonymous.body
