"""Blue/green end to end, on the built artifacts. `make bluegreen-demo` (localcloud/bluegreen_demo.py)
from the command line: both colours over the shared stack in one local cloud, the gated shift of
green under customer traffic, vehicle-initiated events routed by the weights, and a broken green
rolled back; it exits 0 only when every check passed. And a command created on green whose car
answers through blue's incoming path: it finishes on green."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import boto3  # type: ignore[import-untyped, unused-ignore]
import pytest

from remote_services.vehicles import encode_vehicle_message
from simulator.fleet import load_fleet
from simulator.runner.execute import http_json
from simulator.runner.targets import local_target, push_body
from tests.support.serving import ENV, serving

if TYPE_CHECKING:
    from remote_services.typedefs import VehicleUpdate

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]


def test_the_bluegreen_demo_passes_its_gate_moves_the_traffic_loses_nothing_and_rolls_back(
    tmp_path: Path,
) -> None:
    report_path = tmp_path / "bluegreen-demo.json"
    done = subprocess.run(
        [sys.executable, "-m", "localcloud", "bluegreen-demo", "--no-build", "--report", str(report_path)],
        cwd=ROOT,
        env=ENV,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(report_path.read_text())
    checks = {c["name"]: c["passed"] for c in report["checks"]}
    assert checks == {
        "green shifted to 100 %": True,
        "theft alarms through blue's broker created on green": True,
        "blue shifted back to 100 %": True,
        "theft alarms through green's broker created on blue": True,
        "the broken green was rolled back": True,
        "the weights are back where the broken shift began": True,
        "no command lost": True,
        "each command finished on its colour": True,
        "green took every command once promoted": True,
    }
    first, _back, broken = report["shifts"]
    assert [e["applied"] for e in first["log"] if "applied" in e] == [
        {"blue": 90, "green": 10},
        {"blue": 50, "green": 50},
        {"blue": 0, "green": 100},
    ]
    gates = [e for e in broken["log"] if "gate" in e]
    assert [g["passed"] for g in gates] == [True, False]  # green passed, took 10 %, then broke
    assert broken["after"] == broken["before"] == {"blue": 100, "green": 0}
    customers = report["customers"]
    assert {c["colour"] for c in customers if c["status"] == 202} == {"blue", "green"}
    assert report_path.with_suffix(".png").read_bytes()[:4] == b"\x89PNG"


SILENT = {
    "vehicle": {
        "connected": False,
        "ack": {"send": True, "delayMs": 0, "jitterMs": 0},
        "done": {"send": True, "delayMs": 0, "jitterMs": 0, "result": "EXECUTED", "reason": None},
        "repeat": 1,
        "order": "ack-first",
        "payload": "valid",
        "topic": "own",
    },
    "broker": {"mode": "accept", "times": 0, "slowMs": 0},
}


@pytest.fixture(scope="module")
def two_colours(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A local account in its own process (moto's state is per process): environment dev with blue
    (live) and green, and a second developer's environment, bob, beside it."""
    folder = tmp_path_factory.mktemp("bluegreen")
    args = ("--colours", "blue,green", "--neighbours", "bob", "--state-dir", str(folder))
    with serving(folder / "running.json", *args) as info:
        yield info


def test_a_command_created_on_green_finishes_on_green_through_blues_incoming_path(
    two_colours: dict[str, Any],
) -> None:
    """The header sends the command to green while blue takes all the traffic; the car's reports
    arrive through BLUE's incoming queue; the incoming workflow publishes them to the topic of the
    event's colour, so green's distributor pushes the final status, and blue's never does."""
    info, fleet = two_colours, load_fleet()
    blue, green = local_target(info, fleet, "blue"), local_target(info, fleet, "green")
    vehicle = next(v for v in fleet.vehicles.values() if v.owner == "bench" and v.generation == "G2")
    green.harness.set_behaviour(
        vehicle.vin, "sticky", SILENT
    )  # green's broker takes it; the car says nothing
    status, body = http_json(
        "POST", f"{green.api_url}/v1/vehicles/{vehicle.vin}/services/HORN_BLOW", green.tokens("bench"),
        {"parameters": {"durationS": 2}}, {"X-Target-Environment": "green"},
    )  # fmt: skip
    assert status == 202, body
    event_id = body["eventId"]
    sqs = boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing").client(
        "sqs", endpoint_url=info["endpointUrl"], region_name=info["region"]
    )
    blue_incoming = info["colours"]["blue"]["resources"]["IncomingQueue"]
    for offset, status_name in enumerate(("RUNNING", "EXECUTED")):
        update = {
            "generation": vehicle.generation, "vin": vehicle.vin, "serviceType": "HORN_BLOW",
            "status": status_name, "eventId": event_id, "vehicleTs": int(time.time() * 1000) + offset,
        }  # fmt: skip
        topic, payload = encode_vehicle_message(cast("VehicleUpdate", update))
        sqs.send_message(
            QueueUrl=blue_incoming,
            MessageBody=json.dumps(
                {"topic": topic, "payload": payload, "receivedMs": int(time.time() * 1000)}
            ),
        )
        time.sleep(1.2)  # in order, as the car sends them
    deadline = time.monotonic() + 60
    while not green.harness.pushes(event_id) and time.monotonic() < deadline:
        time.sleep(0.5)
    pushed = green.harness.pushes(event_id)
    assert {push_body(p).get("result") for p in pushed} == {"EXECUTED"}
    assert blue.harness.pushes(event_id) == []
    _status, state = http_json(
        "GET", f"{green.api_url}/v1/vehicles/{vehicle.vin}/services/{event_id}", green.tokens("bench")
    )
    assert state["status"] == "EXECUTED", state


def wait_final(api_url: str, token: str, vin: str, event_id: str, timeout_s: float = 60.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while True:
        _status, state = http_json("GET", f"{api_url}/v1/vehicles/{vin}/services/{event_id}", token)
        if isinstance(state, dict) and state.get("status") in ("EXECUTED", "FAILED"):
            return state
        assert time.monotonic() < deadline, f"{event_id} not final: {state}"
        time.sleep(0.5)


def test_two_developers_environments_run_side_by_side_in_one_local_account(
    two_colours: dict[str, Any],
) -> None:
    """dev's and bob's environments, from the same templates, in one moto and one function host: each
    has its own API, user pool, tables and functions; a command runs through each; neither sees the
    other's users or events."""
    dev, bob = two_colours, two_colours["neighbours"]["bob"]
    fleet = load_fleet()
    vin = "WVWZZZ1JZXW000001"  # alice's; it answers at once (fleet-immediate.yaml)
    events = {}
    for info in (dev, bob):
        target = local_target(info, fleet)
        status, body = http_json(
            "POST", f"{target.api_url}/v1/vehicles/{vin}/services/HORN_BLOW", target.tokens("alice"), {}
        )
        assert status == 202, body
        events[info["environment"]] = body["eventId"]
        assert (
            wait_final(target.api_url, target.tokens("alice"), vin, body["eventId"])["status"] == "EXECUTED"
        )
    assert dev["apiUrl"] != bob["apiUrl"] and dev["tokens"]["alice"] != bob["tokens"]["alice"]
    # bob's API does not know dev's users (each environment its own user pool)
    status, _ = http_json(
        "POST", f"{bob['apiUrl']}/v1/vehicles/{vin}/services/HORN_BLOW", dev["tokens"]["alice"], {}
    )
    assert status == 401
    ddb = boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing").client(
        "dynamodb", endpoint_url=dev["endpointUrl"], region_name=dev["region"]
    )
    for mine, theirs in (("dev", "bob"), ("bob", "dev")):
        table = (dev if mine == "dev" else bob)["resources"]["EventsTable"]
        found = ddb.query(
            TableName=table,
            KeyConditionExpression="eventId = :e",
            ExpressionAttributeValues={":e": {"S": events[theirs]}},
        )["Items"]
        assert found == [], f"{theirs}'s event in {mine}'s table"
    # no resource of one environment is the other's (names carry the environment; ids are generated)
    shared = set(dev["resources"]) & set(bob["resources"])
    assert len(shared) > 40 and all(dev["resources"][lid] != bob["resources"][lid] for lid in shared)
