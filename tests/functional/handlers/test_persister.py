"""persister over every sample event of its folder: history items, lock release, poison parked.
The real path: the lean AWS client against a real moto server, real HTTP servers for the partners."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from functions.persister.app import handler as persister
from tests.functional.handlers.aws_events import VIN_G1, eid
from tests.functional.handlers.conftest import Cloud, Context, assert_parked, event_files, failures, ids, load

DAY_S = 86400


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


def test_every_sample_has_an_expectation() -> None:
    for folder, table in (
        ("persister", PERSISTER),
    ):
        assert sorted(f.stem for f in event_files(folder)) == sorted(table), folder
        for name, expectation in table.items():
            assert bool(expectation[0]) == ("invalid" in name), (folder, name)
