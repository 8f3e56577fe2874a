"""The AWS-calling handlers over every sample event of their folders, through the real path: the lean AWS
client against a real moto server, and real HTTP servers on 127.0.0.1 for the broker, the subscriber and
the disclosure authority. Side effects are checked in DynamoDB, SQS/SNS and on the HTTP fakes."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from functions.disclosure.app import handler as disclosure
from functions.distributor.app import handler as distributor
from functions.lifecycle_checker.app import handler as checker
from functions.lifecycle_scheduler.app import handler as scheduler
from functions.persister.app import handler as persister
from functions.vehicle_connector.app import handler as connector
from remote_services.envelope import dumps, new_event, parse_event
from remote_services.vehicles import decode_command
from tests.functional.handlers.conftest import Cloud, Context, event_files, load
from tests.functional.handlers.make_events import VIN_FR, VIN_G1, VIN_G2, eid
from tests.support.http_fake import FakeHttpServer

DAY_S = 86400


def ids(files: list[Path]) -> list[str]:
    return [f.stem for f in files]


def failures(result: Any, event: dict[str, Any]) -> list[int]:
    """The indexes of the records reported as failed."""
    failed = {f["itemIdentifier"] for f in result["batchItemFailures"]}
    return [i for i, r in enumerate(event["Records"]) if r["messageId"] in failed]


def bodies(messages: list[dict[str, Any]]) -> list[Any]:
    return [json.loads(m["Body"]) for m in messages]


# ------------------------------------------------------------------------------------------- the rank rule
@pytest.mark.parametrize(
    ("current", "new", "ok"),
    [
        (None, "PENDING", True),
        (None, "RUNNING", True),
        ("CREATED", "PENDING", True),
        ("PENDING", "CREATED", False),  # out of order: never backwards
        ("EXECUTED", "RUNNING", False),  # a late RUNNING after EXECUTED
        ("EXECUTED", "FAILED", False),  # first final wins
        ("RUNNING", "RUNNING", False),  # a repeat at another time
        ("RUNNING", "FAILED", True),
    ],
)
def test_state_moves_only_up(cloud: Cloud, current: str | None, new: str, ok: bool) -> None:
    """EventsTable.decide: a status replaces STATE only with a higher rank (remote_services.events_table)."""
    from remote_services.aws import DynamoDB
    from remote_services.events_table import EventsTable
    from remote_services.status import rank

    if current is not None:
        cloud.put_state(eid(70), current, updatedMs=1)
    event = new_event(
        event_id=eid(70), vin=VIN_G1, service_type="HORN_BLOW", status=new, colour="blue", first_seen_ms=2,
        failure_reason="TIMEOUT" if new == "FAILED" else None,
    )  # fmt: skip
    assert EventsTable(DynamoDB(), cloud.events_table).decide(event, rank(new) - 1, 0) is ok
    assert cloud.items(eid(70))["STATE"]["status"]["S"] == (new if ok else current)


# ------------------------------------------------------------------------------------------- persister
# file -> (parked record indexes, {event n: history statuses}, released locks). The persister writes the
# history only: STATE belongs to the deciders (remote_services.events_table).
PERSISTER: dict[str, tuple[list[int], dict[int, list[str]], list[int]]] = {
    "created": ([], {10: ["CREATED"]}, []),
    "lifecycle-with-late-running": ([], {11: ["CREATED", "PENDING", "RUNNING", "EXECUTED"]}, [11]),
    "failed-timeout": ([], {12: ["FAILED"]}, [12]),
    "theft-alarm": ([], {13: ["EXECUTED"]}, []),
    "duplicate-delivery": ([], {14: ["EXECUTED"]}, [14]),
    "two-finals-first-wins": ([], {19: ["EXECUTED", "FAILED"]}, [19]),
    "invalid-body-not-json": ([0], {}, []),
    "invalid-batch-mixed": ([1, 2], {15: ["CREATED"], 16: [], 17: []}, []),
    "invalid-failed-without-reason": ([0], {18: []}, []),
}


def assert_parked(cloud: Cloud, event: dict[str, Any], want: list[int]) -> None:
    """Poison fails fast: the records at `want` are in the DLQ after ONE receive, with a reason."""
    parked = cloud.parked()
    assert sorted(m["Body"] for m in parked) == sorted(event["Records"][i]["body"] for i in want)
    for message in parked:
        attrs = {k: v["StringValue"] for k, v in message["MessageAttributes"].items()}
        assert attrs["error"] in ("ValidationError", "DecodeError") and len(attrs["reason"]) > 5
        assert attrs["sourceMessageId"] in {event["Records"][i]["messageId"] for i in want}


@pytest.mark.parametrize("path", event_files("persister"), ids=ids(event_files("persister")))
def test_persister(path: Path, cloud: Cloud) -> None:
    want_parked, want_history, want_released = PERSISTER[path.stem]
    event = load(path)
    # every APP event of the file holds its vehicle's lock, as the creation workflow left it
    locks = {}
    for record in event["Records"]:
        try:
            env = json.loads(record["body"])
        except ValueError:
            continue
        if env.get("source") == "APP" and "vin" in env:
            locks[env["eventId"]] = env["vin"]
            cloud.ddb.put_item(
                TableName=cloud.lock_table, Item={"vin": {"S": env["vin"]}, "eventId": {"S": env["eventId"]}}
            )
    before = int(time.time())
    result = persister(event, Context())
    assert result == {"batchItemFailures": []}
    assert_parked(cloud, event, want_parked)
    assert bool(want_parked) == ("invalid" in path.stem)
    for n, history in want_history.items():
        items = cloud.items(eid(n))
        assert "STATE" not in items
        hist = sorted((k, v) for k, v in items.items() if k.startswith("H#"))
        assert [v["status"]["S"] for _, v in hist] == history
        assert all(k == f"H#{int(v['updatedMs']['N']):013d}#{v['status']['S']}" for k, v in hist)
        assert all(
            before + 30 * DAY_S <= int(v["expiresAt"]["N"]) <= time.time() + 30 * DAY_S for _, v in hist
        )
    for event_id, vin in locks.items():
        lock = cloud.ddb.get_item(TableName=cloud.lock_table, Key={"vin": {"S": vin}}).get("Item")
        released = any(eid(n) == event_id for n in want_released)
        assert (lock is None) is released, (event_id, lock)


def test_persister_is_idempotent(cloud: Cloud) -> None:
    event = load(next(p for p in event_files("persister") if p.stem == "lifecycle-with-late-running"))
    assert persister(event, Context()) == {"batchItemFailures": []}
    first = cloud.items(eid(11))
    assert persister(event, Context()) == {"batchItemFailures": []}  # the whole batch redelivered
    assert cloud.items(eid(11)) == first


def test_persister_keeps_a_lock_held_by_another_event(cloud: Cloud) -> None:
    event = load(next(p for p in event_files("persister") if p.stem == "failed-timeout"))
    cloud.ddb.put_item(
        TableName=cloud.lock_table, Item={"vin": {"S": VIN_G1}, "eventId": {"S": "someone-else"}}
    )
    assert persister(event, Context()) == {"batchItemFailures": []}
    lock = cloud.ddb.get_item(TableName=cloud.lock_table, Key={"vin": {"S": VIN_G1}})["Item"]
    assert lock["eventId"]["S"] == "someone-else"


def test_poison_that_cannot_be_parked_is_left_for_the_redrive(
    cloud: Cloud, monkeypatch: pytest.MonkeyPatch
) -> None:
    event = load(next(p for p in event_files("persister") if p.stem == "invalid-body-not-json"))
    monkeypatch.setenv("DEAD_LETTER_QUEUE_URL", cloud.dlq_url + "-gone")
    assert failures(persister(event, Context()), event) == [0]  # SQS retries it, then its redrive policy


# ----------------------------------------------------------------------------------------- distributor
# file -> (failed indexes, pushes [(event n, result, reason)])
DISTRIBUTOR: dict[str, tuple[list[int], list[tuple[int, str, str | None]]]] = {
    "executed": ([], [(20, "EXECUTED", None)]),
    "failed-broker-unavailable": ([], [(21, "FAILED", "BROKER_UNAVAILABLE")]),
    "theft-alarm": ([], [(22, "EXECUTED", None)]),
    "duplicate-finals": ([], [(23, "EXECUTED", None)]),  # the second final and the duplicate: no push
    "invalid-not-an-envelope": ([0], []),
    "invalid-unknown-status": ([0], []),
}
# (the first element: the records parked in the DLQ on the first receive)


@pytest.mark.parametrize("path", event_files("distributor"), ids=ids(event_files("distributor")))
def test_distributor(
    path: Path, cloud: Cloud, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    want_parked, want_pushes = DISTRIBUTOR[path.stem]
    event = load(path)
    with FakeHttpServer() as subscriber:
        monkeypatch.setenv("SUBSCRIBER_URL", subscriber.url)
        result = distributor(event, Context())
    assert result == {"batchItemFailures": []}
    assert_parked(cloud, event, want_parked)
    pushed = subscriber.bodies
    assert [(p["notificationId"], p["result"], p.get("reason")) for p in pushed] == [
        (eid(n), r, reason) for n, r, reason in want_pushes
    ]
    emf = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    assert len(emf) == len(pushed)
    for push, doc in zip(pushed, emf, strict=True):
        env = parse_event(
            json.loads(
                next(
                    r["body"]
                    for r in event["Records"]
                    if json.loads(r["body"])["eventId"] == push["notificationId"]
                )
            )
        )
        assert push == {
            k: v
            for k, v in {
                "notificationId": env["eventId"],
                "vin": env["vin"],
                "service": env["serviceType"],
                "result": env["status"],
                "reason": env.get("failureReason"),
                "source": env["source"],
                "firstSeenMs": env["firstSeenMs"],
                "pushedMs": push["pushedMs"],
            }.items()
            if v is not None
        }
        assert doc["_aws"]["CloudWatchMetrics"] == [
            {
                "Namespace": "RemoteServices",
                "Dimensions": [["ServiceType", "Colour"]],
                "Metrics": [{"Name": "EndToEndLatency", "Unit": "Milliseconds"}],
            }
        ]
        assert doc["ServiceType"] == env["serviceType"] and doc["Colour"] == env["colour"]
        assert doc["EndToEndLatency"] == [float(push["pushedMs"] - env["firstSeenMs"])]
        assert "PUSH" in cloud.items(env["eventId"])


def test_distributor_releases_the_claim_when_the_push_fails(
    cloud: Cloud, monkeypatch: pytest.MonkeyPatch
) -> None:
    event = load(next(p for p in event_files("distributor") if p.stem == "executed"))
    with FakeHttpServer() as subscriber:
        monkeypatch.setenv("SUBSCRIBER_URL", subscriber.url)
        subscriber.default = 503
        assert failures(distributor(event, Context()), event) == [0]  # SQS will retry it (then the DLQ)
        assert len(subscriber.requests) == 3
        claim = cloud.items(eid(20))["PUSH"]
        assert claim["pushState"]["S"] == "CLAIMED" and claim["leaseUntilMs"]["N"] == "0"  # given back
        subscriber.default = 200
        assert distributor(event, Context()) == {"batchItemFailures": []}  # the retry pushes it at once
        assert [p["notificationId"] for p in subscriber.bodies] == [eid(20)]
        assert cloud.items(eid(20))["PUSH"]["pushState"]["S"] == "DONE"


def _claim(cloud: Cloud, event_id: str, state: str, lease_until_ms: int) -> None:
    """A PUSH item as a consumer leaves it (CLAIMED: it was killed between the claim and the answer)."""
    cloud.ddb.put_item(
        TableName=cloud.events_table,
        Item={
            "eventId": {"S": event_id},
            "sk": {"S": "PUSH"},
            "pushState": {"S": state},
            "claimId": {"S": "a-consumer-that-died"},
            "leaseUntilMs": {"N": str(lease_until_ms)},
        },
    )


def test_a_claim_outlives_its_consumer_only_until_its_lease_ends(
    cloud: Cloud, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Crash between claim and push: the redelivered record waits for the lease, then pushes (same id)."""
    event = load(next(p for p in event_files("distributor") if p.stem == "executed"))
    now = int(time.time() * 1000)
    with FakeHttpServer() as subscriber:
        monkeypatch.setenv("SUBSCRIBER_URL", subscriber.url)
        _claim(cloud, eid(20), "CLAIMED", now + 60_000)
        assert failures(distributor(event, Context()), event) == [0]  # live lease: retried later
        assert subscriber.bodies == [] and cloud.parked() == []
        _claim(cloud, eid(20), "CLAIMED", now - 1)  # the lease ran out
        assert distributor(event, Context()) == {"batchItemFailures": []}
        assert [p["notificationId"] for p in subscriber.bodies] == [eid(20)]
        push = cloud.items(eid(20))["PUSH"]
        assert push["pushState"]["S"] == "DONE" and push["attempts"]["N"] == "1"
        assert distributor(event, Context()) == {"batchItemFailures": []}  # a repeat: no second push
        assert len(subscriber.bodies) == 1


# ------------------------------------------------------------------------------------------- lifecycle
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


# ----------------------------------------------------------------------------------- vehicle_connector
# file -> (failed indexes, commands [(event n, generation)])
CONNECTOR: dict[str, tuple[list[int], list[tuple[int, str]]]] = {
    "g1-horn-blow": ([], [(50, "G1")]),
    "g2-climate-start": ([], [(51, "G2")]),
    "two-generations": ([], [(52, "G1"), (53, "G2")]),
    "invalid-not-enriched": ([0], []),
    "invalid-not-pending": ([0], []),
}


@pytest.mark.parametrize("path", event_files("vehicle_connector"), ids=ids(event_files("vehicle_connector")))
def test_vehicle_connector(path: Path, cloud: Cloud, monkeypatch: pytest.MonkeyPatch) -> None:
    want_parked, want = CONNECTOR[path.stem]
    event = load(path)
    with FakeHttpServer() as broker:
        monkeypatch.setenv("BROKER_URL", broker.url)
        result = connector(event, Context())
    assert result == {"batchItemFailures": []}
    assert_parked(cloud, event, want_parked)
    assert len(broker.bodies) == len(want)
    envelopes = {e["eventId"]: e for e in (json.loads(r["body"]) for r in event["Records"])}
    for body, (n, generation) in zip(broker.bodies, want, strict=True):
        command = decode_command(body["topic"], body["payload"])
        assert command["eventId"] == eid(n) and command["generation"] == generation
        source = envelopes[eid(n)]
        assert command["vin"] == source["vin"] and command["parameters"] == source["parameters"]
        assert body["correlationId"] == source["traceId"]
    assert cloud.drain(cloud.tap_url) == []  # nothing failed: nothing published


def test_vehicle_connector_publishes_broker_unavailable(
    cloud: Cloud, monkeypatch: pytest.MonkeyPatch
) -> None:
    event = load(next(p for p in event_files("vehicle_connector") if p.stem == "two-generations"))
    with FakeHttpServer() as broker:
        broker.default = 503
        monkeypatch.setenv("BROKER_URL", broker.url)
        assert connector(event, Context()) == {"batchItemFailures": []}  # handled: the event is final now
        assert len(broker.requests) == 6  # 3 attempts per command
        published = [json.loads(m["Body"]) for m in cloud.drain(cloud.tap_url)]
        assert sorted((p["eventId"], p["status"], p["failureReason"]) for p in published) == sorted(
            [(eid(52), "FAILED", "BROKER_UNAVAILABLE"), (eid(53), "FAILED", "BROKER_UNAVAILABLE")]
        )
        for p in published:
            state = cloud.items(p["eventId"])["STATE"]
            assert (state["status"]["S"], state["updatedMs"]["N"]) == ("FAILED", str(p["updatedMs"]))
        # redelivered after a crash between the STATE write and the publish: the same decision again,
        # and the command is not sent to the broker again
        assert connector(event, Context()) == {"batchItemFailures": []}
        assert len(broker.requests) == 6
        again = [json.loads(m["Body"]) for m in cloud.drain(cloud.tap_url)]
        assert sorted((p["eventId"], p["updatedMs"]) for p in again) == sorted(
            (p["eventId"], p["updatedMs"]) for p in published
        )


def test_vehicle_connector_does_not_send_a_command_that_already_ended(
    cloud: Cloud, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Timed out while it waited on the queue: the owner was told FAILED, so the car must not act."""
    event = load(next(p for p in event_files("vehicle_connector") if p.stem == "two-generations"))
    cloud.put_state(eid(52), "FAILED", failureReason="TIMEOUT")
    cloud.put_state(eid(53), "PENDING")
    with FakeHttpServer() as broker:
        monkeypatch.setenv("BROKER_URL", broker.url)
        assert connector(event, Context()) == {"batchItemFailures": []}
    assert [decode_command(b["topic"], b["payload"])["eventId"] for b in broker.bodies] == [eid(53)]
    assert cloud.drain(cloud.tap_url) == []


def test_broker_unavailable_does_not_override_the_vehicles_answer(
    cloud: Cloud, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The broker timed out but had delivered: the car's RUNNING is in STATE, so nothing is published."""
    event = load(next(p for p in event_files("vehicle_connector") if p.stem == "g1-horn-blow"))
    cloud.put_state(eid(50), "RUNNING")
    with FakeHttpServer() as broker:
        broker.default = 503
        monkeypatch.setenv("BROKER_URL", broker.url)
        assert connector(event, Context()) == {"batchItemFailures": []}
    assert cloud.drain(cloud.tap_url) == []
    assert cloud.items(eid(50))["STATE"]["status"]["S"] == "RUNNING"


# ------------------------------------------------------------------------------------------ disclosure
DISCLOSURE: dict[str, tuple[list[int], list[tuple[int, str, str]]]] = {
    "de-door-unlock-executed": ([], [(60, "DE", VIN_G2)]),
    "fr-theft-alarm": ([], [(61, "FR", VIN_FR)]),
    "invalid-body-not-json": ([0], []),
}


@pytest.mark.parametrize("path", event_files("disclosure"), ids=ids(event_files("disclosure")))
def test_disclosure(path: Path, cloud: Cloud, monkeypatch: pytest.MonkeyPatch) -> None:
    want_parked, want = DISCLOSURE[path.stem]
    event = load(path)
    with FakeHttpServer() as authority:
        monkeypatch.setenv("DISCLOSURE_URL", authority.url)
        result = disclosure(event, Context())
    assert result == {"batchItemFailures": []}
    assert_parked(cloud, event, want_parked)
    assert [(r["eventId"], r["country"], r["vin"]) for r in authority.bodies] == [
        (eid(n), c, v) for n, c, v in want
    ]
    for record in authority.bodies:
        assert record["recordId"] == f"{record['eventId']}#{record['status']}"


def test_disclosure_reports_a_failed_post(cloud: Cloud, monkeypatch: pytest.MonkeyPatch) -> None:
    event = load(next(p for p in event_files("disclosure") if p.stem == "fr-theft-alarm"))
    with FakeHttpServer() as authority:
        authority.default = 500
        monkeypatch.setenv("DISCLOSURE_URL", authority.url)
        assert failures(disclosure(event, Context()), event) == [0]
        assert len(authority.requests) == 3


def test_every_sample_has_an_expectation() -> None:
    for folder, table in (
        ("persister", PERSISTER),
        ("distributor", DISTRIBUTOR),
        ("lifecycle_scheduler", SCHEDULER),
        ("lifecycle_checker", CHECKER),
        ("vehicle_connector", CONNECTOR),
        ("disclosure", DISCLOSURE),
    ):
        assert sorted(f.stem for f in event_files(folder)) == sorted(table), folder
        for name, expectation in table.items():
            assert bool(expectation[0]) == ("invalid" in name), (folder, name)
