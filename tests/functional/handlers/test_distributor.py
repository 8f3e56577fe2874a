"""distributor over every sample event: the two-phase push, one notificationId, the claim lease.
The real path: the lean AWS client against a real moto server, real HTTP servers for the partners."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from functions.distributor.app import handler as distributor
from remote_services.envelope import parse_event
from tests.functional.handlers.aws_events import eid
from tests.functional.handlers.conftest import Cloud, Context, assert_parked, event_files, failures, ids, load
from tests.support.http_fake import FakeHttpServer

DAY_S = 86400


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
    for push in pushed:
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
        docs = [d for d in emf if d["eventId"] == env["eventId"]]
        latency, *final = docs
        assert latency["_aws"]["CloudWatchMetrics"] == [
            {
                "Namespace": "RemoteServices",
                "Dimensions": [["Colour"], ["ServiceType", "Colour"]],
                "Metrics": [{"Name": "EndToEndLatency", "Unit": "Milliseconds"}],
            }
        ]
        assert latency["ServiceType"] == env["serviceType"] and latency["Colour"] == env["colour"]
        assert latency["EndToEndLatency"] == [float(push["pushedMs"] - env["firstSeenMs"])]
        if env["source"] == "VEHICLE":  # a theft alarm is no command: its latency only
            assert final == []
        else:
            (doc,) = final
            dimension_sets = doc["_aws"]["CloudWatchMetrics"][0]["Dimensions"]
            assert dimension_sets == [["Colour"], ["Colour", "Status", "Reason"]]
            reason = env.get("failureReason") or "NONE"
            assert (doc["Colour"], doc["Status"], doc["Reason"]) == (env["colour"], env["status"], reason)
            assert doc["CommandsFinal"] == [1.0]
            assert doc["CommandsTimedOut"] == [1.0 if reason == "TIMEOUT" else 0.0]
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


def test_every_sample_has_an_expectation() -> None:
    for folder, table in (
        ("distributor", DISTRIBUTOR),
    ):
        assert sorted(f.stem for f in event_files(folder)) == sorted(table), folder
        for name, expectation in table.items():
            assert bool(expectation[0]) == ("invalid" in name), (folder, name)
