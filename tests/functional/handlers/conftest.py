"""Fixtures for the handler tests: a real moto server, per-test tables/queues/topic made with boto3, the
Lambda-like environment pointing at them, and a Lambda context object."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import boto3  # type: ignore[import-untyped, unused-ignore]
import pytest

from localcloud.aws.moto_server import MotoServer

REGION = "eu-central-1"
EVENTS_DIR = Path(__file__).resolve().parents[3] / "events"


def event_files(folder: str) -> list[Path]:
    """Every sample event of one function (the tests run the handler over each of them)."""
    files = sorted((EVENTS_DIR / folder).glob("*.json"))
    assert files, f"no sample events in events/{folder}"
    return files


def load(path: Path) -> Any:
    return json.loads(path.read_text())


class Context:
    """The Lambda context object, as the runtime passes it."""

    function_name = "rs-dev-blue-TestFunction"
    memory_limit_in_mb = 128
    invoked_function_arn = f"arn:aws:lambda:{REGION}:123456789012:function:rs-dev-blue-TestFunction"
    aws_request_id = "3c3a5a5e-7f0c-4a9e-9d44-0d3b2e1f0a11"

    def get_remaining_time_in_millis(self) -> int:
        return 30000


@pytest.fixture
def context() -> Context:
    return Context()


class Cloud:
    """The AWS resources one test uses (fresh names per test) and boto3 clients to inspect them."""

    def __init__(self, endpoint: str) -> None:
        kw: dict[str, Any] = {"region_name": REGION, "endpoint_url": endpoint}
        self.ddb = boto3.client("dynamodb", **kw)
        self.sqs = boto3.client("sqs", **kw)
        self.sns = boto3.client("sns", **kw)
        suffix = uuid.uuid4().hex[:8]
        self.events_table = f"events-{suffix}"
        self.lock_table = f"locks-{suffix}"
        self.ddb.create_table(
            TableName=self.events_table,
            BillingMode="PAY_PER_REQUEST",
            KeySchema=[
                {"AttributeName": "eventId", "KeyType": "HASH"},
                {"AttributeName": "sk", "KeyType": "RANGE"},
            ],
            AttributeDefinitions=[
                {"AttributeName": "eventId", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "S"},
            ],
        )
        self.ddb.create_table(
            TableName=self.lock_table,
            BillingMode="PAY_PER_REQUEST",
            KeySchema=[{"AttributeName": "vin", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "vin", "AttributeType": "S"}],
        )
        self.delay_queue_url = self.sqs.create_queue(QueueName=f"delay-{suffix}")["QueueUrl"]
        self.dlq_url = self.sqs.create_queue(QueueName=f"dlq-{suffix}")["QueueUrl"]
        self.outgoing_url = self.sqs.create_queue(QueueName=f"outgoing-{suffix}")["QueueUrl"]
        self.incoming_url = self.sqs.create_queue(QueueName=f"incoming-{suffix}")["QueueUrl"]
        self.topic_arn = self.sns.create_topic(Name=f"events-{suffix}")["TopicArn"]
        # a tap on the topic (raw delivery, like every subscription of the stack)
        self.tap_url = self.sqs.create_queue(QueueName=f"tap-{suffix}")["QueueUrl"]
        tap_arn = self.sqs.get_queue_attributes(QueueUrl=self.tap_url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        self.sns.subscribe(
            TopicArn=self.topic_arn,
            Protocol="sqs",
            Endpoint=tap_arn,
            Attributes={"RawMessageDelivery": "true"},
        )

    def env(self) -> dict[str, str]:
        return {
            "EVENTS_TABLE": self.events_table,
            "LOCK_TABLE": self.lock_table,
            "EVENTS_TOPIC_ARN": self.topic_arn,
            "LIFECYCLE_DELAY_QUEUE_URL": self.delay_queue_url,
            "DEAD_LETTER_QUEUE_URL": self.dlq_url,
            "SOURCE_QUEUE_URL": self.delay_queue_url,
            "LIFECYCLE_INPUT_QUEUE_URLS": f"{self.outgoing_url},{self.incoming_url}",
        }

    def parked(self) -> list[dict[str, Any]]:
        """The poison records the handler parked in its DLQ (body + reason attributes), drained."""
        return self.drain(self.dlq_url)

    def put_state(self, event_id: str, status: str, **extra: Any) -> None:
        """Seed a STATE item as the deciders write it (status + statusRank)."""
        ranks = {"CREATED": 0, "PENDING": 1, "RUNNING": 2, "EXECUTED": 3, "FAILED": 3}
        item = {"eventId": {"S": event_id}, "sk": {"S": "STATE"}, "status": {"S": status}}
        item["statusRank"] = {"N": str(ranks[status])}
        for key, value in extra.items():
            item[key] = {"N": str(value)} if isinstance(value, int) else {"S": str(value)}
        self.ddb.put_item(TableName=self.events_table, Item=item)

    def drain(self, queue_url: str) -> list[dict[str, Any]]:
        """Every visible message of a queue (with its message attributes), deleting them."""
        out: list[dict[str, Any]] = []
        while True:
            reply = self.sqs.receive_message(
                QueueUrl=queue_url, MaxNumberOfMessages=10, MessageAttributeNames=["All"], WaitTimeSeconds=0
            )
            messages = reply.get("Messages", [])
            if not messages:
                return out
            for message in messages:
                out.append(message)
                self.sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])

    def delayed(self, queue_url: str) -> int:
        attrs = self.sqs.get_queue_attributes(
            QueueUrl=queue_url, AttributeNames=["ApproximateNumberOfMessagesDelayed"]
        )
        return int(attrs["Attributes"]["ApproximateNumberOfMessagesDelayed"])

    def items(self, event_id: str) -> dict[str, dict[str, Any]]:
        """The events table's items of one event, by sort key."""
        reply = self.ddb.query(
            TableName=self.events_table,
            KeyConditionExpression="eventId = :e",
            ExpressionAttributeValues={":e": {"S": event_id}},
            ConsistentRead=True,
        )
        return {item["sk"]["S"]: item for item in reply["Items"]}


@pytest.fixture
def cloud(moto_server: MotoServer, monkeypatch: pytest.MonkeyPatch) -> Cloud:
    """Lambda-like environment (credentials with a session token, region, endpoint) + fresh resources."""
    for name in ("AWS_ENDPOINT_URL_DYNAMODB", "AWS_ENDPOINT_URL_SQS", "AWS_ENDPOINT_URL_SNS", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    for name, value in {
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing-token",
        "AWS_ENDPOINT_URL": moto_server.url,
        "POWERTOOLS_SERVICE_NAME": "remote-services",
        "POWERTOOLS_METRICS_NAMESPACE": "RemoteServices",
        "COLOUR": "blue",
        "ENVIRONMENT": "test",
    }.items():
        monkeypatch.setenv(name, value)
    cloud = Cloud(moto_server.url)
    for name, value in cloud.env().items():
        monkeypatch.setenv(name, value)
    return cloud


def ids(files: list[Path]) -> list[str]:
    return [f.stem for f in files]


def failures(result: Any, event: dict[str, Any]) -> list[int]:
    """The indexes of the records reported as failed."""
    failed = {f["itemIdentifier"] for f in result["batchItemFailures"]}
    return [i for i, r in enumerate(event["Records"]) if r["messageId"] in failed]


def bodies(messages: list[dict[str, Any]]) -> list[Any]:
    return [json.loads(m["Body"]) for m in messages]


def assert_parked(cloud: Cloud, event: dict[str, Any], want: list[int]) -> None:
    """Poison fails fast: the records at `want` are in the DLQ after ONE receive, with a reason."""
    parked = cloud.parked()
    assert sorted(m["Body"] for m in parked) == sorted(event["Records"][i]["body"] for i in want)
    for message in parked:
        attrs = {k: v["StringValue"] for k, v in message["MessageAttributes"].items()}
        assert attrs["error"] in ("ValidationError", "DecodeError") and len(attrs["reason"]) > 5
        assert attrs["sourceMessageId"] in {event["Records"][i]["messageId"] for i in want}
