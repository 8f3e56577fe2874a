"""Parsing AWS error responses (the JSON and XML that AWS sends) and resolving the environment."""

from __future__ import annotations

import json

import pytest

from remote_services.aws import AwsError, ConditionalCheckFailed, DynamoDB, Sns, Sqs, config
from remote_services.aws.errors import is_retryable, parse_json_error, parse_xml_error, xml_text


def test_dynamodb_conditional_check_failed() -> None:
    body = json.dumps(
        {
            "__type": "com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException",
            "message": "The conditional request failed",
            "Item": {"vin": {"S": "V1"}},
        }
    ).encode()
    err = parse_json_error("DynamoDB", "PutItem", 400, {"x-amzn-requestid": "RID1"}, body)
    assert isinstance(err, ConditionalCheckFailed)
    assert (err.code, err.message, err.status, err.request_id) == (
        "ConditionalCheckFailedException",
        "The conditional request failed",
        400,
        "RID1",
    )
    assert not err.retryable
    assert err.item == {"vin": {"S": "V1"}}
    assert str(err) == (
        "DynamoDB PutItem failed: ConditionalCheckFailedException: The conditional request failed "
        "(HTTP 400, request id RID1)"
    )


def test_transaction_canceled_keeps_the_reasons() -> None:
    body = json.dumps(
        {
            "__type": "com.amazonaws.dynamodb.v20120810#TransactionCanceledException",
            "Message": "Transaction cancelled, please refer cancellation reasons for specific reasons "
            "[None, ConditionalCheckFailed]",
            "CancellationReasons": [
                {"Code": "None"},
                {"Code": "ConditionalCheckFailed", "Message": "The conditional request failed"},
            ],
        }
    ).encode()
    err = parse_json_error("DynamoDB", "TransactWriteItems", 400, {}, body)
    assert type(err) is AwsError
    assert err.code == "TransactionCanceledException"
    assert [r["Code"] for r in err.cancellation_reasons] == ["None", "ConditionalCheckFailed"]
    assert not err.retryable


def test_sqs_query_error_header_wins() -> None:
    body = b'{"__type":"com.amazonaws.sqs#QueueDoesNotExist","message":"The specified queue does not exist."}'
    headers = {"x-amzn-query-error": "AWS.SimpleQueueService.NonExistentQueue;Sender"}
    err = parse_json_error("SQS", "SendMessage", 400, headers, body)
    assert err.code == "AWS.SimpleQueueService.NonExistentQueue"
    assert err.message == "The specified queue does not exist."


def test_json_throttling_and_5xx_are_retryable_4xx_are_not() -> None:
    throttled = b'{"__type":"com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException"}'
    assert parse_json_error("DynamoDB", "Query", 400, {}, throttled).retryable
    assert parse_json_error("DynamoDB", "Query", 400, {}, b'{"__type":"ThrottlingException"}').retryable
    assert parse_json_error("DynamoDB", "Query", 500, {}, b'{"__type":"InternalServerError"}').retryable
    validation = b'{"__type":"com.amazon.coral.validate#ValidationException","message":"bad"}'
    err = parse_json_error("DynamoDB", "Query", 400, {}, validation)
    assert (err.code, err.message, err.retryable) == ("ValidationException", "bad", False)


def test_error_type_header_and_non_json_body() -> None:
    err = parse_json_error(
        "DynamoDB", "Scan", 400, {"x-amzn-errortype": "AccessDeniedException:http://internal/"}, b""
    )
    assert err.code == "AccessDeniedException"
    gateway = parse_json_error("DynamoDB", "Scan", 502, {}, b"<html>Bad Gateway</html>")
    assert (gateway.code, gateway.message, gateway.retryable) == ("HTTP502", "<html>Bad Gateway</html>", True)


def test_query_protocol_xml_error() -> None:
    body = (
        b'<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><Error><Type>Sender</Type>'
        b"<Code>NotFound</Code><Message>Topic does not exist &amp; never did</Message></Error>"
        b"<RequestId>9b1f-xml</RequestId></ErrorResponse>"
    )
    err = parse_xml_error("SNS", "Publish", 404, {}, body)
    assert (err.code, err.message, err.request_id, err.retryable) == (
        "NotFound",
        "Topic does not exist & never did",
        "9b1f-xml",
        False,
    )
    throttled = (
        b"<ErrorResponse><Error><Code>Throttling</Code><Message>Rate exceeded</Message></Error>"
        b"</ErrorResponse>"
    )
    assert parse_xml_error("SNS", "Publish", 400, {}, throttled).retryable


def test_xml_text_handles_prefixes_attributes_cdata_and_entities() -> None:
    assert xml_text('<a:MessageId x="1">m&lt;1&#233;&#x41;</a:MessageId>', "MessageId") == "m<1éA"
    assert xml_text("<MessageId><![CDATA[a&b]]></MessageId>", "MessageId") == "a&b"
    assert xml_text("<Other>1</Other>", "MessageId") is None


def test_is_retryable() -> None:
    assert is_retryable("RequestLimitExceeded", 400)
    assert is_retryable("TooManyRequestsException", 429)
    assert is_retryable("KMS.ThrottlingException", 400)
    assert is_retryable("Anything", 503)
    assert not is_retryable("ConditionalCheckFailedException", 400)


def test_environment_resolution(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_SQS"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(AwsError, match="NoRegion"):
        config.region("SQS", "SendMessage")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    assert config.region("SQS", "SendMessage") == "eu-west-1"
    monkeypatch.setenv("AWS_REGION", "eu-central-1")
    assert config.region("SQS", "SendMessage") == "eu-central-1"
    assert config.endpoint("SQS", "sqs", "eu-central-1").url == "https://sqs.eu-central-1.amazonaws.com"
    assert config.endpoint("SQS", "sqs", "cn-north-1").url == "https://sqs.cn-north-1.amazonaws.com.cn"
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:4566")
    ep = config.endpoint("SQS", "sqs", "eu-central-1")
    assert (ep.scheme, ep.host, ep.port, ep.path) == ("http", "127.0.0.1", 4566, "/")
    monkeypatch.setenv("AWS_ENDPOINT_URL_SQS", "https://sqs.example:8443/base")
    ep = config.endpoint("SQS", "sqs", "eu-central-1")
    assert (ep.scheme, ep.host, ep.port, ep.path) == ("https", "sqs.example", 8443, "/base")
    assert config.endpoint("SNS", "sns", "eu-central-1").url == "http://127.0.0.1:4566"
    monkeypatch.setenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true")
    assert config.endpoint("SNS", "sns", "eu-central-1").url == "https://sns.eu-central-1.amazonaws.com"


def test_credentials_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID", raising=False)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "s")
    with pytest.raises(AwsError, match="NoCredentials"):
        config.credentials("DynamoDB", "GetItem")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKID")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "tok")
    creds = config.credentials("DynamoDB", "GetItem")
    assert (creds.access_key, creds.secret_key, creds.token) == ("AKID", "s", "tok")
    monkeypatch.delenv("AWS_SESSION_TOKEN")
    assert config.credentials("DynamoDB", "GetItem").token is None


def test_bad_endpoint_and_missing_config_are_clear_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKID")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "s")
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", "ftp://nowhere")
    with pytest.raises(AwsError) as info:
        DynamoDB().call("GetItem", {})
    assert info.value.code == "InvalidEndpoint" and "ftp://nowhere" in str(info.value)
    monkeypatch.delenv("AWS_REGION")
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    with pytest.raises(AwsError, match="SQS SendMessage failed: NoRegion"):
        Sqs().send_message("http://q", "body")
    with pytest.raises(AwsError, match="SNS Publish failed: NoRegion"):
        Sns().publish("arn:aws:sns:eu-west-1:1:t", "m", {})


def test_unserializable_request_is_a_type_error(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(TypeError, match="DynamoDB PutItem: request is not JSON-serializable"):
        DynamoDB(region="eu-west-1").call("PutItem", {"Item": object()})


def test_errors_survive_pickling() -> None:
    import pickle

    body = b'{"__type":"x#ConditionalCheckFailedException","message":"m","Item":{"k":{"S":"v"}}}'
    err = parse_json_error("DynamoDB", "PutItem", 400, {"x-amzn-requestid": "R"}, body)
    err.attempts = 2
    back = pickle.loads(pickle.dumps(err))
    assert type(back) is ConditionalCheckFailed
    assert (back.code, back.status, back.request_id, back.attempts, back.item) == (
        "ConditionalCheckFailedException",
        400,
        "R",
        2,
        {"k": {"S": "v"}},
    )
    assert str(back) == str(err)
