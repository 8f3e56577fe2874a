"""Retries, timeouts, keep-alive and reconnects of the lean AWS client, against real local HTTP servers."""

from __future__ import annotations

import datetime
import json

import botocore.auth  # type: ignore[import-untyped]
import pytest
from botocore.awsrequest import AWSRequest  # type: ignore[import-untyped]
from botocore.credentials import Credentials as BotoCredentials  # type: ignore[import-untyped]

from remote_services.aws import AwsError, ConditionalCheckFailed, Credentials, DynamoDB, Sns, Sqs
from tests.functional.aws.aws_fakes import Script, SilentServer, closed_port_url, scripted

CREDS = Credentials("AKIDTEST", "secret/key+x", "session-token-1")
OK_JSON: Script = (200, {"Content-Type": "application/x-amz-json-1.0", "x-amzn-RequestId": "R-OK"}, b"{}")
SNS_OK: Script = (
    200,
    {"Content-Type": "text/xml"},
    b'<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult>'
    b"<MessageId>mid-1</MessageId></PublishResult><ResponseMetadata><RequestId>r</RequestId>"
    b"</ResponseMetadata></PublishResponse>",
)


def json_error(status: int, type_: str, message: str = "boom") -> Script:
    body = json.dumps({"__type": type_, "message": message}).encode()
    return status, {"Content-Type": "application/x-amz-json-1.0", "x-amzn-RequestId": f"R-{status}"}, body


def ddb(url: str, **kwargs: float) -> DynamoDB:
    return DynamoDB(
        region="eu-west-1",
        endpoint_url=url,
        credentials=CREDS,
        backoff_base=0.001,
        **kwargs,  # type: ignore[arg-type]
    )


def test_throttling_then_success_is_retried() -> None:
    throttle = json_error(400, "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException")
    with scripted([throttle, OK_JSON]) as server:
        assert ddb(server.url).call("GetItem", {"TableName": "t"}) == {}
    assert len(server.requests) == 2
    assert [r.headers["x-amz-target"] for r in server.requests] == ["DynamoDB_20120810.GetItem"] * 2


def test_5xx_twice_then_success_uses_three_attempts() -> None:
    with scripted([json_error(500, "InternalServerError"), (503, {}, b"busy"), OK_JSON]) as server:
        assert ddb(server.url).call("Query", {"TableName": "t"}) == {}
    assert len(server.requests) == 3


def test_5xx_forever_gives_up_after_max_attempts_with_a_clear_error() -> None:
    server = scripted([json_error(500, "InternalServerError", "we are down")])
    with server, pytest.raises(AwsError) as info:
        ddb(server.url).call("Query", {"TableName": "t"})
    err = info.value
    assert len(server.requests) == 3
    assert (err.code, err.status, err.retryable, err.attempts, err.request_id) == (
        "InternalServerError",
        500,
        True,
        3,
        "R-500",
    )
    assert str(err) == "DynamoDB Query failed: InternalServerError: we are down (HTTP 500, request id R-500)"


def test_max_attempts_is_configurable() -> None:
    with scripted([json_error(400, "ThrottlingException")]) as server, pytest.raises(AwsError):
        ddb(server.url, max_attempts=5).call("Query", {})
    assert len(server.requests) == 5


@pytest.mark.parametrize(
    "type_",
    [
        "com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException",
        "com.amazon.coral.validate#ValidationException",
        "com.amazonaws.dynamodb.v20120810#ResourceNotFoundException",
    ],
)
def test_client_errors_are_never_retried(type_: str) -> None:
    with scripted([json_error(400, type_), OK_JSON]) as server, pytest.raises(AwsError) as info:
        ddb(server.url).call("PutItem", {"TableName": "t"})
    assert len(server.requests) == 1
    assert info.value.code == type_.rsplit("#", 1)[1]
    assert isinstance(info.value, ConditionalCheckFailed) == ("ConditionalCheck" in type_)
    assert not info.value.retryable and info.value.attempts == 1


def test_read_timeout_is_retried_then_reported() -> None:
    with SilentServer() as server:
        client = ddb(server.url, read_timeout=0.2, max_attempts=2)
        with pytest.raises(AwsError) as info:
            client.call("GetItem", {})
        assert server.connections == 2
    assert info.value.code == "Timeout" and info.value.retryable and info.value.status == 0
    assert "no answer from" in str(info.value) and "DynamoDB GetItem failed" in str(info.value)


def test_connection_refused_is_retried_then_reported() -> None:
    url = closed_port_url()
    with pytest.raises(AwsError) as info:
        ddb(url).call("GetItem", {})
    assert info.value.code == "ConnectionError" and info.value.attempts == 3
    assert url in str(info.value)


def test_one_kept_alive_connection_is_reused() -> None:
    with scripted([OK_JSON]) as server:
        client = ddb(server.url)
        for _ in range(3):
            client.call("GetItem", {})
        assert server.connections == 1
        assert client.transport.connections_opened == 1


def test_dropped_keep_alive_connection_reconnects_without_an_error() -> None:
    with scripted([OK_JSON], drop_connections=True) as server:
        client = ddb(server.url, max_attempts=1)
        for _ in range(3):
            assert client.call("GetItem", {}) == {}
        assert len(server.requests) == 3
        assert client.transport.connections_opened == 3


def test_sns_xml_throttling_is_retried_and_not_found_is_not() -> None:
    throttled: Script = (
        400,
        {},
        b"<ErrorResponse><Error><Code>Throttling</Code><Message>Rate</Message></Error></ErrorResponse>",
    )
    with scripted([throttled, SNS_OK]) as server:
        sns = Sns(region="eu-west-1", endpoint_url=server.url, credentials=CREDS, backoff_base=0.001)
        assert sns.publish("arn:aws:sns:eu-west-1:1:t", "m", {"status": "EXECUTED"}) == "mid-1"
    assert len(server.requests) == 2
    missing: Script = (
        404,
        {},
        b"<ErrorResponse><Error><Type>Sender</Type><Code>NotFound</Code><Message>Topic does not exist"
        b"</Message></Error><RequestId>rid-9</RequestId></ErrorResponse>",
    )
    with scripted([missing, SNS_OK]) as server:
        sns = Sns(region="eu-west-1", endpoint_url=server.url, credentials=CREDS, backoff_base=0.001)
        with pytest.raises(AwsError) as info:
            sns.publish("arn:aws:sns:eu-west-1:1:t", "m", {})
    assert len(server.requests) == 1
    assert (
        str(info.value) == "SNS Publish failed: NotFound: Topic does not exist (HTTP 404, request id rid-9)"
    )


def test_invalid_success_body_is_a_clear_error() -> None:
    with scripted([(200, {}, b"<html>not json</html>")]) as server, pytest.raises(AwsError) as info:
        ddb(server.url).call("GetItem", {})
    assert info.value.code == "InvalidResponse" and len(server.requests) == 1


def _botocore_authorization(recorded_headers: dict[str, str], body: bytes, url: str, service: str) -> str:
    """Re-sign what the server received with botocore, at the request's own X-Amz-Date."""
    stamp = datetime.datetime.strptime(recorded_headers["x-amz-date"], "%Y%m%dT%H%M%SZ")
    original = botocore.auth.get_current_datetime
    botocore.auth.get_current_datetime = lambda: stamp
    try:
        keep = {"content-type", "x-amz-target"}
        headers = {k: v for k, v in recorded_headers.items() if k in keep}
        request = AWSRequest(method="POST", url=url + "/", data=body, headers=headers)
        creds = BotoCredentials(CREDS.access_key, CREDS.secret_key, CREDS.token)
        botocore.auth.SigV4Auth(creds, service, "eu-west-1").add_auth(request)
        return str(request.headers["Authorization"])
    finally:
        botocore.auth.get_current_datetime = original


def test_requests_on_the_wire_are_signed_exactly_as_botocore_signs_them() -> None:
    sqs_ok: Script = (200, {}, b'{"MessageId":"m-1","MD5OfMessageBody":"x"}')
    with scripted([OK_JSON]) as server:
        ddb(server.url).call("PutItem", {"TableName": "t", "Item": {"k": {"S": "Grüße 🚗"}}})
        with scripted([sqs_ok]) as sqs_server:
            sqs = Sqs(region="eu-west-1", endpoint_url=sqs_server.url, credentials=CREDS)
            assert sqs.send_message("http://q/1/q", "héllo", delay_seconds=5, attributes={"a": "b"}) == "m-1"
        with scripted([SNS_OK]) as sns_server:
            sns = Sns(region="eu-west-1", endpoint_url=sns_server.url, credentials=CREDS)
            sns.publish(
                "arn:aws:sns:eu-west-1:1:t", '{"é": "🚗 & ="}', {"status": "EXECUTED", "final": "true"}
            )
    for srv, service in ((server, "dynamodb"), (sqs_server, "sqs"), (sns_server, "sns")):
        (req,) = srv.requests
        assert req.headers["x-amz-security-token"] == CREDS.token
        assert req.headers["authorization"] == _botocore_authorization(
            req.headers, req.body, srv.url, service
        )
    sqs_body = json.loads(sqs_server.requests[0].body)
    assert sqs_body == {
        "QueueUrl": "http://q/1/q",
        "MessageBody": "héllo",
        "DelaySeconds": 5,
        "MessageAttributes": {"a": {"DataType": "String", "StringValue": "b"}},
    }
    assert sqs_server.requests[0].headers["x-amz-target"] == "AmazonSQS.SendMessage"
    assert sns_server.requests[0].body.startswith(
        b"Action=Publish&Version=2010-03-31&TopicArn=arn%3Aaws%3Asns"
    )
    assert b"MessageAttributes.entry.2.Value.StringValue=true" in sns_server.requests[0].body


def test_backoff_is_full_jitter_capped_and_sleeps_between_attempts() -> None:
    with scripted([json_error(400, "ThrottlingException")]) as server:
        client = DynamoDB(
            region="eu-west-1",
            endpoint_url=server.url,
            credentials=CREDS,
            max_attempts=6,
            backoff_base=0.001,
            backoff_cap=0.004,
        )
        slept: list[float] = []
        client.sleep = slept.append
        with pytest.raises(AwsError):
            client.call("Query", {})
    assert len(server.requests) == 6
    assert len(slept) == 5  # between attempts, never after the last one
    for attempt, delay in enumerate(slept, start=1):
        assert 0.0 <= delay <= min(0.004, 0.001 * 2 ** (attempt - 1))


def test_a_client_made_early_follows_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    client = DynamoDB(backoff_base=0.001)  # as a handler module does at import time
    monkeypatch.setenv("AWS_REGION", "eu-west-3")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDENV")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secretenv")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "tokenenv")
    with scripted([OK_JSON]) as server:
        monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", server.url)
        monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # the service-specific one wins
        client.call("GetItem", {})
    (req,) = server.requests
    assert req.headers["x-amz-security-token"] == "tokenenv"
    assert req.headers["authorization"].startswith("AWS4-HMAC-SHA256 Credential=AKIDENV/")
    assert "/eu-west-3/dynamodb/aws4_request, SignedHeaders=" in req.headers["authorization"]
    assert req.headers["host"] == server.url.removeprefix("http://")
