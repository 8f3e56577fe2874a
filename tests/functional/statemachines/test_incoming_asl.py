"""The incoming workflow, executed by moto's Step Functions interpreter on the local cloud: the
input is what the decoder returns (the pipe's enrichment output); the tests check where each
item went (the topic of the event's colour, the weights, the incoming DLQ with its reason), what it
carried, and what it did to the STATE item (advanced with the rank condition before the publish)."""

from __future__ import annotations

import dataclasses
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
    """Set the blue/green weights for one test; the router's come back afterwards."""
    ddb = cloud.client("dynamodb")
    table = cloud.physical("WeightsTable")

    def put(blue: int) -> None:
        item = {"id": {"S": "current"}, "blue": {"N": str(blue)}, "green": {"N": str(100 - blue)}}
        ddb.put_item(TableName=table, Item=item)

    yield put
    cloud.router().sync()


def incoming(cloud: LocalCloud, items: list[dict[str, Any]]) -> None:
    described = run_execution(cloud.client("stepfunctions"), cloud.physical("IncomingStateMachine"), items)
    assert described["status"] == "SUCCEEDED", described


RANKS = {"CREATED": 0, "PENDING": 1, "RUNNING": 2, "EXECUTED": 3, "FAILED": 3}
_clock = [0]


def received_ms() -> int:
    """Strictly increasing receive times (two reports of one test never share a millisecond)."""
    _clock[0] = max(_clock[0] + 1, int(time.time() * 1000))
    return _clock[0]


def update(vehicle: Vehicle, status: str, event_id: str, **extra: Any) -> dict[str, Any]:
    """What the decoder returns for a report on a command."""
    received = received_ms()
    return {
        "kind": "update", "eventId": event_id, "vin": vehicle.vin, "serviceType": "HORN_BLOW",
        "status": status, "statusRank": RANKS[status], "vehicleTs": 1_700_000_000,
        "generation": vehicle.generation, "receivedMs": received,
        "expiresAt": received // 1000 + 30 * 86400, **extra,
    }  # fmt: skip


def alarm(vehicle: Vehicle, vehicle_ts: int = 1_700_000_000, received: int | None = None) -> dict[str, Any]:
    """What the decoder returns for a theft alarm (a stable id from VIN, type and the car's clock)."""
    received = received or received_ms()
    return {
        "kind": "vehicle-event", "eventId": f"{vehicle.vin}-THEFT_ALARM-{vehicle_ts}", "vin": vehicle.vin,
        "serviceType": "THEFT_ALARM", "status": "EXECUTED", "vehicleTs": vehicle_ts,
        "generation": vehicle.generation, "receivedMs": received, "expiresAt": received // 1000 + 86400,
    }  # fmt: skip


def in_flight(cloud: LocalCloud, vehicle: Vehicle, status: str = "PENDING") -> str:
    """A command as the creation workflow leaves it: STATE (PENDING) and the vehicle's lock."""
    event_id = str(uuid.uuid4())
    ddb = cloud.client("dynamodb")
    ddb.put_item(
        TableName=cloud.physical("EventsTable"),
        Item={
            "eventId": {"S": event_id}, "sk": {"S": "STATE"}, "vin": {"S": vehicle.vin},
            "serviceType": {"S": "HORN_BLOW"}, "status": {"S": status},
            "statusRank": {"N": str(RANKS[status])},
            "source": {"S": "APP"}, "colour": {"S": "blue"}, "firstSeenMs": {"N": "1764000000000"},
            "updatedMs": {"N": "1764000000500"}, "owner": {"S": "owner-sub"}, "traceId": {"S": "Root=1-y"},
            "generation": {"S": vehicle.generation}, "country": {"S": vehicle.country},
        },
    )  # fmt: skip
    ddb.put_item(
        TableName=cloud.physical("VehicleLockTable"),
        Item={"vin": {"S": vehicle.vin}, "eventId": {"S": event_id}, "expiresAt": {"N": "9999999999"}},
    )
    return event_id


def items(cloud: LocalCloud, event_id: str) -> dict[str, dict[str, Any]]:
    reply = cloud.client("dynamodb").query(
        TableName=cloud.physical("EventsTable"),
        KeyConditionExpression="eventId = :e",
        ExpressionAttributeValues={":e": {"S": event_id}},
        ConsistentRead=True,
    )
    return {item["sk"]["S"]: item for item in reply["Items"]}


def lock_of(cloud: LocalCloud, vehicle: Vehicle) -> str | None:
    got = cloud.client("dynamodb").get_item(
        TableName=cloud.physical("VehicleLockTable"), Key={"vin": {"S": vehicle.vin}}, ConsistentRead=True
    )
    held: str | None = got.get("Item", {}).get("eventId", {}).get("S")
    return held


def of_event(cloud: LocalCloud, mailbox: Mailbox, queue: str, event_id: str) -> list[Message]:
    return mailbox.of_event(cloud.physical(queue), event_id)


def dead_letters(cloud: LocalCloud, mailbox: Mailbox) -> list[Message]:
    return mailbox.drain(cloud.physical("IncomingDeadLetterQueue"))


def rejected(cloud: LocalCloud, mailbox: Mailbox, event_id: str) -> list[str]:
    """The reasons the incoming DLQ holds for reports naming `event_id`."""
    return [
        m.attributes["reason"]
        for m in dead_letters(cloud, mailbox)
        if isinstance(m.body, dict) and m.body.get("item", {}).get("eventId") == event_id
    ]


def test_a_report_advances_state_then_is_published_with_the_stored_envelope(
    cloud: LocalCloud, mailbox: Mailbox, incoming_vehicles: Iterator[Vehicle]
) -> None:
    vehicle = next(incoming_vehicles)
    event_id = in_flight(cloud, vehicle)
    running = update(vehicle, "RUNNING", event_id)
    incoming(cloud, [running])
    state = items(cloud, event_id)["STATE"]
    assert (state["status"]["S"], state["statusRank"]["N"]) == ("RUNNING", "2")
    assert state["updatedMs"]["N"] == str(running["receivedMs"])
    (message,) = of_event(cloud, mailbox, "PersisterQueue", event_id)
    event = parse_event(message.body)
    assert event["status"] == "RUNNING" and event["updatedMs"] == running["receivedMs"]
    assert (event["owner"], event["traceId"], event["colour"]) == ("owner-sub", "Root=1-y", "blue")
    assert event["vehicle"] == {"generation": vehicle.generation, "country": vehicle.country}
    assert message.attributes == {
        "status": "RUNNING", "serviceType": "HORN_BLOW", "source": "APP", "colour": "blue",
        "final": "false", "push": "true",
    }  # fmt: skip
    assert of_event(cloud, mailbox, "DistributorQueue", event_id) == []
    assert lock_of(cloud, vehicle) == event_id  # not final: the vehicle stays busy


def test_a_final_report_is_decided_on_state_pushed_and_frees_the_vehicle(
    cloud: LocalCloud, mailbox: Mailbox, incoming_vehicles: Iterator[Vehicle]
) -> None:
    vehicle = next(incoming_vehicles)
    event_id = in_flight(cloud, vehicle, "RUNNING")
    failed = update(vehicle, "FAILED", event_id, failureReason="REJECTED_BY_VEHICLE")
    incoming(cloud, [failed])
    state = items(cloud, event_id)["STATE"]
    assert (state["status"]["S"], state["failureReason"]["S"]) == ("FAILED", "REJECTED_BY_VEHICLE")
    (message,) = of_event(cloud, mailbox, "DistributorQueue", event_id)
    event = parse_event(message.body)
    assert event["status"] == "FAILED" and event["failureReason"] == "REJECTED_BY_VEHICLE"
    assert event["firstSeenMs"] == 1764000000000 and event["updatedMs"] == failed["receivedMs"]
    assert message.attributes["final"] == "true" and message.attributes["push"] == "true"
    assert lock_of(cloud, vehicle) is None  # released at once, not when the persister gets to it


def test_the_same_report_again_is_published_again_but_changes_nothing(
    cloud: LocalCloud, mailbox: Mailbox, incoming_vehicles: Iterator[Vehicle]
) -> None:
    """A retried execution (same report, same receive time) must publish what it decided before:
    the first run may have died between the STATE write and the publish."""
    vehicle = next(incoming_vehicles)
    event_id = in_flight(cloud, vehicle)
    done = update(vehicle, "EXECUTED", event_id)
    incoming(cloud, [done])
    incoming(cloud, [done])
    assert [m.body["status"] for m in of_event(cloud, mailbox, "DistributorQueue", event_id)] == [
        "EXECUTED"
    ] * 2
    assert not any(sk.startswith("LATE#") for sk in items(cloud, event_id))


def test_late_repeated_and_out_of_order_reports_are_kept_for_audit_only(
    cloud: LocalCloud, mailbox: Mailbox, incoming_vehicles: Iterator[Vehicle]
) -> None:
    """Done before ack, then the ack, a broker duplicate of done and a failure after the final
    state: only the first final is applied and published; the rest are LATE# items."""
    vehicle = next(incoming_vehicles)
    event_id = in_flight(cloud, vehicle)
    done = update(vehicle, "EXECUTED", event_id)
    ack = update(vehicle, "RUNNING", event_id)
    duplicate = update(vehicle, "EXECUTED", event_id)
    late_failure = update(vehicle, "FAILED", event_id, failureReason="REJECTED_BY_VEHICLE")
    incoming(cloud, [done, ack, duplicate, late_failure])
    assert [m.body["status"] for m in of_event(cloud, mailbox, "PersisterQueue", event_id)] == ["EXECUTED"]
    stored = items(cloud, event_id)
    assert stored["STATE"]["status"]["S"] == "EXECUTED" and "failureReason" not in stored["STATE"]
    late = sorted(sk for sk in stored if sk.startswith("LATE#"))
    assert late == sorted(f"LATE#{r['receivedMs']}#{r['status']}" for r in (ack, duplicate, late_failure))
    assert all(stored[sk]["vin"]["S"] == vehicle.vin and "expiresAt" in stored[sk] for sk in late)


def test_an_ack_sent_before_the_done_but_read_after_it_joins_the_history_once(
    cloud: LocalCloud, mailbox: Mailbox, incoming_vehicles: Iterator[Vehicle]
) -> None:
    """Concurrent pipe batches can hand the workflow the car's done before its ack: the ack (received
    earlier) is published for the history, STATE stays EXECUTED; a second copy of it is late."""
    vehicle = next(incoming_vehicles)
    event_id = in_flight(cloud, vehicle)
    ack = update(vehicle, "RUNNING", event_id)
    done = update(vehicle, "EXECUTED", event_id)
    incoming(cloud, [done, ack, {**ack, "receivedMs": ack["receivedMs"] + 1}])
    published = [
        (m.body["status"], m.body["updatedMs"]) for m in of_event(cloud, mailbox, "PersisterQueue", event_id)
    ]
    assert published == [("EXECUTED", done["receivedMs"]), ("RUNNING", ack["receivedMs"])]
    assert of_event(cloud, mailbox, "DistributorQueue", event_id)[0].body["status"] == "EXECUTED"
    assert len(of_event(cloud, mailbox, "DistributorQueue", event_id)) == 1
    stored = items(cloud, event_id)
    assert stored["STATE"]["status"]["S"] == "EXECUTED" and sorted(stored["STATE"]["seen"]["SS"]) == [
        "EXECUTED",
        "RUNNING",
    ]
    assert [sk for sk in stored if sk.startswith("LATE#")] == [f"LATE#{ack['receivedMs'] + 1}#RUNNING"]


def test_a_report_on_another_vehicles_topic_is_rejected(
    cloud: LocalCloud, mailbox: Mailbox, incoming_vehicles: Iterator[Vehicle]
) -> None:
    silent, other = next(incoming_vehicles), next(incoming_vehicles)
    event_id = in_flight(cloud, silent)
    incoming(cloud, [update(other, "EXECUTED", event_id)])  # B reports the id of A's command
    assert rejected(cloud, mailbox, event_id) == ["FOREIGN_VEHICLE"]
    assert items(cloud, event_id)["STATE"]["status"]["S"] == "PENDING"
    assert of_event(cloud, mailbox, "PersisterQueue", event_id) == []
    assert lock_of(cloud, silent) == event_id


def test_an_unknown_event_id_and_an_unregistered_vehicle_are_rejected(
    cloud: LocalCloud, mailbox: Mailbox, incoming_vehicles: Iterator[Vehicle]
) -> None:
    vehicle = next(incoming_vehicles)
    unknown = str(uuid.uuid4())
    incoming(cloud, [update(vehicle, "EXECUTED", unknown)])
    assert rejected(cloud, mailbox, unknown) == ["UNKNOWN_EVENT"]
    assert items(cloud, unknown) == {}  # no event is made up from a report
    stranger = dataclasses.replace(vehicle, vin="WVWZZZ1JZXW999999")
    foreign = alarm(stranger)
    incoming(cloud, [foreign])
    assert rejected(cloud, mailbox, foreign["eventId"]) == ["UNREGISTERED_VEHICLE"]
    assert items(cloud, foreign["eventId"]) == {}


def test_a_theft_alarm_is_created_once_with_its_stable_id_on_the_weighted_colour(
    cloud: LocalCloud, mailbox: Mailbox, incoming_vehicles: Iterator[Vehicle], weights: Any
) -> None:
    weights(100)
    vehicle = next(incoming_vehicles)
    first = alarm(vehicle, vehicle_ts=1_700_000_123)
    incoming(cloud, [first])
    incoming(cloud, [alarm(vehicle, vehicle_ts=1_700_000_123)])  # the car sent it twice: same event
    (message,) = of_event(cloud, mailbox, "DistributorQueue", first["eventId"])
    event = parse_event(message.body)
    assert (event["status"], event["source"], event["colour"]) == ("EXECUTED", "VEHICLE", "blue")
    assert event["firstSeenMs"] == event["updatedMs"] == first["receivedMs"]
    assert message.attributes == {
        "status": "EXECUTED", "serviceType": "THEFT_ALARM", "source": "VEHICLE",
        "colour": "blue", "final": "true", "push": "true",
    }  # fmt: skip
    stored = items(cloud, first["eventId"])
    assert stored["STATE"]["status"]["S"] == "EXECUTED" and stored["STATE"]["source"]["S"] == "VEHICLE"
    assert len([sk for sk in stored if sk.startswith("LATE#")]) == 1


def test_the_green_weight_routes_to_the_green_topic_and_a_missing_topic_parks_the_item(
    cloud: LocalCloud, mailbox: Mailbox, incoming_vehicles: Iterator[Vehicle], weights: Any
) -> None:
    """This local stack is blue only: green's topic does not exist, so the publish fails and the
    item lands in the incoming DLQ with the error (nothing is lost, the execution succeeds)."""
    weights(0)
    vehicle = next(incoming_vehicles)
    incoming(cloud, [alarm(vehicle, vehicle_ts=1_700_000_999)])
    (parked,) = [
        m for m in dead_letters(cloud, mailbox) if m.body.get("vin") == vehicle.vin and "failure" in m.body
    ]
    assert parked.body["failure"]["Error"].startswith("SNS.")
    assert "green" in parked.body["failure"]["Cause"] or "NotFound" in parked.body["failure"]["Error"]


def test_undecodable_and_incomplete_items_go_to_the_dead_letter_queue_next_to_good_ones(
    cloud: LocalCloud, mailbox: Mailbox, incoming_vehicles: Iterator[Vehicle]
) -> None:
    vehicle = next(incoming_vehicles)
    marker = uuid.uuid4().hex
    good_id = in_flight(cloud, vehicle)
    items_in = [
        {
            "kind": "undecodable",
            "reason": "UNDECODABLE",
            "error": "body is not JSON",
            "body": f"garbage-{marker}",
        },
        {"kind": "update", "eventId": f"incomplete-{marker}", "status": "RUNNING"},
        update(vehicle, "EXECUTED", good_id),
    ]
    incoming(cloud, items_in)
    parked = {
        m.attributes["reason"]: m.body["item"]
        for m in dead_letters(cloud, mailbox)
        if marker in json.dumps(m.body)
    }
    assert parked == {"UNDECODABLE": items_in[0], "INCOMPLETE": items_in[1]}
    assert len(of_event(cloud, mailbox, "DistributorQueue", good_id)) == 1


def test_the_items_of_one_batch_are_applied_in_their_order(
    cloud: LocalCloud, mailbox: Mailbox, incoming_vehicles: Iterator[Vehicle]
) -> None:
    """A vehicle's ack and done often share a batch: they reach STATE and the topic in the car's order."""
    vehicle = next(incoming_vehicles)
    event_id = in_flight(cloud, vehicle)
    incoming(cloud, [update(vehicle, "RUNNING", event_id), update(vehicle, "EXECUTED", event_id)])
    statuses = [m.body["status"] for m in of_event(cloud, mailbox, "PersisterQueue", event_id)]
    assert statuses == ["RUNNING", "EXECUTED"]
