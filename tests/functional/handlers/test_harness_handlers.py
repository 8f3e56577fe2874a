"""The test harness's handlers over their sample events (events/broker_mock, subscription_mock,
harness_relay: the JSON AWS sends), against moto: what they answer and what they leave on the queues
and in the tables."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest

from functions.broker_mock.app import handler as broker_mock
from functions.harness_relay.app import handler as harness_relay
from functions.subscription_mock.app import handler as subscription_mock
from tests.functional.handlers.aws_events import ACCOUNT, REGION, VIN_G2, eid
from tests.functional.handlers.conftest import EVENTS_DIR, Cloud, Context, event_files, ids, load

BROKER = {  # sample -> (status, planned messages on the incoming queue)
    "publish-g2-horn-blow": (202, 2),
    "publish-g1-light-flash": (202, 2),
    "raise-theft-alarm": (202, 1),  # two alarms 1 s apart: the second is still delayed
    "publish-undecodable": (202, 0),
    "invalid-body-not-json": (400, 0),
    "invalid-missing-payload": (400, 0),
    "invalid-unknown-route": (404, 0),
}
SUBSCRIPTION = {
    "push-executed": 200,
    "get-pushes": 200,
    "get-stats": 200,
    "invalid-push-without-first-seen": 400,
    "invalid-pushes-without-id": 400,
}


@pytest.fixture
def harness(cloud: Cloud, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    suffix = uuid.uuid4().hex[:8]
    names = {"HARNESS_TABLE": f"harness-{suffix}", "PUSHES_TABLE": f"pushes-{suffix}"}
    cloud.ddb.create_table(
        TableName=names["HARNESS_TABLE"],
        BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "vin", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "vin", "AttributeType": "S"}],
    )
    cloud.ddb.create_table(
        TableName=names["PUSHES_TABLE"],
        BillingMode="PAY_PER_REQUEST",
        KeySchema=[
            {"AttributeName": "notificationId", "KeyType": "HASH"},
            {"AttributeName": "sk", "KeyType": "RANGE"},
        ],
        AttributeDefinitions=[
            {"AttributeName": "notificationId", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
    )
    names["HARNESS_DELAY_QUEUE_URL"] = cloud.sqs.create_queue(QueueName=f"hdelay-{suffix}")["QueueUrl"]
    names["INCOMING_QUEUE_URL"] = cloud.incoming_url
    for name, value in names.items():
        monkeypatch.setenv(name, value)
    return names


@pytest.mark.parametrize("path", event_files("broker_mock"), ids=ids(event_files("broker_mock")))
def test_broker_mock(path: Path, cloud: Cloud, harness: dict[str, str]) -> None:
    status, planned = BROKER[path.stem]
    answer = broker_mock(load(path), Context())
    assert answer["statusCode"] == status, answer
    assert ("invalid" in path.stem) == (status >= 400)
    messages = cloud.drain(cloud.incoming_url)
    assert len(messages) == planned
    for message in messages:
        assert set(json.loads(message["Body"])) == {"topic", "payload", "receivedMs"}


def test_broker_mock_follows_the_vins_behaviour(cloud: Cloud, harness: dict[str, str]) -> None:
    event = load(EVENTS_DIR / "broker_mock" / "publish-g2-horn-blow.json")
    behaviour = {"vehicle": {"done": {"delayMs": 2_000_000}}, "broker": {"mode": "error", "times": 1}}
    cloud.ddb.put_item(
        TableName=harness["HARNESS_TABLE"],
        Item={"vin": {"S": VIN_G2}, "caseId": {"S": "t"}, "behaviour": {"S": json.dumps(behaviour)}},
    )
    assert broker_mock(event, Context())["statusCode"] == 503  # the first call misbehaves
    assert broker_mock(event, Context())["statusCode"] == 202  # `times` used up
    assert len(cloud.drain(cloud.incoming_url)) == 1  # the ack; the done is due past 900 s:
    assert cloud.delayed(harness["HARNESS_DELAY_QUEUE_URL"]) == 1  # for 900 s, then the relay
    item = cloud.ddb.get_item(TableName=harness["HARNESS_TABLE"], Key={"vin": {"S": VIN_G2}})["Item"]
    assert item["brokerCalls"] == {"N": "2"}


def test_subscription_mock(cloud: Cloud, harness: dict[str, str]) -> None:
    files = {f.stem: f for f in event_files("subscription_mock")}
    assert set(files) == set(SUBSCRIPTION)
    for stem in ["push-executed", "push-executed", *sorted(set(files) - {"push-executed"})]:
        answer = subscription_mock(load(files[stem]), Context())
        assert answer["statusCode"] == SUBSCRIPTION[stem], (stem, answer)
        assert ("invalid" in stem) == (answer["statusCode"] >= 400)
    pushes = json.loads(subscription_mock(load(files["get-pushes"]), Context())["body"])["pushes"]
    assert len(pushes) == 2 and pushes[0]["body"]["notificationId"] == eid(72)
    stats = json.loads(subscription_mock(load(files["get-stats"]), Context())["body"])
    assert stats["count"] == 2 and stats["p50"] <= stats["p90"] <= stats["p99"] <= stats["max"]


def test_harness_relay(cloud: Cloud, harness: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    target = f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/rs-dev-blue-incoming"
    cloud.sqs.create_queue(QueueName="rs-dev-blue-incoming")
    monkeypatch.setenv("INCOMING_QUEUE_URL", target)
    event = load(event_files("harness_relay")[0])  # delayed-messages: both due long after T0 ... now
    result: Any = harness_relay(event, Context())
    assert result["batchItemFailures"] == []  # both overdue by now: sent on at once
    assert len(cloud.drain(cloud.sqs.get_queue_url(QueueName="rs-dev-blue-incoming")["QueueUrl"])) >= 2
    bad = load(event_files("harness_relay")[1])
    result = harness_relay(bad, Context())
    assert result["batchItemFailures"] == []  # poison is parked in the DLQ, not retried
    assert len(cloud.parked()) == 1


def _url_event(
    sample: Path, method: str, path: str, query: dict[str, str], body: Any = None
) -> dict[str, Any]:
    """The sample Function URL event with another route (and body)."""
    event: dict[str, Any] = load(sample)
    event["rawPath"] = event["requestContext"]["http"]["path"] = path
    event["requestContext"]["http"]["method"] = method
    event["requestContext"]["requestId"] = str(uuid.uuid4())
    event["queryStringParameters"] = query
    event["rawQueryString"] = "&".join(f"{k}={v}" for k, v in query.items())
    event["body"] = None if body is None else json.dumps(body)
    return event


def test_subscription_mock_records_disclosures_apart_from_pushes(
    cloud: Cloud, harness: dict[str, str]
) -> None:
    """The disclosure authority's stand-in (DISCLOSURE_URL under the harness): each record stored under
    its recordId, read back by recordId, never counted as a push."""
    sample = EVENTS_DIR / "subscription_mock" / "push-executed.json"
    record_id = f"{eid(5)}#EXECUTED"
    record = {"recordId": record_id, "eventId": eid(5), "status": "EXECUTED", "firstSeenMs": 1}
    for _ in range(2):  # a retried POST: recorded twice under the same recordId
        answer = subscription_mock(_url_event(sample, "POST", "/disclosure", {}, record), Context())
        assert answer["statusCode"] == 200, answer
    bad = subscription_mock(_url_event(sample, "POST", "/disclosure", {}, {"firstSeenMs": 1}), Context())
    assert bad["statusCode"] == 400
    get = _url_event(sample, "GET", "/disclosures", {"recordId": record_id})
    records = json.loads(subscription_mock(get, Context())["body"])["records"]
    assert [r["body"] for r in records] == [record, record]
    pushes = _url_event(sample, "GET", "/pushes", {"notificationId": record_id})
    assert json.loads(subscription_mock(pushes, Context())["body"])["pushes"] == []
    stats = _url_event(sample, "GET", "/stats", {"sinceMs": "0"})
    assert json.loads(subscription_mock(stats, Context())["body"])["count"] == 0
