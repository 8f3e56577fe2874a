"""vehicle_connector over every sample event: the command on the broker, BROKER_UNAVAILABLE, never
a command that ended.
The real path: the lean AWS client against a real moto server, real HTTP servers for the partners."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from functions.vehicle_connector.app import handler as connector
from remote_services.vehicles import decode_command
from tests.functional.handlers.aws_events import eid
from tests.functional.handlers.conftest import Cloud, Context, assert_parked, event_files, ids, load
from tests.support.http_fake import FakeHttpServer

DAY_S = 86400


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


def test_a_broker_that_does_not_answer_in_time_decides_nothing(
    cloud: Cloud, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every attempt timed out, but the broker took each one (it answers 202, too late): the car may
    execute the command, so BROKER_UNAVAILABLE would be a lie. Nothing is decided or published; the
    car's answer, or the lifecycle check's TIMEOUT, ends the event. (The 1,152-case matrix under load:
    FAILED/BROKER_UNAVAILABLE pushed, then the car's RUNNING and EXECUTED arrived as late reports.)"""
    import remote_services.outgoing as outgoing

    monkeypatch.setattr(outgoing, "BROKER_TIMEOUT_S", 0.2)
    event = load(next(p for p in event_files("vehicle_connector") if p.stem == "g1-horn-blow"))
    cloud.put_state(eid(50), "PENDING")
    with FakeHttpServer() as broker:
        broker.default = ("sleep", 0.5)
        monkeypatch.setenv("BROKER_URL", broker.url)
        assert connector(event, Context()) == {"batchItemFailures": []}
        assert len(broker.requests) == 3
    assert cloud.drain(cloud.tap_url) == []
    assert cloud.items(eid(50))["STATE"]["status"]["S"] == "PENDING"


def test_every_sample_has_an_expectation() -> None:
    for folder, table in (
        ("vehicle_connector", CONNECTOR),
    ):
        assert sorted(f.stem for f in event_files(folder)) == sorted(table), folder
        for name, expectation in table.items():
            assert bool(expectation[0]) == ("invalid" in name), (folder, name)
