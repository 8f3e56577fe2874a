"""SigV4 signatures compared byte-for-byte with botocore's SigV4Auth at a fixed timestamp."""

from __future__ import annotations

import datetime
from typing import Any

import botocore.auth  # type: ignore[import-untyped]
import pytest
from botocore.awsrequest import AWSRequest  # type: ignore[import-untyped]
from botocore.credentials import Credentials as BotoCredentials  # type: ignore[import-untyped]

from remote_services.aws import sigv4
from remote_services.aws.sigv4 import Credentials

FIXED = datetime.datetime(2026, 11, 24, 1, 2, 3)
TIMESTAMP = "20261124T010203Z"
TOKEN = "IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQ+token/with+slashes=="


@pytest.fixture(autouse=True)
def _fixed_botocore_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda: FIXED)


def botocore_headers(
    *,
    method: str,
    url: str,
    headers: dict[str, str],
    body: bytes,
    creds: Credentials,
    service: str,
    region: str,
    params: list[tuple[str, str]] | None = None,
) -> dict[str, str]:
    request = AWSRequest(method=method, url=url, data=body, headers=dict(headers), params=params or {})
    boto_creds = BotoCredentials(creds.access_key, creds.secret_key, creds.token)
    botocore.auth.SigV4Auth(boto_creds, service, region).add_auth(request)
    return dict(request.headers.items())


def ours(
    *,
    method: str,
    host: str,
    path: str,
    headers: dict[str, str],
    body: bytes,
    creds: Credentials,
    service: str,
    region: str,
    query: list[tuple[str, str]] | None = None,
) -> dict[str, str]:
    return sigv4.sign(
        method=method,
        path=path,
        query=query or [],
        headers={"Host": host, **headers},
        body=body,
        credentials=creds,
        region=region,
        service=service,
        timestamp=TIMESTAMP,
    )


CASES: list[dict[str, Any]] = [
    {
        "id": "dynamodb-putitem-no-token",
        "scheme": "https",
        "host": "dynamodb.us-east-1.amazonaws.com",
        "service": "dynamodb",
        "region": "us-east-1",
        "token": None,
        "headers": {
            "Content-Type": "application/x-amz-json-1.0",
            "X-Amz-Target": "DynamoDB_20120810.PutItem",
        },
        "body": b'{"TableName":"Events","Item":{"eventId":{"S":"e1"},"sk":{"S":"STATE"}}}',
    },
    {
        "id": "dynamodb-unicode-body-token",
        "scheme": "https",
        "host": "dynamodb.eu-central-1.amazonaws.com",
        "service": "dynamodb",
        "region": "eu-central-1",
        "token": TOKEN,
        "headers": {
            "Content-Type": "application/x-amz-json-1.0",
            "X-Amz-Target": "DynamoDB_20120810.GetItem",
        },
        "body": '{"TableName":"Fahrzeuge","Key":{"vin":{"S":"Grüße 🚗 ÄÖÜ ß"}}}'.encode(),
    },
    {
        "id": "sqs-json-local-port-token",
        "scheme": "http",
        "host": "127.0.0.1:4566",
        "service": "sqs",
        "region": "eu-west-1",
        "token": TOKEN,
        "headers": {"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "AmazonSQS.SendMessage"},
        "body": '{"QueueUrl":"http://127.0.0.1:4566/123456789012/q","MessageBody":"héllo"}'.encode(),
    },
    {
        "id": "sns-query-form-body",
        "scheme": "https",
        "host": "sns.us-west-2.amazonaws.com",
        "service": "sns",
        "region": "us-west-2",
        "token": TOKEN,
        "headers": {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
        "body": b"Action=Publish&Version=2010-03-31&TopicArn=arn%3Aaws%3Asns%3Aus-west-2%3A1%3At"
        b"&Message=%7B%22a%22%3A%22%C3%A9%22%7D&MessageAttributes.entry.1.Name=status",
    },
    {
        "id": "empty-body-whitespace-header",
        "scheme": "https",
        "host": "sqs.ap-southeast-2.amazonaws.com",
        "service": "sqs",
        "region": "ap-southeast-2",
        "token": None,
        "headers": {
            "Content-Type": "application/x-amz-json-1.0",
            "X-Amz-Target": "  AmazonSQS.ListQueues   x  ",
        },
        "body": b"",
    },
]


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_post_signature_matches_botocore(case: dict[str, Any]) -> None:
    creds = Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", case["token"])
    expected = botocore_headers(
        method="POST",
        url=f"{case['scheme']}://{case['host']}/",
        headers=case["headers"],
        body=case["body"],
        creds=creds,
        service=case["service"],
        region=case["region"],
    )
    got = ours(
        method="POST",
        host=case["host"],
        path="/",
        headers=case["headers"],
        body=case["body"],
        creds=creds,
        service=case["service"],
        region=case["region"],
    )
    assert got["Authorization"] == expected["Authorization"]
    assert got["X-Amz-Date"] == expected["X-Amz-Date"] == TIMESTAMP
    assert got.get("X-Amz-Security-Token") == expected.get("X-Amz-Security-Token") == case["token"]
    signed = "content-type;host;x-amz-date" + (";x-amz-security-token" if case["token"] else "")
    signed += ";x-amz-target" if "X-Amz-Target" in case["headers"] else ""
    assert f"SignedHeaders={signed}," in got["Authorization"]


@pytest.mark.parametrize("token", [None, TOKEN])
def test_query_string_signature_matches_botocore(token: str | None) -> None:
    creds = Credentials("AKIDEXAMPLE", "secret/with+chars=", token)
    query = [
        ("Action", "ListTopics"),
        ("Version", "2010-03-31"),
        ("NextToken", "a b/c+d=é~"),
        ("A", "2"),
        ("A", "1"),
        ("Empty", ""),
    ]
    expected = botocore_headers(
        method="GET",
        url="https://sns.eu-west-1.amazonaws.com/",
        headers={},
        body=b"",
        creds=creds,
        service="sns",
        region="eu-west-1",
        params=query,
    )
    got = ours(
        method="GET",
        host="sns.eu-west-1.amazonaws.com",
        path="/",
        headers={},
        body=b"",
        creds=creds,
        service="sns",
        region="eu-west-1",
        query=query,
    )
    assert got["Authorization"] == expected["Authorization"]


def test_path_with_characters_to_encode_matches_botocore() -> None:
    creds = Credentials("AKIDEXAMPLE", "secret")
    expected = botocore_headers(
        method="POST",
        url="http://localhost:8000/base/queue%20name",
        headers={"Content-Type": "application/x-amz-json-1.0"},
        body=b"{}",
        creds=creds,
        service="dynamodb",
        region="us-east-1",
    )
    got = ours(
        method="POST",
        host="localhost:8000",
        path="/base/queue%20name",
        headers={"Content-Type": "application/x-amz-json-1.0"},
        body=b"{}",
        creds=creds,
        service="dynamodb",
        region="us-east-1",
    )
    assert got["Authorization"] == expected["Authorization"]


def test_signing_key_is_cached_per_day_and_matches_the_hmac_chain() -> None:
    sigv4._signing_keys.clear()
    key = sigv4.signing_key("secret", "20261124", "us-east-1", "sqs")
    assert sigv4.signing_key("secret", "20261124", "us-east-1", "sqs") is key
    assert sigv4.signing_key("secret", "20261125", "us-east-1", "sqs") != key
    assert len(sigv4._signing_keys) == 2


def test_host_header_drops_default_ports() -> None:
    assert sigv4.host_header("sqs.eu-west-1.amazonaws.com", 443, "https") == "sqs.eu-west-1.amazonaws.com"
    assert sigv4.host_header("localhost", 80, "http") == "localhost"
    assert sigv4.host_header("localhost", 443, "http") == "localhost:443"
    assert sigv4.host_header("127.0.0.1", 4566, "http") == "127.0.0.1:4566"


def test_amz_date_format() -> None:
    assert sigv4.amz_date(0) == "19700101T000000Z"
    assert sigv4.amz_date(1795482123) == TIMESTAMP


def test_credentials_repr_hides_secrets() -> None:
    text = repr(Credentials("AKID", "topsecret", "tok"))
    assert "topsecret" not in text and "tok'" not in text and "AKID" in text
