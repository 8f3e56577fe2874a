"""The event-creation workflow, executed by moto's Step Functions interpreter on the local cloud
(provisioned from the built template): real validate/enrich handlers on the function host, moto's
SNS/SQS/DynamoDB. Every test checks the side effects: what reached the filtered SNS subscriptions,
the lock item, the outgoing command, and the {statusCode, body} the API turns into HTTP."""

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

LOCK_TTL_S = 900  # the template's LockTtlSeconds default


@pytest.fixture(scope="session")
def vehicles(cloud: LocalCloud) -> Iterator[Vehicle]:
    """Fleet vehicles that support HORN_BLOW, each handed out once (no test shares a lock)."""
    return iter([v for v in cloud.fleet.vehicles.values() if "HORN_BLOW" in v.capabilities])


def request(cloud: LocalCloud, vehicle: Vehicle, **overrides: Any) -> dict[str, Any]:
    now_ms = int(time.time() * 1000)
    body = {
        "eventId": str(uuid.uuid4()),
        "vin": vehicle.vin,
        "serviceType": "HORN_BLOW",
        "parameters": {},
        "owner": cloud.subs[vehicle.owner],
        "firstSeenMs": now_ms,
        "requestEpochS": now_ms // 1000,
        "eventTtlS": 30 * 86400,
        "traceId": f"Root=1-{uuid.uuid4().hex[:8]}-{uuid.uuid4().hex[:24]}",
    }
    body.update(overrides)
    return body


def create(cloud: LocalCloud, body: dict[str, Any]) -> dict[str, Any]:
    arn = cloud.physical("EventCreationStateMachine")
    described = run_execution(cloud.client("stepfunctions"), arn, body)
    assert described["status"] == "SUCCEEDED", described
    output: dict[str, Any] = json.loads(described["output"])
    return output


def published(cloud: LocalCloud, mailbox: Mailbox, event_id: str) -> dict[str, list[Message]]:
    """What each filtered subscription received for this event."""
    return {
        queue: mailbox.of_event(cloud.physical(queue), event_id)
        for queue in ("PersisterQueue", "DistributorQueue", "LifecycleQueue")
    }


def state_item(cloud: LocalCloud, event_id: str) -> dict[str, Any] | None:
    got = cloud.client("dynamodb").get_item(
        TableName=cloud.physical("EventsTable"), Key={"eventId": {"S": event_id}, "sk": {"S": "STATE"}}
    )
    item: dict[str, Any] | None = got.get("Item")
    return item


def assert_refused(
    cloud: LocalCloud, mailbox: Mailbox, event_id: str, reason: str, checked_first: bool = True
) -> None:
    """A refusal: STATE FAILED with the reason, published for the history with push=false, so the
    distributor's subscription never sees it (the caller already has its 4xx). `checked_first`: refused
    by the checks that run before CREATED is published (registry, validate, enrich), so there is none."""
    seen = published(cloud, mailbox, event_id)
    assert seen["DistributorQueue"] == []
    (failed,) = [m for m in seen["PersisterQueue"] if m.body["status"] == "FAILED"]
    assert failed.body["failureReason"] == reason
    assert failed.attributes["final"] == "true" and failed.attributes["push"] == "false"
    if checked_first:
        assert [m.body["status"] for m in seen["PersisterQueue"]] == ["FAILED"]
        assert seen["LifecycleQueue"] == []
    assert_recorded(cloud, event_id, reason)


def assert_recorded(cloud: LocalCloud, event_id: str, reason: str) -> None:
    state = state_item(cloud, event_id)
    assert (
        state is not None and state["status"] == {"S": "FAILED"} and state["failureReason"] == {"S": reason}
    )


def lock_item(cloud: LocalCloud, vin: str) -> dict[str, Any] | None:
    got = cloud.client("dynamodb").get_item(
        TableName=cloud.physical("VehicleLockTable"), Key={"vin": {"S": vin}}, ConsistentRead=True
    )
    item: dict[str, Any] | None = got.get("Item")
    return item


def test_accepted_publishes_created_and_pending_locks_and_sends_the_command(
    cloud: LocalCloud, mailbox: Mailbox, vehicles: Iterator[Vehicle]
) -> None:
    vehicle = next(vehicles)
    body = request(cloud, vehicle, parameters={"durationS": 3})
    assert create(cloud, body) == {
        "statusCode": 202,
        "body": {"eventId": body["eventId"], "status": "PENDING"},
    }

    seen = published(cloud, mailbox, body["eventId"])
    statuses = [m.body["status"] for m in seen["PersisterQueue"]]
    assert sorted(statuses) == ["CREATED", "PENDING"]
    assert seen["DistributorQueue"] == []  # final only
    assert sorted(m.body["status"] for m in seen["LifecycleQueue"]) == ["CREATED", "PENDING"]
    for message in seen["PersisterQueue"]:
        event = parse_event(message.body)  # the one envelope format, checked by the real parser
        assert message.attributes == {
            "status": event["status"],
            "serviceType": "HORN_BLOW",
            "source": "APP",
            "colour": event["colour"],
            "final": "false",
            "push": "true",
        }
        assert event["firstSeenMs"] == body["firstSeenMs"] and event["traceId"] == body["traceId"]
        assert event["owner"] == body["owner"] and event["parameters"] == {"durationS": 3}

    (command,) = mailbox.of_event(cloud.physical("OutgoingQueue"), body["eventId"])
    pending = parse_event(command.body)
    assert pending["status"] == "PENDING"
    assert pending["vehicle"] == {"generation": vehicle.generation, "country": vehicle.country}

    lock = lock_item(cloud, vehicle.vin)
    assert lock is not None
    assert lock["eventId"] == {"S": body["eventId"]}
    assert lock["colour"] == {"S": pending["colour"]}
    assert lock["expiresAt"] == {"N": str(body["requestEpochS"] + LOCK_TTL_S)}
    assert parse_event(lock["envelope"]["S"]) == pending

    # STATE = PENDING is written before the command leaves (the checker and the incoming workflow read it)
    state = state_item(cloud, body["eventId"])
    assert state is not None
    assert {k: v for k, v in state.items() if k not in ("eventId", "sk")} == {
        "vin": {"S": vehicle.vin}, "serviceType": {"S": "HORN_BLOW"}, "status": {"S": "PENDING"},
        "statusRank": {"N": "1"}, "source": {"S": "APP"}, "colour": {"S": pending["colour"]},
        "firstSeenMs": {"N": str(body["firstSeenMs"])}, "updatedMs": {"N": str(body["firstSeenMs"])},
        "traceId": {"S": body["traceId"]}, "owner": {"S": body["owner"]},
        "generation": {"S": vehicle.generation}, "country": {"S": vehicle.country},
        "expiresAt": {"N": str(body["requestEpochS"] + 30 * 86400)},
    }  # fmt: skip


def test_second_command_while_one_is_in_flight_is_409_and_fails_cleanly(
    cloud: LocalCloud, mailbox: Mailbox, vehicles: Iterator[Vehicle]
) -> None:
    vehicle = next(vehicles)
    first = request(cloud, vehicle)
    assert create(cloud, first)["statusCode"] == 202
    second = request(cloud, vehicle)
    assert create(cloud, second) == {
        "statusCode": 409,
        "body": {"error": "VEHICLE_BUSY", "message": "the vehicle already has a command in flight"},
    }
    assert_refused(cloud, mailbox, second["eventId"], "VEHICLE_BUSY", checked_first=False)
    seen = published(cloud, mailbox, second["eventId"])
    assert "PENDING" not in [m.body["status"] for m in seen["PersisterQueue"]]
    assert mailbox.of_event(cloud.physical("OutgoingQueue"), second["eventId"]) == []
    lock = lock_item(cloud, vehicle.vin)
    assert lock is not None and lock["eventId"] == {"S": first["eventId"]}  # untouched


def test_an_expired_lock_no_longer_blocks(cloud: LocalCloud, vehicles: Iterator[Vehicle]) -> None:
    vehicle = next(vehicles)
    body = request(cloud, vehicle)
    cloud.client("dynamodb").put_item(
        TableName=cloud.physical("VehicleLockTable"),
        Item={
            "vin": {"S": vehicle.vin},
            "eventId": {"S": "stale"},
            "expiresAt": {"N": str(body["requestEpochS"] - 1)},
        },
    )
    assert create(cloud, body)["statusCode"] == 202
    lock = lock_item(cloud, vehicle.vin)
    assert lock is not None and lock["eventId"] == {"S": body["eventId"]}


def test_invalid_parameters_are_400_with_the_validators_message(
    cloud: LocalCloud, mailbox: Mailbox, vehicles: Iterator[Vehicle]
) -> None:
    vehicle = next(vehicles)
    body = request(cloud, vehicle, parameters={"durationS": 999})
    out = create(cloud, body)
    assert out["statusCode"] == 400
    assert out["body"]["error"] == "VALIDATION_FAILED"
    assert "durationS" in out["body"]["message"]
    assert_refused(cloud, mailbox, body["eventId"], "VALIDATION_FAILED")
    assert lock_item(cloud, vehicle.vin) is None
    assert mailbox.of_event(cloud.physical("OutgoingQueue"), body["eventId"]) == []


def test_a_foreign_or_unregistered_vehicle_is_403_with_one_message(
    cloud: LocalCloud, mailbox: Mailbox, vehicles: Iterator[Vehicle]
) -> None:
    vehicle = next(vehicles)
    foreign = create(cloud, request(cloud, vehicle, owner=str(uuid.uuid4())))
    unregistered_vin = next(vehicles).vin
    cloud.client("dynamodb").delete_item(
        TableName=cloud.physical("VehicleRegistryTable"), Key={"vin": {"S": unregistered_vin}}
    )
    body = request(cloud, vehicle, vin=unregistered_vin)
    unregistered = create(cloud, body)
    expected = {"error": "NOT_OWNER", "message": "the caller does not own this vehicle"}
    assert foreign == unregistered == {"statusCode": 403, "body": expected}
    assert_refused(cloud, mailbox, body["eventId"], "NOT_OWNER")
    assert lock_item(cloud, vehicle.vin) is None and lock_item(cloud, unregistered_vin) is None


def test_a_service_the_vehicle_lacks_is_400_unsupported(
    cloud: LocalCloud, mailbox: Mailbox, vehicles: Iterator[Vehicle]
) -> None:
    vehicle = next(vehicles)
    cloud.client("dynamodb").update_item(
        TableName=cloud.physical("VehicleRegistryTable"),
        Key={"vin": {"S": vehicle.vin}},
        UpdateExpression="SET capabilities = :c",
        ExpressionAttributeValues={":c": {"SS": ["LIGHT_FLASH"]}},
    )
    body = request(cloud, vehicle)
    out = create(cloud, body)
    assert out["statusCode"] == 400 and out["body"]["error"] == "UNSUPPORTED_BY_VEHICLE"
    assert_refused(cloud, mailbox, body["eventId"], "UNSUPPORTED_BY_VEHICLE")
    assert lock_item(cloud, vehicle.vin) is None


def test_a_malformed_vin_is_400_not_403(
    cloud: LocalCloud, mailbox: Mailbox, vehicles: Iterator[Vehicle]
) -> None:
    """Not in the registry, but the request itself is wrong: the caller learns what is wrong. It is
    recorded (GET answers it) but never published: every consumer would park it as poison."""
    body = request(cloud, next(vehicles), vin="WVWZZZ1JZXW00000O")  # O is not in the VIN alphabet
    out = create(cloud, body)
    assert out["statusCode"] == 400 and out["body"]["error"] == "VALIDATION_FAILED"
    assert "vin" in out["body"]["message"]
    assert_recorded(cloud, body["eventId"], "VALIDATION_FAILED")
    assert published(cloud, mailbox, body["eventId"]) == {
        "PersisterQueue": [],
        "DistributorQueue": [],
        "LifecycleQueue": [],
    }


def test_an_unknown_service_type_is_400_and_never_published(
    cloud: LocalCloud, mailbox: Mailbox, vehicles: Iterator[Vehicle]
) -> None:
    vehicle = next(vehicles)
    body = request(cloud, vehicle, serviceType="TELEPORT")
    out = create(cloud, body)
    assert out["statusCode"] == 400 and out["body"]["error"] == "VALIDATION_FAILED"
    assert "serviceType" in out["body"]["message"]
    assert_recorded(cloud, body["eventId"], "VALIDATION_FAILED")
    assert published(cloud, mailbox, body["eventId"]) == {
        "PersisterQueue": [],
        "DistributorQueue": [],
        "LifecycleQueue": [],
    }
    assert lock_item(cloud, vehicle.vin) is None
