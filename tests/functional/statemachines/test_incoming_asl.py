"""The incoming workflow, executed by moto's Step Functions interpreter on the local cloud: the
input is what the decoder returns (the pipe's enrichment output); the tests check where each
item went (the topic of the event's colour, the weights, the incoming DLQ) and what it carried."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from localcloud.cloud import LocalCloud
from remote_services.envelope import parse_event
from simulator.fleet import Vehicle
from tests.functional.statemachines.harness import Mailbox, Message, run_execution


@pytest.fixture(scope="session")
def incoming_vehicles(cloud: LocalCloud) -> Iterator[Vehicle]:
    """Fleet vehicles for these tests (from the end of the fleet: creation tests take the start)."""
    return iter(reversed([v for v in cloud.fleet.vehicles.values() if "HORN_BLOW" in v.capabilities]))


@pytest.fixture
def weights(cloud: LocalCloud) -> Iterator[Any]:
    """Set the blue/green weights for one test; the fleet's weights come back afterwards."""
    ddb = cloud.client("dynamodb")
    table = cloud.physical("WeightsTable")

    def put(blue: int) -> None:
        item = {"id": {"S": "current"}, "blue": {"N": str(blue)}, "green": {"N": str(100 - blue)}}
        ddb.put_item(TableName=table, Item=item)

    yield put
    put(cloud.fleet.weights.get("blue", 100))


def incoming(cloud: LocalCloud, items: list[dict[str, Any]]) -> None:
    described = run_execution(cloud.client("stepfunctions"), cloud.physical("IncomingStateMachine"), items)
    assert described["status"] == "SUCCEEDED", described


def update(vehicle: Vehicle, status: str, event_id: str | None, **extra: Any) -> dict[str, Any]:
    item: dict[str, Any] = {
        "kind": "update",
        "vin": vehicle.vin,
        "serviceType": "HORN_BLOW",
        "status": status,
        "vehicleTs": 1_700_000_000,
        "generation": vehicle.generation,
        "receivedMs": int(time.time() * 1000),
        **extra,
    }
    if event_id is not None:
        item["eventId"] = event_id
    return item


def of_event(cloud: LocalCloud, mailbox: Mailbox, queue: str, event_id: str) -> list[Message]:
    return mailbox.of_event(cloud.physical(queue), event_id)


def dead_letters(cloud: LocalCloud, mailbox: Mailbox) -> list[Message]:
    return mailbox.drain(cloud.physical("IncomingDeadLetterQueue"))


def test_an_answer_to_the_command_in_flight_is_routed_by_the_lock(
    cloud: LocalCloud, mailbox: Mailbox, incoming_vehicles: Iterator[Vehicle]
) -> None:
    vehicle = next(incoming_vehicles)
    now_ms = int(time.time() * 1000)
    event_id = str(uuid.uuid4())
    pending = {
        "specVersion": "1.0", "eventId": event_id, "vin": vehicle.vin, "serviceType": "HORN_BLOW",
        "status": "PENDING", "source": "APP", "colour": "blue", "firstSeenMs": now_ms - 50,
        "updatedMs": now_ms - 50, "traceId": "Root=1-x", "parameters": {}, "owner": "owner-sub",
        "vehicle": {"generation": vehicle.generation, "country": vehicle.country},
    }  # fmt: skip
    cloud.client("dynamodb").put_item(
        TableName=cloud.physical("VehicleLockTable"),
        Item={
            "vin": {"S": vehicle.vin},
            "eventId": {"S": event_id},
            "colour": {"S": "blue"},
            "envelope": {"S": json.dumps(pending)},
            "expiresAt": {"N": str(now_ms // 1000 + 900)},
        },
    )
    running = update(vehicle, "RUNNING", event_id)
    incoming(cloud, [running])
    (message,) = of_event(cloud, mailbox, "PersisterQueue", event_id)
    event = parse_event(message.body)
    assert event == {**pending, "status": "RUNNING", "updatedMs": running["receivedMs"]}
    assert message.attributes == {
        "status": "RUNNING", "serviceType": "HORN_BLOW", "source": "APP", "colour": "blue", "final": "false",
    }  # fmt: skip
    assert of_event(cloud, mailbox, "DistributorQueue", event_id) == []


def test_a_late_answer_is_routed_by_the_stored_state(
    cloud: LocalCloud, mailbox: Mailbox, incoming_vehicles: Iterator[Vehicle]
) -> None:
    vehicle = next(incoming_vehicles)
    event_id = str(uuid.uuid4())
    cloud.client("dynamodb").put_item(
        TableName=cloud.physical("EventsTable"),
        Item={
            "eventId": {"S": event_id}, "sk": {"S": "STATE"}, "vin": {"S": vehicle.vin},
            "serviceType": {"S": "HORN_BLOW"}, "status": {"S": "RUNNING"}, "statusRank": {"N": "2"},
            "source": {"S": "APP"}, "colour": {"S": "blue"}, "firstSeenMs": {"N": "1764000000000"},
            "updatedMs": {"N": "1764000000500"}, "owner": {"S": "owner-sub"}, "traceId": {"S": "Root=1-y"},
            "generation": {"S": vehicle.generation}, "country": {"S": vehicle.country},
        },
    )  # fmt: skip
    failed = update(vehicle, "FAILED", event_id, failureReason="REJECTED_BY_VEHICLE")
    incoming(cloud, [failed])
    (message,) = of_event(cloud, mailbox, "DistributorQueue", event_id)
    event = parse_event(message.body)
    assert event["status"] == "FAILED" and event["failureReason"] == "REJECTED_BY_VEHICLE"
    assert event["firstSeenMs"] == 1764000000000 and event["updatedMs"] == failed["receivedMs"]
    assert (event["owner"], event["traceId"], event["colour"]) == ("owner-sub", "Root=1-y", "blue")
    assert event["vehicle"] == {"generation": vehicle.generation, "country": vehicle.country}
    assert message.attributes["final"] == "true"


def test_a_theft_alarm_becomes_a_new_executed_vehicle_event_on_the_weighted_colour(
    cloud: LocalCloud, mailbox: Mailbox, incoming_vehicles: Iterator[Vehicle], weights: Any
) -> None:
    weights(100)
    vehicle = next(incoming_vehicles)
    alarm = update(vehicle, "EXECUTED", None, serviceType="THEFT_ALARM")
    incoming(cloud, [alarm])
    found = [
        m
        for m in mailbox.drain(cloud.physical("DistributorQueue"))
        if isinstance(m.body, dict)
        and m.body.get("vin") == vehicle.vin
        and m.body["serviceType"] == "THEFT_ALARM"
    ]
    (message,) = found
    event = parse_event(message.body)
    assert uuid.UUID(event["eventId"])
    assert (event["status"], event["source"], event["colour"]) == ("EXECUTED", "VEHICLE", "blue")
    assert event["firstSeenMs"] == event["updatedMs"] == alarm["receivedMs"]
    assert message.attributes == {
        "status": "EXECUTED", "serviceType": "THEFT_ALARM", "source": "VEHICLE",
        "colour": "blue", "final": "true",
    }  # fmt: skip


def test_an_unknown_event_id_keeps_its_id_and_follows_the_weights(
    cloud: LocalCloud, mailbox: Mailbox, incoming_vehicles: Iterator[Vehicle], weights: Any
) -> None:
    weights(100)
    vehicle = next(incoming_vehicles)
    event_id = str(uuid.uuid4())
    incoming(cloud, [update(vehicle, "EXECUTED", event_id)])
    (message,) = of_event(cloud, mailbox, "DistributorQueue", event_id)
    assert (message.body["colour"], message.body["source"], message.body["status"]) == (
        "blue",
        "APP",
        "EXECUTED",
    )


def test_the_green_weight_routes_to_the_green_topic_and_a_missing_topic_parks_the_item(
    cloud: LocalCloud, mailbox: Mailbox, incoming_vehicles: Iterator[Vehicle], weights: Any
) -> None:
    """This local stack is blue only: green's topic does not exist, so the publish fails and the
    item lands in the incoming DLQ with the error (nothing is lost, the execution succeeds)."""
    weights(0)
    vehicle = next(incoming_vehicles)
    alarm = update(vehicle, "EXECUTED", None, serviceType="THEFT_ALARM")
    incoming(cloud, [alarm])
    (parked,) = [m for m in dead_letters(cloud, mailbox) if m.body.get("vin") == vehicle.vin]
    assert parked.body["failure"]["Error"].startswith("SNS.")
    assert "green" in parked.body["failure"]["Cause"] or "NotFound" in parked.body["failure"]["Error"]


def test_undecodable_and_incomplete_items_go_to_the_dead_letter_queue_next_to_good_ones(
    cloud: LocalCloud, mailbox: Mailbox, incoming_vehicles: Iterator[Vehicle], weights: Any
) -> None:
    weights(100)
    vehicle = next(incoming_vehicles)
    marker = uuid.uuid4().hex
    good_id = str(uuid.uuid4())
    items = [
        {"kind": "undecodable", "error": "body is not JSON", "body": f"garbage-{marker}"},
        {"kind": "update", "eventId": f"incomplete-{marker}", "status": "RUNNING"},
        update(vehicle, "EXECUTED", good_id),
    ]
    incoming(cloud, items)
    parked = [m.body for m in dead_letters(cloud, mailbox) if marker in json.dumps(m.body)]
    assert items[0] in parked
    assert items[1] in parked
    assert len(of_event(cloud, mailbox, "DistributorQueue", good_id)) == 1


def test_the_items_of_one_batch_are_published_in_their_order(
    cloud: LocalCloud, mailbox: Mailbox, incoming_vehicles: Iterator[Vehicle]
) -> None:
    """A vehicle's ack and done often share a batch: they reach the topic in the vehicle's order."""
    vehicle = next(incoming_vehicles)
    event_id = str(uuid.uuid4())
    cloud.client("dynamodb").put_item(
        TableName=cloud.physical("EventsTable"),
        Item={
            "eventId": {"S": event_id}, "sk": {"S": "STATE"}, "vin": {"S": vehicle.vin},
            "serviceType": {"S": "HORN_BLOW"}, "status": {"S": "PENDING"}, "statusRank": {"N": "1"},
            "source": {"S": "APP"}, "colour": {"S": "blue"}, "firstSeenMs": {"N": "1764000000000"},
            "updatedMs": {"N": "1764000000000"},
        },
    )  # fmt: skip
    incoming(cloud, [update(vehicle, "RUNNING", event_id), update(vehicle, "EXECUTED", event_id)] * 3)
    statuses = [m.body["status"] for m in of_event(cloud, mailbox, "PersisterQueue", event_id)]
    assert statuses == ["RUNNING", "EXECUTED"] * 3
