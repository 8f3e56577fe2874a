"""Broker mock -> vehicle simulator -> a real (moto) incoming queue, decoded with the generation codecs."""

from __future__ import annotations

import importlib
import json
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from localcloud.aws.moto_server import MotoServer
from remote_services.vehicles import decode_vehicle_message, encode_command
from simulator import BrokerMock, FleetError, SubscriberMock, VehicleSimulator, parse_fleet
from tests.support.moto import running_moto

boto3: Any = importlib.import_module("boto3")

FLEET = {
    "vehicles": [
        {"vin": "WVWZZZ1JZXW000001", "owner": "alice", "generation": "G2", "behaviour": "immediate"},
        {"vin": "WVWZZZ1JZXW000002", "owner": "alice", "generation": "G1", "behaviour": "reject"},
        {"vin": "WVWZZZ1JZXW000003", "owner": "alice", "generation": "G2", "behaviour": "silent"},
        {"vin": "WVWZZZ1JZXW000004", "owner": "bob", "generation": "G1", "behaviour": "duplicate"},
        {
            "vin": "WVWZZZ1JZXW000005",
            "owner": "bob",
            "generation": "G2",
            "behaviour": "out_of_order",
            "ackMs": 0,
            "doneMs": 200,
        },
    ]
}


@pytest.fixture(scope="module")
def moto() -> Iterator[MotoServer]:
    with running_moto() as server:
        yield server


@pytest.fixture
def rig(moto: MotoServer) -> Iterator[tuple[BrokerMock, VehicleSimulator, Any, str]]:
    sqs = boto3.client(
        "sqs",
        endpoint_url=moto.url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    url = sqs.create_queue(QueueName=f"incoming-{time.monotonic_ns()}")["QueueUrl"]
    sim = VehicleSimulator(
        parse_fleet(FLEET), send=lambda b: sqs.send_message(QueueUrl=url, MessageBody=b), time_scale=0.01
    ).start()
    broker = BrokerMock(on_command=sim.on_command).start()
    try:
        yield broker, sim, sqs, url
    finally:
        broker.stop()
        sim.stop()


def post(url: str, body: Any) -> int:
    req = urllib.request.Request(
        url, data=json.dumps(body).encode(), method="POST", headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(req, timeout=5) as resp:
            return int(resp.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


def command(vin: str, generation: str, event_id: str) -> dict[str, Any]:
    env: Any = {
        "eventId": event_id,
        "vin": vin,
        "serviceType": "HORN_BLOW",
        "parameters": {},
        "updatedMs": 1,
        "vehicle": {"generation": generation, "country": "DE"},
    }
    topic, payload = encode_command(env)
    return {"topic": topic, "payload": payload, "correlationId": "Root=1-x"}


def drain(sqs: Any, url: str, want: int, timeout: float = 5.0) -> list[dict[str, Any]]:
    got: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    while len(got) < want and time.monotonic() < deadline:
        for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get(
            "Messages", []
        ):
            got.append(json.loads(m["Body"]))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
        time.sleep(0.05)
    return got


def statuses(messages: list[dict[str, Any]]) -> list[str]:
    return [str(decode_vehicle_message(m["topic"], m["payload"])["status"]) for m in messages]


def test_immediate_vehicle_acks_then_executes(rig: tuple[BrokerMock, VehicleSimulator, Any, str]) -> None:
    broker, _sim, sqs, url = rig
    assert post(broker.url, command("WVWZZZ1JZXW000001", "G2", "e-1")) == 202
    msgs = drain(sqs, url, 2)
    assert statuses(msgs) == ["RUNNING", "EXECUTED"]
    update = decode_vehicle_message(msgs[1]["topic"], msgs[1]["payload"])
    assert update.get("eventId") == "e-1" and isinstance(msgs[1]["receivedMs"], int)


def test_reject_duplicate_out_of_order_and_silent(rig: tuple[BrokerMock, VehicleSimulator, Any, str]) -> None:
    broker, sim, sqs, url = rig
    assert post(broker.url, command("WVWZZZ1JZXW000002", "G1", "e-2")) == 202
    rejected = drain(sqs, url, 2)
    assert statuses(rejected) == ["RUNNING", "FAILED"]
    assert decode_vehicle_message(rejected[1]["topic"], rejected[1]["payload"]).get("failureReason") == (
        "REJECTED_BY_VEHICLE"
    )
    assert post(broker.url, command("WVWZZZ1JZXW000004", "G1", "e-4")) == 202
    assert statuses(drain(sqs, url, 4)) == ["RUNNING", "RUNNING", "EXECUTED", "EXECUTED"]
    assert post(broker.url, command("WVWZZZ1JZXW000005", "G2", "e-5")) == 202
    assert statuses(drain(sqs, url, 2)) == ["EXECUTED", "RUNNING"]
    assert post(broker.url, command("WVWZZZ1JZXW000003", "G2", "e-3")) == 202
    assert drain(sqs, url, 1, timeout=0.5) == []
    assert [e.kind for e in sim.log if e.event_id == "e-3"] == ["command"]


def test_theft_alarm_has_no_event_id(rig: tuple[BrokerMock, VehicleSimulator, Any, str]) -> None:
    _broker, sim, sqs, url = rig
    sim.raise_event("WVWZZZ1JZXW000001")
    (msg,) = drain(sqs, url, 1)
    update = decode_vehicle_message(msg["topic"], msg["payload"])
    assert update["serviceType"] == "THEFT_ALARM" and "eventId" not in update


def test_broker_refuses_bad_bodies_and_can_fail(rig: tuple[BrokerMock, VehicleSimulator, Any, str]) -> None:
    broker, sim, _sqs, _url = rig
    assert post(broker.url, {"topic": 1}) == 400
    broker.fail_next(1)
    assert post(broker.url, command("WVWZZZ1JZXW000001", "G2", "e-6")) == 503
    assert (
        post(broker.url, {"topic": "vehicles/WVWZZZ1JZXW000001/v2/remote-services", "payload": "%%"}) == 202
    )
    assert sim.log[-1].kind == "undecodable"


def test_subscriber_records_and_can_refuse() -> None:
    sub = SubscriberMock().start()
    try:
        sub.fail_next(1)
        assert post(sub.url, {"notificationId": "a"}) == 503
        assert post(sub.url, {"notificationId": "a"}) == 200
        assert [p.body for p in sub.for_event("a")] == [{"notificationId": "a"}]
        assert sub.wait_for(lambda p: p.body.get("notificationId") == "b", timeout=0.1) is None
    finally:
        sub.stop()


def test_fleet_errors_name_the_entry() -> None:
    with pytest.raises(FleetError, match=r"vehicles\[0\].*vin"):
        parse_fleet({"vehicles": [{"vin": "WVWZZZ1JZXW00000O", "owner": "a"}]})
    with pytest.raises(FleetError, match="behaviour"):
        parse_fleet({"vehicles": [{"vin": "WVWZZZ1JZXW000001", "owner": "a", "behaviour": "dance"}]})
