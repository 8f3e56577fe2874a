"""lifecycle scheduler and checker over every sample event: delays, TIMEOUT decided on STATE,
waiting for our own backlog.
The real path: the lean AWS client against a real moto server, real HTTP servers for the partners."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from functions.lifecycle_checker.app import handler as checker
from functions.lifecycle_scheduler.app import handler as scheduler
from remote_services.envelope import dumps, new_event, parse_event
from tests.functional.handlers.aws_events import VIN_G2, eid
from tests.functional.handlers.conftest import Cloud, Context, assert_parked, bodies, event_files, ids, load

DAY_S = 86400


# file -> (failed indexes, scheduled [(event n, expectStatus, expected ms)])
SCHEDULER: dict[str, tuple[list[int], list[tuple[int, str, int]]]] = {
    "created": ([], [(30, "CREATED", 30000)]),
    "pending-and-running": ([], [(31, "PENDING", 15000), (31, "RUNNING", 60000)]),
    "final-is-ignored": ([], []),
    "invalid-vehicle-initiated-running": ([0], []),
    "invalid-body-not-json": ([0], []),
}


@pytest.mark.parametrize(
    "path", event_files("lifecycle_scheduler"), ids=ids(event_files("lifecycle_scheduler"))
)
def test_lifecycle_scheduler(path: Path, cloud: Cloud) -> None:
    want_parked, want = SCHEDULER[path.stem]
    event = load(path)
    result = scheduler(event, Context())
    assert result == {"batchItemFailures": []}
    assert_parked(cloud, event, want_parked)
    got = bodies(cloud.drain(cloud.delay_queue_url))  # the samples are in the past: due now, delay 0
    assert [(m["event"]["eventId"], m["expectStatus"]) for m in got] == [(eid(n), s) for n, s, _ in want]
    for message, (_, _, ms) in zip(got, want, strict=True):
        assert message["dueMs"] == message["event"]["updatedMs"] + ms
        assert parse_event(message["event"])["status"] == message["expectStatus"]


def test_lifecycle_scheduler_delays_a_fresh_event(cloud: Cloud, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LIFECYCLE_TIME_SCALE", "0.5")
    now = int(time.time() * 1000)
    fresh = new_event(
        event_id="fresh-1",
        vin=VIN_G2,
        service_type="CLIMATE_START",
        status="RUNNING",
        colour="blue",
        first_seen_ms=now,
        parameters={"targetTemperatureC": 20},
    )
    record = {"messageId": "m-1", "body": dumps(fresh)}
    assert scheduler({"Records": [record]}, Context()) == {"batchItemFailures": []}
    assert cloud.drain(cloud.delay_queue_url) == []  # delayed: not visible yet
    assert cloud.delayed(cloud.delay_queue_url) == 1


# file -> (parked indexes, STATE seeds {event n: status}, timed out [event n], redelayed count)
CHECKER: dict[str, tuple[list[int], dict[int, str], list[int], int]] = {
    "due-no-progress-times-out": ([], {40: "PENDING"}, [40], 0),
    "due-moved-on-dropped": ([], {41: "RUNNING"}, [], 0),
    "due-already-final-dropped": ([], {43: "EXECUTED"}, [], 0),
    "not-yet-due-redelayed": ([], {42: "RUNNING"}, [], 1),
    "invalid-missing-due": ([0], {}, [], 0),
    "invalid-event-not-an-envelope": ([0], {}, [], 0),
}


def check_timeouts(cloud: Cloud, want: list[str]) -> list[dict[str, Any]]:
    """The FAILED/TIMEOUT events published (with their attributes), drained from the topic tap."""
    published = cloud.drain(cloud.tap_url)
    assert [json.loads(m["Body"])["eventId"] for m in published] == want
    out = []
    for message in published:
        failed = parse_event(json.loads(message["Body"]))
        assert failed["status"] == "FAILED" and failed["failureReason"] == "TIMEOUT"
        attrs = {k: v["StringValue"] for k, v in message.get("MessageAttributes", {}).items()}
        assert attrs == {
            "status": "FAILED",
            "serviceType": failed["serviceType"],
            "source": "APP",
            "colour": failed["colour"],
            "final": "true",
            "push": "true",
        }
        out.append(dict(failed))
    return out


@pytest.mark.parametrize("path", event_files("lifecycle_checker"), ids=ids(event_files("lifecycle_checker")))
def test_lifecycle_checker(path: Path, cloud: Cloud) -> None:
    want_parked, seeds, want_timeouts, want_redelayed = CHECKER[path.stem]
    for n, status in seeds.items():
        cloud.put_state(eid(n), status)
    event = load(path)
    result = checker(event, Context())
    assert result == {"batchItemFailures": []}
    assert_parked(cloud, event, want_parked)
    for failed in check_timeouts(cloud, [eid(n) for n in want_timeouts]):
        message = json.loads(event["Records"][0]["body"])
        assert failed["updatedMs"] == message["dueMs"]  # the deadline: a retry decides the very same
        state = cloud.items(failed["eventId"])["STATE"]
        assert (state["status"]["S"], state["failureReason"]["S"]) == ("FAILED", "TIMEOUT")
        assert state["updatedMs"]["N"] == str(message["dueMs"]) and state["statusRank"]["N"] == "3"
    assert cloud.delayed(cloud.delay_queue_url) == want_redelayed


def test_lifecycle_checker_times_out_an_event_without_state(cloud: Cloud) -> None:
    """The creation workflow never got to PENDING (crashed): the CREATED check still ends the event."""
    event = load(next(p for p in event_files("lifecycle_checker") if p.stem == "due-no-progress-times-out"))
    assert checker(event, Context()) == {"batchItemFailures": []}
    check_timeouts(cloud, [eid(40)])
    state = cloud.items(eid(40))["STATE"]
    assert state["status"]["S"] == "FAILED" and state["vin"]["S"] and "firstSeenMs" in state


def test_lifecycle_checker_waits_while_its_inputs_are_behind(
    cloud: Cloud, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A vehicle answer still on the incoming queue is not silence: re-check, within the slack only."""
    event = load(next(p for p in event_files("lifecycle_checker") if p.stem == "due-no-progress-times-out"))
    cloud.put_state(eid(40), "PENDING")
    cloud.sqs.send_message(QueueUrl=cloud.incoming_url, MessageBody='{"topic": "t", "payload": "p"}')
    due = json.loads(event["Records"][0]["body"])["dueMs"]
    monkeypatch.setenv("LIFECYCLE_MAX_SLACK_MS", str(int(time.time() * 1000) - due + 60_000))
    assert checker(event, Context()) == {"batchItemFailures": []}
    check_timeouts(cloud, [])
    assert cloud.delayed(cloud.delay_queue_url) == 1  # again in 1 s
    assert cloud.items(eid(40))["STATE"]["status"]["S"] == "PENDING"
    monkeypatch.setenv("LIFECYCLE_MAX_SLACK_MS", "0")  # the slack is bounded: then it times out anyway
    assert checker(event, Context()) == {"batchItemFailures": []}
    check_timeouts(cloud, [eid(40)])


def test_lifecycle_checker_publishes_its_own_decision_again_after_a_crash(cloud: Cloud) -> None:
    """STATE already holds this TIMEOUT (killed between the write and the publish): publish it again."""
    event = load(next(p for p in event_files("lifecycle_checker") if p.stem == "due-no-progress-times-out"))
    due = json.loads(event["Records"][0]["body"])["dueMs"]
    cloud.put_state(eid(40), "FAILED", failureReason="TIMEOUT", updatedMs=due)
    assert checker(event, Context()) == {"batchItemFailures": []}
    check_timeouts(cloud, [eid(40)])
    cloud.put_state(eid(40), "FAILED", failureReason="REJECTED_BY_VEHICLE", updatedMs=due)  # not ours
    assert checker(event, Context()) == {"batchItemFailures": []}
    check_timeouts(cloud, [])


def test_lifecycle_checker_frees_the_vehicle(cloud: Cloud) -> None:
    event = load(next(p for p in event_files("lifecycle_checker") if p.stem == "due-no-progress-times-out"))
    message = json.loads(event["Records"][0]["body"])
    vin = message["event"]["vin"]
    cloud.ddb.put_item(TableName=cloud.lock_table, Item={"vin": {"S": vin}, "eventId": {"S": eid(40)}})
    assert checker(event, Context()) == {"batchItemFailures": []}
    assert "Item" not in cloud.ddb.get_item(TableName=cloud.lock_table, Key={"vin": {"S": vin}})


def test_every_sample_has_an_expectation() -> None:
    for folder, table in (
        ("lifecycle_scheduler", SCHEDULER),
        ("lifecycle_checker", CHECKER),
    ):
        assert sorted(f.stem for f in event_files(folder)) == sorted(table), folder
        for name, expectation in table.items():
            assert bool(expectation[0]) == ("invalid" in name), (folder, name)
