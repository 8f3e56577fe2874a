"""SIGKILL of each SQS consumer while it holds a batch: the batch comes back, nothing is lost, and
the command still ends in its one true final state, pushed at least once under one notificationId."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from localcloud.cloud import LocalCloud
from remote_services.status import STATUSES
from simulator.fleet import Vehicle
from tests.faults.faults import (
    Killer,
    assert_true_end,
    behaving,
    broker,
    broker_accepted,
    command,
    held,
    visibility,
    wait_item,
)

EXECUTED = ["CREATED", "PENDING", "RUNNING", "EXECUTED"]


@pytest.mark.parametrize(
    ("function", "queue"),
    [
        ("PersisterFunction", "PersisterQueue"),
        ("LifecycleSchedulerFunction", "LifecycleQueue"),
        ("LifecycleCheckerFunction", "LifecycleDelayQueue"),
        ("VehicleDecoderFunction", "IncomingQueue"),  # the incoming pipe's enrichment
    ],
)
def test_a_consumer_killed_mid_batch_loses_nothing(
    cloud: LocalCloud, vehicles: Iterator[Vehicle], function: str, queue: str
) -> None:
    killed = 0
    with visibility(cloud, queue, 3):
        # a batch can be over before the watcher sees it: another command until one kill landed
        for _ in range(10):
            with Killer(cloud, function) as killer:
                event_id = command(cloud, next(vehicles))
                landed = killer.wait(timeout_s=15)
            assert_true_end(cloud, event_id, "EXECUTED", statuses=EXECUTED)
            killed += landed
            if landed:
                break
    assert killed, f"no {function} batch was caught in flight"


def test_the_checker_killed_while_deciding_a_timeout_still_ends_the_silent_car(
    cloud: LocalCloud, vehicles: Iterator[Vehicle]
) -> None:
    """Killed on the CREATED check and on the PENDING check: the silent car still ends FAILED/TIMEOUT,
    decided once (the retry finds its own decision in STATE and publishes it again)."""
    with (
        visibility(cloud, "LifecycleDelayQueue", 3),
        behaving(cloud, next(vehicles), "silent") as silent,
        Killer(cloud, "LifecycleCheckerFunction", limit=2) as killer,
    ):
        event_id = command(cloud, silent)
        assert_true_end(cloud, event_id, "FAILED", "TIMEOUT", statuses=["CREATED", "PENDING", "FAILED"])
    assert killer.killed


def test_the_connector_killed_while_the_broker_holds_the_call_sends_again_and_ends_once(
    cloud: LocalCloud, vehicles: Iterator[Vehicle]
) -> None:
    """The broker got the command (and delivers it late); the connector died before it heard back:
    the redelivered command goes out again, the car answers twice, the repeats are only audit."""
    with (
        behaving(cloud, next(vehicles), broker("slow", 1, 1500)) as car,
        visibility(cloud, "OutgoingQueue", 3),
        Killer(cloud, "VehicleConnectorFunction") as killer,
    ):
        event_id = command(cloud, car)
        assert killer.wait()
        assert_true_end(cloud, event_id, "EXECUTED", statuses=EXECUTED)
    # the car got the command at least once; if the first (late) delivery already ended the event,
    # the redelivered command is not sent again (the connector reads STATE first)
    assert broker_accepted(cloud, event_id) >= 1


def test_the_distributor_killed_between_claim_and_answer_still_pushes(
    cloud: LocalCloud, vehicles: Iterator[Vehicle]
) -> None:
    """The issue's lost push: the claim is written, the subscriber has not answered, the process dies.
    The claim's lease runs out (10 s, shorter than the visibility timeout) and the redelivered record
    takes it over: pushed again under the same notificationId, the PUSH item DONE after 2 attempts."""
    event_ids: list[str] = []

    def claimed() -> bool:
        items = cloud.events.items(event_ids[0]) if event_ids else []
        return any(i["sk"] == "PUSH" and i.get("pushState") == "CLAIMED" for i in items)

    car = next(vehicles)
    with visibility(cloud, "DistributorQueue", 12):
        with (
            held(cloud, "SubscriptionMockFunction", 5.0),  # the subscriber holds the first push past 1 s
            Killer(cloud, "DistributorFunction", when=claimed) as killer,
        ):
            event_id = command(cloud, car)
            event_ids.append(event_id)
            assert killer.wait()
        assert_true_end(cloud, event_id, "EXECUTED", statuses=EXECUTED)
        push = wait_item(cloud, event_id, lambda i: i["sk"] == "PUSH" and i.get("pushState") == "DONE")
    assert int(push["attempts"]) == 2


def test_the_disclosure_module_killed_mid_post_still_discloses(
    cloud: LocalCloud, vehicles: Iterator[Vehicle]
) -> None:
    """The extension module is an SQS consumer too: killed while the authority holds its POST, the
    record comes back and is disclosed (at least once, under one stable recordId)."""
    car = next(vehicles)
    ddb, registry = cloud.client("dynamodb"), cloud.physical("VehicleRegistryTable")
    key = {"vin": {"S": car.vin}}
    ddb.update_item(
        TableName=registry,
        Key=key,
        UpdateExpression="SET country = :c",
        ExpressionAttributeValues={":c": {"S": "FR"}},
    )
    try:
        with visibility(cloud, "DisclosureQueue", 3):
            with (
                # the authority (the subscription mock under the harness) holds the first POST past 1 s
                held(cloud, "SubscriptionMockFunction", 1.5),
                Killer(cloud, "DisclosureFunction") as killer,
            ):
                event_id = command(cloud, car, "DOOR_UNLOCK")
                assert killer.wait()
            assert_true_end(cloud, event_id, "EXECUTED", statuses=EXECUTED)
            deadline = time.monotonic() + 60
            while not cloud.mocks.disclosures(f"{event_id}#EXECUTED") and time.monotonic() < deadline:
                time.sleep(0.2)
        # every record of the event, by the recordIds it can have (one per status)
        records = [r["body"] for status in STATUSES for r in cloud.mocks.disclosures(f"{event_id}#{status}")]
        assert {r["recordId"] for r in records} >= {f"{event_id}#EXECUTED"}
        assert all(r["eventId"] == event_id for r in records)
        assert all(r["recordId"] == f"{event_id}#{r['status']}" for r in records)
    finally:
        ddb.update_item(
            TableName=registry,
            Key=key,
            UpdateExpression="SET country = :c",
            ExpressionAttributeValues={":c": {"S": car.country}},
        )
