"""What vehicles and the broker send that is not the good path: duplicates, out of order, late after
the final state, a report on another vehicle's topic, an unknown id, an unregistered car."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, cast

from localcloud.cloud import LocalCloud
from remote_services.vehicles import encode_vehicle_message
from simulator.fleet import Vehicle
from tests.faults.faults import assert_true_end, behaving, command, wait_item

if TYPE_CHECKING:
    from remote_services.typedefs import VehicleUpdate

EXECUTED = ["CREATED", "PENDING", "RUNNING", "EXECUTED"]


def report(cloud: LocalCloud, vehicle: Vehicle, status: str, event_id: str | None, **extra: Any) -> None:
    """Put one vehicle report on the incoming queue, as the broker would (on `vehicle`'s topic)."""
    update: dict[str, Any] = {
        "generation": vehicle.generation, "vin": vehicle.vin, "serviceType": "HORN_BLOW",
        "status": status, "vehicleTs": int(time.time() * 1000), **extra,
    }  # fmt: skip
    if event_id is not None:
        update["eventId"] = event_id
    topic, payload = encode_vehicle_message(cast("VehicleUpdate", update))
    cloud.mocks.send_raw(topic, payload)


def parked(cloud: LocalCloud, event_id: str, timeout_s: float = 30.0) -> list[str]:
    """The reasons the incoming DLQ gives for reports naming `event_id` (read and deleted)."""
    sqs = cloud.client("sqs")
    url = cloud.physical("IncomingDeadLetterQueue")
    reasons: list[str] = []
    deadline = time.monotonic() + timeout_s
    while not reasons and time.monotonic() < deadline:
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"])
        for message in got.get("Messages", []):
            if event_id in message["Body"]:
                reasons.append(message["MessageAttributes"]["reason"]["StringValue"])
                sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
            else:  # not ours: back at once
                sqs.change_message_visibility(
                    QueueUrl=url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
                )
    return reasons


def late_items(cloud: LocalCloud, event_id: str) -> list[str]:
    return sorted(str(i["status"]) for i in cloud.events.items(event_id) if str(i["sk"]).startswith("LATE#"))


def test_duplicated_reports_end_once_and_the_repeats_are_audit(
    cloud: LocalCloud, vehicles: Iterator[Vehicle]
) -> None:
    with behaving(cloud, next(vehicles), "duplicate") as car:
        event_id = command(cloud, car)
        assert_true_end(cloud, event_id, "EXECUTED", statuses=EXECUTED)
    wait_item(cloud, event_id, lambda i: str(i["sk"]).startswith("LATE#") and i["status"] == "EXECUTED")
    assert late_items(cloud, event_id) == ["EXECUTED", "RUNNING"]


def test_done_before_ack_ends_executed_and_the_ack_is_late(
    cloud: LocalCloud, vehicles: Iterator[Vehicle]
) -> None:
    # the done at 0 ms, the ack 1 s later (the broker mock's SQS delays are whole seconds)
    with behaving(cloud, next(vehicles), "out_of_order", ack_ms=0, done_ms=1000) as car:
        event_id = command(cloud, car)
        assert_true_end(cloud, event_id, "EXECUTED", statuses=["CREATED", "PENDING", "EXECUTED"])
    wait_item(cloud, event_id, lambda i: str(i["sk"]).startswith("LATE#"))
    assert late_items(cloud, event_id) == ["RUNNING"]


def test_a_report_after_the_timeout_does_not_change_the_truth(
    cloud: LocalCloud, vehicles: Iterator[Vehicle]
) -> None:
    """The car stayed silent past its window (FAILED/TIMEOUT, pushed); its DONE arrives afterwards:
    kept for audit, the status, the history and the pushes stay as they were."""
    with behaving(cloud, next(vehicles), "silent") as car:
        event_id = command(cloud, car)
        before = assert_true_end(
            cloud, event_id, "FAILED", "TIMEOUT", statuses=["CREATED", "PENDING", "FAILED"]
        )
        report(cloud, car, "EXECUTED", event_id)
        wait_item(cloud, event_id, lambda i: str(i["sk"]).startswith("LATE#"))
    time.sleep(1)
    assert (cloud.events.state(event_id) or {}).get("failureReason") == "TIMEOUT"
    assert cloud.events.history(event_id) == ["CREATED", "PENDING", "FAILED"]
    assert len(cloud.mocks.pushes(event_id)) == len(before)


def test_a_report_on_another_vehicles_topic_is_rejected_and_the_silent_car_still_times_out(
    cloud: LocalCloud, vehicles: Iterator[Vehicle]
) -> None:
    """The issue's foreign report: vehicle B reports DONE for vehicle A's command (A is silent)."""
    other = next(vehicles)
    with behaving(cloud, next(vehicles), "silent") as silent:
        event_id = command(cloud, silent)
        report(cloud, other, "EXECUTED", event_id)
        assert parked(cloud, event_id) == ["FOREIGN_VEHICLE"]
        assert_true_end(cloud, event_id, "FAILED", "TIMEOUT", statuses=["CREATED", "PENDING", "FAILED"])


def test_an_unknown_event_id_creates_nothing(cloud: LocalCloud, vehicles: Iterator[Vehicle]) -> None:
    made_up = f"made-up-{int(time.time() * 1000)}"
    report(cloud, next(vehicles), "EXECUTED", made_up)
    assert parked(cloud, made_up) == ["UNKNOWN_EVENT"]
    assert cloud.events.items(made_up) == []
    assert cloud.mocks.pushes(made_up) == []


def test_an_unregistered_vehicle_cannot_raise_an_event(
    cloud: LocalCloud, vehicles: Iterator[Vehicle]
) -> None:
    car = next(vehicles)
    since_ms = int(time.time() * 1000)
    stranger_vin = car.vin[:-6] + "999999"
    topic, payload = encode_vehicle_message(
        {"generation": car.generation, "vin": stranger_vin, "serviceType": "THEFT_ALARM",
         "status": "EXECUTED", "vehicleTs": int(time.time() * 1000)}
    )  # fmt: skip
    cloud.mocks.send_raw(topic, payload)
    assert parked(cloud, stranger_vin) == ["UNREGISTERED_VEHICLE"]
    assert not [p for p in cloud.mocks.all_pushes(since_ms) if json.dumps(p["body"]).find(stranger_vin) >= 0]
