"""The lean AWS client against a real moto server; resources made and read back with boto3."""

from __future__ import annotations

import json
import uuid
from typing import Any

import boto3  # type: ignore[import-untyped]
import pytest

from remote_services.attribute_values import from_item, to_item
from remote_services.aws import AwsError, ConditionalCheckFailed, DynamoDB, Sns, Sqs


def _boto(service: str) -> Any:
    return boto3.client(service)


@pytest.fixture
def table(aws_env: str) -> str:
    name = f"Events-{uuid.uuid4().hex[:8]}"
    _boto("dynamodb").create_table(
        TableName=name,
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
    return name


def test_put_get_update_query(table: str) -> None:
    ddb = DynamoDB()
    state = {"eventId": "e1", "sk": "STATE", "status": "CREATED", "statusRank": 0, "owner": "Jürgen 🚗"}
    assert ddb.call("PutItem", {"TableName": table, "Item": to_item(state)}) == {}
    ddb.call(
        "PutItem", {"TableName": table, "Item": to_item({"eventId": "e1", "sk": "H#0000000000001#CREATED"})}
    )
    got = ddb.call("GetItem", {"TableName": table, "Key": to_item({"eventId": "e1", "sk": "STATE"})})
    assert from_item(got["Item"]) == state
    updated = ddb.call(
        "UpdateItem",
        {
            "TableName": table,
            "Key": to_item({"eventId": "e1", "sk": "STATE"}),
            "UpdateExpression": "SET #s = :s, statusRank = :r",
            "ConditionExpression": "statusRank < :r",
            "ExpressionAttributeNames": {"#s": "status"},
            "ExpressionAttributeValues": to_item({":s": "PENDING", ":r": 1}),
            "ReturnValues": "ALL_NEW",
        },
    )
    assert from_item(updated["Attributes"])["status"] == "PENDING"
    result = ddb.call(
        "Query",
        {
            "TableName": table,
            "KeyConditionExpression": "eventId = :e AND begins_with(sk, :h)",
            "ExpressionAttributeValues": to_item({":e": "e1", ":h": "H#"}),
        },
    )
    assert [from_item(i)["sk"] for i in result["Items"]] == ["H#0000000000001#CREATED"]
    # boto3 sees what the lean client wrote
    seen = _boto("dynamodb").get_item(TableName=table, Key={"eventId": {"S": "e1"}, "sk": {"S": "STATE"}})
    assert seen["Item"]["status"] == {"S": "PENDING"}


def test_conditional_check_failed(table: str) -> None:
    ddb = DynamoDB()
    item = to_item({"eventId": "e2", "sk": "PUSH"})
    request = {"TableName": table, "Item": item, "ConditionExpression": "attribute_not_exists(eventId)"}
    ddb.call("PutItem", request)
    with pytest.raises(ConditionalCheckFailed) as info:
        ddb.call("PutItem", request)
    err = info.value
    assert (err.service, err.code, err.status, err.retryable, err.attempts) == (
        "DynamoDB",
        "ConditionalCheckFailedException",
        400,
        False,
        1,
    )
    assert err.request_id
    assert str(err).startswith("DynamoDB PutItem failed: ConditionalCheckFailedException: ")


def test_transaction_canceled_exposes_reasons(table: str) -> None:
    ddb = DynamoDB()
    ddb.call(
        "PutItem", {"TableName": table, "Item": to_item({"eventId": "e3", "sk": "STATE", "statusRank": 3})}
    )
    transact = {
        "TransactItems": [
            {"Put": {"TableName": table, "Item": to_item({"eventId": "e3", "sk": "H#1#PENDING"})}},
            {
                "Update": {
                    "TableName": table,
                    "Key": to_item({"eventId": "e3", "sk": "STATE"}),
                    "UpdateExpression": "SET statusRank = :r",
                    "ConditionExpression": "statusRank < :r",
                    "ExpressionAttributeValues": to_item({":r": 1}),
                }
            },
        ]
    }
    with pytest.raises(AwsError) as info:
        ddb.call("TransactWriteItems", transact)
    err = info.value
    assert not isinstance(err, ConditionalCheckFailed)
    assert err.code == "TransactionCanceledException" and not err.retryable
    assert [r.get("Code") for r in err.cancellation_reasons] == ["None", "ConditionalCheckFailed"]
    # the whole transaction was rolled back; a valid one goes through
    missing = ddb.call(
        "GetItem", {"TableName": table, "Key": to_item({"eventId": "e3", "sk": "H#1#PENDING"})}
    )
    assert "Item" not in missing
    transact["TransactItems"][1]["Update"]["ExpressionAttributeValues"] = to_item({":r": 4})
    ddb.call("TransactWriteItems", transact)
    state = ddb.call("GetItem", {"TableName": table, "Key": to_item({"eventId": "e3", "sk": "STATE"})})
    assert from_item(state["Item"])["statusRank"] == 4


def test_unknown_table_is_a_clear_error(aws_env: str) -> None:
    with pytest.raises(AwsError) as info:
        DynamoDB().call("GetItem", {"TableName": "nope", "Key": to_item({"eventId": "x"})})
    assert info.value.code == "ResourceNotFoundException" and info.value.attempts == 1


def test_sqs_send_with_delay_and_attributes(aws_env: str) -> None:
    sqs = _boto("sqs")
    queue_url = sqs.create_queue(QueueName=f"lifecycle-delay-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    message_id = Sqs().send_message(
        queue_url, '{"dueMs": 1, "é": "🚗"}', delay_seconds=2, attributes={"kind": "lifecycle"}
    )
    assert message_id
    early = sqs.receive_message(QueueUrl=queue_url, WaitTimeSeconds=0)
    assert early.get("Messages", []) == []  # still delayed
    got = sqs.receive_message(QueueUrl=queue_url, WaitTimeSeconds=10, MessageAttributeNames=["All"])
    (msg,) = got["Messages"]
    assert msg["MessageId"] == message_id
    assert json.loads(msg["Body"]) == {"dueMs": 1, "é": "🚗"}
    assert msg["MessageAttributes"] == {"kind": {"DataType": "String", "StringValue": "lifecycle"}}


def test_sqs_unknown_queue_uses_the_query_error_code(aws_env: str) -> None:
    with pytest.raises(AwsError) as info:
        Sqs().send_message(f"{aws_env}/123456789012/does-not-exist", "x")
    assert info.value.code == "AWS.SimpleQueueService.NonExistentQueue"
    assert not info.value.retryable


def test_sns_publish_to_filtered_raw_sqs_subscription(aws_env: str) -> None:
    sns, sqs = _boto("sns"), _boto("sqs")
    topic_arn = sns.create_topic(Name=f"events-{uuid.uuid4().hex[:8]}")["TopicArn"]
    queue_url = sqs.create_queue(QueueName=f"distributor-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    sns.subscribe(
        TopicArn=topic_arn,
        Protocol="sqs",
        Endpoint=queue_arn,
        Attributes={"FilterPolicy": json.dumps({"final": ["true"]}), "RawMessageDelivery": "true"},
    )
    client = Sns()
    envelope = {"eventId": "e9", "status": "EXECUTED", "note": "Grüße & <tags> 🚗"}
    ignored = client.publish(
        topic_arn, json.dumps({"status": "PENDING"}), {"final": "false", "status": "PENDING"}
    )
    kept = client.publish(
        topic_arn, json.dumps(envelope), {"final": "true", "status": "EXECUTED", "serviceType": "HORN_BLOW"}
    )
    assert ignored and kept and ignored != kept
    got = sqs.receive_message(
        QueueUrl=queue_url, WaitTimeSeconds=5, MaxNumberOfMessages=10, MessageAttributeNames=["All"]
    )
    (msg,) = got["Messages"]
    assert json.loads(msg["Body"]) == envelope  # raw delivery: the body is the message itself
    assert msg["MessageAttributes"]["status"] == {"DataType": "String", "StringValue": "EXECUTED"}
    assert msg["MessageAttributes"]["serviceType"]["StringValue"] == "HORN_BLOW"


def test_sns_unknown_topic_is_a_clear_error(aws_env: str) -> None:
    with pytest.raises(AwsError) as info:
        Sns().publish("arn:aws:sns:eu-central-1:123456789012:missing", "m", {})
    assert info.value.code == "NotFound" and info.value.status == 404
    assert str(info.value).startswith("SNS Publish failed: NotFound: ")
