"""The usage ledger (localcloud.usage): real boto3 calls through the AWS endpoint to moto, counted by
service and operation, with DynamoDB request units from item sizes and SQS empty receives."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from localcloud.usage.dynamodb_units import item_size, read_units, write_units
from localcloud.usage.ledger import Ledger
from tests.functional.localcloud.lc_support import ACCOUNT, Cloud

ROLE = f"arn:aws:iam::{ACCOUNT}:role/sfn"


@pytest.fixture
def ledger(cloud: Cloud) -> Iterator[Ledger]:
    recorder = Ledger(ignore_resources=["ignored-table"], ignore_operations=[("sqs", "GetQueueAttributes")])
    cloud.endpoint.on_call = recorder.record
    yield recorder
    cloud.endpoint.on_call = None


def test_calls_are_counted_with_their_units(cloud: Cloud, ledger: Ledger) -> None:
    ddb, sqs, sns = cloud.client("dynamodb"), cloud.client("sqs"), cloud.client("sns")
    for name in ("ledger-table", "ignored-table"):
        ddb.create_table(
            TableName=name,
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
    url = sqs.create_queue(QueueName="ledger-queue")["QueueUrl"]
    topic = sns.create_topic(Name="ledger-topic")["TopicArn"]
    ledger.reset()
    big = {"pk": {"S": "big"}, "blob": {"S": "x" * 3000}}  # 3 KB: 3 write units, 1 read unit
    ddb.put_item(TableName="ledger-table", Item=big)
    ddb.get_item(TableName="ledger-table", Key={"pk": {"S": "big"}}, ConsistentRead=True)
    ddb.get_item(TableName="ledger-table", Key={"pk": {"S": "big"}})  # eventually consistent: half
    ddb.put_item(TableName="ignored-table", Item={"pk": {"S": "a"}})
    sqs.send_message(QueueUrl=url, MessageBody="m")
    sqs.receive_message(QueueUrl=url, WaitTimeSeconds=0)
    sqs.receive_message(QueueUrl=url, WaitTimeSeconds=0)  # nothing left visible: an empty receive
    sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])
    sns.publish(TopicArn=topic, Message="hello")
    got = ledger.snapshot()
    assert got["calls"] == {
        "dynamodb": {"GetItem": 2, "PutItem": 1},
        "sns": {"Publish": 1},
        "sqs": {"ReceiveMessage": 2, "SendMessage": 1},
    }
    assert got["ignoredCalls"] == 2
    assert got["dynamodb"] == {"readUnits": 1.5, "writeUnits": 3.0}
    assert got["sqs"]["emptyReceives"] == 1 and got["sqs"]["receivedByQueue"] == {"ledger-queue": 1}


def test_item_sizes_follow_dynamodbs_rules() -> None:
    assert item_size({"pk": {"S": "abc"}}) == 5
    assert item_size({"n": {"N": "12345"}}) == 1 + 4  # 5 digits: 3 bytes + 1
    assert item_size({"m": {"M": {"a": {"BOOL": True}}}}) == 1 + 3 + 1 + 1 + 1
    assert write_units({"pk": {"S": "x" * 1025}}) == 2.0
    assert write_units({"pk": {"S": "x"}}, transactional=True) == 2.0
    assert read_units(4097, consistent=True) == 2.0 and read_units(10, consistent=False) == 0.5


def test_express_executions_are_counted_from_the_sync_answers(cloud: Cloud, ledger: Ledger) -> None:
    """ListExecutions does not list Express executions: their count and duration come from the
    StartSyncExecution answers (startDate, stopDate), billed in 100 ms steps."""
    sfn = cloud.client("stepfunctions", inject_host_prefix=False)
    definition = {"StartAt": "Wait", "States": {"Wait": {"Type": "Wait", "Seconds": 1, "End": True}}}
    arn = sfn.create_state_machine(
        name="ledger-express", roleArn=ROLE, type="EXPRESS", definition=json.dumps(definition)
    )["stateMachineArn"]
    ledger.reset()
    answers = [sfn.start_sync_execution(stateMachineArn=arn, input="{}") for _ in range(2)]
    states = ledger.snapshot()["states"]
    seconds = [(a["stopDate"] - a["startDate"]).total_seconds() for a in answers]
    assert states["expressExecutions"] == 2
    assert states["expressSeconds"] == pytest.approx(sum(seconds), abs=0.01)
    assert all(s >= 1.0 for s in seconds)
    assert states["expressBilled100ms"] >= 20
