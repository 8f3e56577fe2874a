"""Faults of the event-creation workflow that the local cloud cannot provoke: a Lambda service
error (retried with backoff) and an unexpected function error (a clean 500, nothing half-done).
Bare moto server with the SFN interpreter, behind the harness front that answers Lambda Invoke
with the REAL validate/enrich handlers in-process (and injects the faults)."""

from __future__ import annotations

import importlib
import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from functions.enrich import app as enrich_app
from functions.validate import app as validate_app
from tests.functional.statemachines.harness import (
    ACCOUNT,
    REGION,
    ROOT,
    Front,
    Mailbox,
    local_cloud,
    run_execution,
    substitute,
)

boto3: Any = importlib.import_module("boto3")  # typed as Any: no stubs needed

VIN = "WVWZZZ1JZXW000001"
OWNER = "owner-sub"


class Context:
    """The Lambda context the handlers read (the in-process stand-in for the runtime's)."""

    function_name = "in-process"
    memory_limit_in_mb = 128
    invoked_function_arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:in-process"
    aws_request_id = "in-process"

    def get_remaining_time_in_millis(self) -> int:
        return 5000


class Stack:
    """The resources the creation workflow touches, created directly in moto."""

    def __init__(self, front: Front) -> None:
        kw: dict[str, Any] = {"region_name": REGION, "endpoint_url": f"http://127.0.0.1:{front.port}"}
        self.front = front
        sfx = uuid.uuid4().hex[:8]  # moto's backends are per process: every test gets its own names
        self.registry, self.lock, self.table = (f"registry-{sfx}", f"lock-{sfx}", f"events-{sfx}")
        self.sqs = boto3.client("sqs", **kw)
        sns = boto3.client("sns", **kw)
        ddb = boto3.client("dynamodb", **kw)
        self.ddb = ddb
        topic = sns.create_topic(Name=f"events-{sfx}")["TopicArn"]
        self.events = self.sqs.create_queue(QueueName=f"all-events-{sfx}")["QueueUrl"]
        self.outgoing = self.sqs.create_queue(QueueName=f"outgoing-{sfx}")["QueueUrl"]
        arn = self.sqs.get_queue_attributes(QueueUrl=self.events, AttributeNames=["QueueArn"])["Attributes"]
        sns.subscribe(
            TopicArn=topic,
            Protocol="sqs",
            Endpoint=arn["QueueArn"],
            Attributes={"RawMessageDelivery": "true"},
        )
        for table in (self.registry, self.lock):
            ddb.create_table(
                TableName=table,
                KeySchema=[{"AttributeName": "vin", "KeyType": "HASH"}],
                AttributeDefinitions=[{"AttributeName": "vin", "AttributeType": "S"}],
                BillingMode="PAY_PER_REQUEST",
            )
        ddb.create_table(
            TableName=self.table,
            KeySchema=[
                {"AttributeName": "eventId", "KeyType": "HASH"},
                {"AttributeName": "sk", "KeyType": "RANGE"},
            ],
            AttributeDefinitions=[
                {"AttributeName": "eventId", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "S"},
            ],
            BillingMode="PAY_PER_REQUEST",
        )
        ddb.put_item(
            TableName=self.registry,
            Item={
                "vin": {"S": VIN},
                "owner": {"S": OWNER},
                "generation": {"S": "G2"},
                "country": {"S": "DE"},
                "capabilities": {"SS": ["HORN_BLOW", "LIGHT_FLASH"]},
            },
        )
        fn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:"
        definition = substitute(
            ROOT / "statemachines" / "event_creation.asl.json",
            {
                "Colour": "blue",
                "EventsTopicArn": topic,
                "RegistryTableName": self.registry,
                "LockTableName": self.lock,
                "LockTtlSeconds": "900",
                "EventsTableName": self.table,
                "ValidateFunctionArn": fn + "validate",
                "EnrichFunctionArn": fn + "enrich",
                "OutgoingQueueUrl": self.outgoing,
            },
        )
        self.sfn = boto3.client("stepfunctions", **kw)
        self.machine = self.sfn.create_state_machine(
            name=f"event-creation-{sfx}",
            definition=definition,
            roleArn=f"arn:aws:iam::{ACCOUNT}:role/creation",
            type="EXPRESS",
        )["stateMachineArn"]
        front.functions["validate"] = lambda event: validate_app.handler(event, Context())
        front.functions["enrich"] = lambda event: enrich_app.handler(event, Context())

    def create(self, event_id: str = "") -> tuple[dict[str, Any], dict[str, Any]]:
        now_ms = int(time.time() * 1000)
        body = {
            "eventId": event_id or str(uuid.uuid4()), "vin": VIN, "serviceType": "HORN_BLOW",
            "parameters": {}, "owner": OWNER, "firstSeenMs": now_ms, "requestEpochS": now_ms // 1000,
            "eventTtlS": 86400, "traceId": "Root=1-t",
        }  # fmt: skip
        described = run_execution(self.sfn, self.machine, body)
        assert described["status"] == "SUCCEEDED", described
        output: dict[str, Any] = json.loads(described["output"])
        return body, output


@pytest.fixture
def stack(monkeypatch: pytest.MonkeyPatch) -> Iterator[Stack]:
    with local_cloud(monkeypatch) as front:
        yield Stack(front)


def test_a_lambda_service_error_is_retried(stack: Stack) -> None:
    stack.front.service_faults["validate"] = 1
    body, output = stack.create()
    assert output == {"statusCode": 202, "body": {"eventId": body["eventId"], "status": "PENDING"}}
    validate_calls = [e for name, e in stack.front.invocations if name == "validate"]
    assert len(validate_calls) == 2  # the failed call, then the retry
    assert len(Mailbox(stack.sqs).of_event(stack.outgoing, body["eventId"])) == 1


def test_an_unexpected_function_error_is_a_clean_500_with_nothing_half_done(stack: Stack) -> None:
    def broken_enrich(event: Any) -> Any:
        raise KeyError("registryItem")

    stack.front.functions["enrich"] = broken_enrich
    body, output = stack.create()
    assert output == {
        "statusCode": 500,
        "body": {"error": "INTERNAL", "message": "the request could not be processed, please retry"},
    }
    assert "Item" not in stack.ddb.get_item(TableName=stack.lock, Key={"vin": {"S": VIN}})
    assert Mailbox(stack.sqs).of_event(stack.outgoing, body["eventId"]) == []
    statuses = [m.body["status"] for m in Mailbox(stack.sqs).of_event(stack.events, body["eventId"])]
    assert statuses == []  # the checks run before CREATED: no event exists, the caller retries
    assert "Item" not in stack.ddb.get_item(
        TableName=stack.table, Key={"eventId": {"S": body["eventId"]}, "sk": {"S": "STATE"}}
    )


def test_an_event_the_lifecycle_already_timed_out_is_not_dispatched(stack: Stack) -> None:
    """The CREATED window passed before the workflow got to PENDING (the checker decided TIMEOUT):
    the workflow must not send the command or publish anything more; the caller gets a 500."""
    event_id = str(uuid.uuid4())
    stack.ddb.put_item(
        TableName=stack.table,
        Item={"eventId": {"S": event_id}, "sk": {"S": "STATE"}, "status": {"S": "FAILED"},
              "statusRank": {"N": "3"}, "failureReason": {"S": "TIMEOUT"}},
    )  # fmt: skip
    _, output = stack.create(event_id=event_id)
    assert output["statusCode"] == 500
    assert Mailbox(stack.sqs).of_event(stack.outgoing, event_id) == []
    statuses = [m.body["status"] for m in Mailbox(stack.sqs).of_event(stack.events, event_id)]
    assert statuses == ["CREATED"]
    assert "Item" not in stack.ddb.get_item(TableName=stack.lock, Key={"vin": {"S": VIN}})
