"""The in-process moto cost patches (localcloud.moto_patches) keep moto's behaviour."""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError  # type: ignore[import-untyped, unused-ignore]

from tests.functional.localcloud.lc_support import Cloud


def _table(cloud: Cloud) -> str:
    ddb = cloud.client("dynamodb")
    name = f"patches-{uuid.uuid4().hex[:8]}"
    ddb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    return name


def test_one_update_expression_on_many_items_keeps_each_items_values(cloud: Cloud) -> None:
    ddb = cloud.client("dynamodb")
    table = _table(cloud)
    expression = "SET #s = :s, history = list_append(if_not_exists(history, :empty), :h) ADD version :one"
    for round_ in range(3):
        for item in ("a", "b"):
            ddb.update_item(
                TableName=table,
                Key={"pk": {"S": item}},
                UpdateExpression=expression,
                ExpressionAttributeNames={"#s": "status"},
                ExpressionAttributeValues={
                    ":s": {"S": f"{item}-{round_}"},
                    ":h": {"L": [{"S": f"{item}{round_}"}]},
                    ":empty": {"L": []},
                    ":one": {"N": "1"},
                },
            )
    for item in ("a", "b"):
        got = ddb.get_item(TableName=table, Key={"pk": {"S": item}})["Item"]
        assert got["status"] == {"S": f"{item}-2"}
        assert got["version"] == {"N": "3"}
        assert got["history"] == {"L": [{"S": f"{item}{r}"} for r in range(3)]}


def test_an_invalid_update_expression_is_refused_every_time(cloud: Cloud) -> None:
    ddb = cloud.client("dynamodb")
    table = _table(cloud)
    for _ in range(2):
        with pytest.raises(ClientError) as raised:
            ddb.update_item(
                TableName=table,
                Key={"pk": {"S": "x"}},
                UpdateExpression="SET = :v",
                ExpressionAttributeValues={":v": {"S": "v"}},
            )
        assert raised.value.response["Error"]["Code"] == "ValidationException"


def test_sqs_actions_and_attribute_counts_with_the_patches(cloud: Cloud) -> None:
    sqs = cloud.client("sqs")
    queue_url = sqs.create_queue(QueueName=f"patches-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    # actions found through the cached method names; the counts come from the patched clock
    sqs.send_message(QueueUrl=queue_url, MessageBody="one")
    sqs.send_message(QueueUrl=queue_url, MessageBody="two")
    attrs = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["ApproximateNumberOfMessages"])
    assert attrs["Attributes"]["ApproximateNumberOfMessages"] == "2"


def test_messages_past_their_retention_period_are_not_received(cloud: Cloud) -> None:
    sqs = cloud.client("sqs")
    queue_url = sqs.create_queue(
        QueueName=f"patches-{uuid.uuid4().hex[:8]}", Attributes={"MessageRetentionPeriod": "60"}
    )["QueueUrl"]
    sqs.send_message(QueueUrl=queue_url, MessageBody="kept")
    got = sqs.receive_message(QueueUrl=queue_url, WaitTimeSeconds=0, VisibilityTimeout=0)["Messages"]
    assert [m["Body"] for m in got] == ["kept"]
    # the shortest retention SQS accepts is 60 s: age the queue's message instead of waiting
    from moto.sqs.models import sqs_backends

    queue = sqs_backends["123456789012"]["us-east-1"].queues[queue_url.rsplit("/", 1)[1]]
    messages: list[Any] = list(queue._messages)
    for message in messages:
        message.sent_timestamp = int(time.time() * 1000) - 61_000
    assert sqs.receive_message(QueueUrl=queue_url, WaitTimeSeconds=0).get("Messages", []) == []


def test_a_query_on_the_tables_key_reads_its_partition_as_moto_does(cloud: Cloud) -> None:
    """The partition read (moto_speedups._partition_queries) answers as moto's full sort would: the
    hash key's items only, by range key, both directions, paginated, with key conditions."""
    from moto.dynamodb.models.table import Table

    assert "_partition_queries" in Table.query.__qualname__  # the patch is what answers here
    ddb = cloud.client("dynamodb")
    name = f"partitions-{uuid.uuid4().hex[:8]}"
    ddb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    for pk in ("a", "b", "c"):
        for sk in ("H#3", "STATE", "H#1", "PUSH", "H#2"):
            ddb.put_item(TableName=name, Item={"pk": {"S": pk}, "sk": {"S": sk}, "v": {"S": f"{pk}{sk}"}})

    def query(request: dict[str, Any]) -> list[str]:
        out: list[str] = []
        start = None
        while True:
            page = ddb.query(TableName=name, **request, **({"ExclusiveStartKey": start} if start else {}))
            out += [i["sk"]["S"] for i in page["Items"]]
            start = page.get("LastEvaluatedKey")
            if not start:
                return out

    b: dict[str, Any] = {"KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": {"S": "b"}}}
    assert query(b) == ["H#1", "H#2", "H#3", "PUSH", "STATE"]
    assert query({**b, "ScanIndexForward": False, "Limit": 2}) == ["STATE", "PUSH", "H#3", "H#2", "H#1"]
    history = {
        "KeyConditionExpression": "pk = :p AND begins_with(sk, :h)",
        "ExpressionAttributeValues": {":p": {"S": "b"}, ":h": {"S": "H#"}},
    }
    assert query(history) == ["H#1", "H#2", "H#3"]
    assert query({**b, "ExpressionAttributeValues": {":p": {"S": "nobody"}}}) == []
    assert ddb.scan(TableName=name)["Count"] == 15  # no empty partition was added by the read


def test_moto_keeps_no_copy_of_what_it_answers(cloud: Cloud) -> None:
    """moto kept every model instance it made (moto_speedups._untracked_models): every item copy a
    read answered with, every received message, for ever. The items in a table stay; copies go."""
    import gc

    from moto.dynamodb.models.dynamo_type import Item
    from moto.sqs.models import Message

    def alive(kind: type) -> int:
        gc.collect()
        return sum(1 for o in gc.get_objects() if type(o) is kind)

    ddb = cloud.client("dynamodb")
    table = _table(cloud)
    for k in range(20):
        ddb.put_item(TableName=table, Item={"pk": {"S": f"k{k}"}, "v": {"N": str(k)}})
    sqs = cloud.client("sqs")
    queue_url = sqs.create_queue(QueueName=f"patches-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    items_before, messages_before = alive(Item), alive(Message)
    for _ in range(10):  # each would have left 20 + 1 + 1 item copies and 1 message behind
        assert ddb.scan(TableName=table)["Count"] == 20
        ddb.get_item(TableName=table, Key={"pk": {"S": "k1"}})
        ddb.query(
            TableName=table, KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "k2"}}
        )
        sqs.send_message(QueueUrl=queue_url, MessageBody="m")
        for message in sqs.receive_message(QueueUrl=queue_url, WaitTimeSeconds=0)["Messages"]:
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
    assert alive(Item) - items_before < 20
    assert alive(Message) - messages_before < 5
    assert getattr(Item, "instances_tracked", []) == []


def test_a_topic_keeps_its_last_notifications_only_and_still_delivers_every_one(
    cloud: Cloud, monkeypatch: pytest.MonkeyPatch
) -> None:
    from moto.sns.models import sns_backends

    from localcloud.aws import moto_patches

    monkeypatch.setattr(moto_patches, "SENT_NOTIFICATIONS_KEPT", 3)
    sns, sqs = cloud.client("sns"), cloud.client("sqs")
    topic = sns.create_topic(Name=f"kept-{uuid.uuid4().hex[:8]}")["TopicArn"]
    queue = sqs.create_queue(QueueName=f"kept-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    attributes = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]
    raw = {"RawMessageDelivery": "true"}
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=attributes["QueueArn"], Attributes=raw)
    for n in range(5):
        sns.publish(TopicArn=topic, Message=f"m{n}")
    bodies: set[str] = set()
    for _ in range(10):
        got = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages", [])
        bodies |= {m["Body"] for m in got}
        if len(bodies) == 5:
            break
    assert bodies == {f"m{n}" for n in range(5)}  # every message delivered
    kept = sns_backends["123456789012"]["us-east-1"].topics[topic].sent_notifications
    assert [entry[1] for entry in kept] == ["m2", "m3", "m4"]  # moto's own list: the last 3
