"""The lean client's HTTP/1.1 transport against raw local servers: framing, keep-alive, errors, TLS."""

from __future__ import annotations

from pathlib import Path

import pytest

from remote_services.aws import AwsError, Credentials, DynamoDB, Sns, Sqs
from tests.functional.aws.aws_fakes import RawServer, self_signed_tls

CREDS = Credentials("AKIDTEST", "secret")


def ddb(url: str, **kwargs: object) -> DynamoDB:
    return DynamoDB(
        region="eu-west-1",
        endpoint_url=url,
        credentials=CREDS,
        backoff_base=0.001,
        **kwargs,  # type: ignore[arg-type]
    )


def test_content_length_body_and_keep_alive() -> None:
    answer = (
        b"HTTP/1.1 200 OK\r\nContent-Type: application/x-amz-json-1.0\r\nContent-Length: 11\r\n\r\n"
        b'{"a": "b"}\n'
    )
    with RawServer([answer]) as server:
        client = ddb(server.url)
        assert client.call("GetItem", {}) == {"a": "b"}
        assert client.call("GetItem", {}) == {"a": "b"}
    assert server.connections == 1 and len(server.requests) == 2
    first = server.requests[0]
    assert first.startswith(b"POST / HTTP/1.1\r\n")
    assert f"Host: 127.0.0.1:{server.port}\r\n".encode() in first
    assert b"Content-Length: 2\r\n\r\n{}" in first


def test_chunked_body_with_extensions_and_trailers() -> None:
    answer = (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        b'5;ext=1\r\n{"k":\r\n'
        b'a\r\n "\xc3\xa9\xf0\x9f\x9a\x97"}\r\n'
        b"0\r\nX-Trailer: t\r\n\r\n"
    )
    with RawServer([answer]) as server:
        client = ddb(server.url)
        assert client.call("GetItem", {}) == {"k": "é🚗"}
        assert client.call("GetItem", {}) == {"k": "é🚗"}
    assert server.connections == 1


def test_body_to_the_end_of_the_connection_and_connection_close() -> None:
    to_close = b'HTTP/1.0 200 OK\r\n\r\n{"x": 1}'
    with RawServer([to_close], close_after=True) as server:
        client = ddb(server.url)
        assert client.call("GetItem", {}) == {"x": 1}
        assert client.call("GetItem", {}) == {"x": 1}
    assert server.connections == 2
    said_close = b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\n{}"
    with RawServer([said_close], close_after=True) as server:
        client = ddb(server.url, max_attempts=1)
        client.call("GetItem", {})
        client.call("GetItem", {})
        assert client.transport.connections_opened == 2


def test_interim_100_continue_is_skipped() -> None:
    answer = b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}"
    with RawServer([answer]) as server:
        assert ddb(server.url).call("GetItem", {}) == {}


@pytest.mark.parametrize(
    "answer",
    [
        b"HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\n{}",  # truncated body
        b"SSH-2.0-OpenSSH_9.2\r\n",  # not HTTP
        b"HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n{}",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    ],
    ids=["truncated", "not-http", "bad-length", "bad-chunk"],
)
def test_malformed_responses_are_retried_connection_errors(answer: bytes) -> None:
    with RawServer([answer], close_after=True) as server:
        with pytest.raises(AwsError) as info:
            ddb(server.url).call("GetItem", {})
        assert len(server.requests) == 3
    err = info.value
    assert err.code == "ConnectionError" and err.retryable and err.attempts == 3
    assert "bad response from" in str(err)


def test_https_with_a_trusted_certificate(tmp_path: Path) -> None:
    server_tls, client_tls = self_signed_tls(str(tmp_path))
    answer = b'HTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\n{"x": 2}'
    with RawServer([answer], tls=server_tls) as server:
        client = ddb(server.url, tls_context=client_tls)
        assert client.call("GetItem", {}) == {"x": 2}
        assert client.call("GetItem", {}) == {"x": 2}
        assert server.connections == 1
    assert server.requests[0].startswith(b"POST / HTTP/1.1\r\n")


def test_https_with_an_untrusted_certificate_is_not_retried(tmp_path: Path) -> None:
    server_tls, _ = self_signed_tls(str(tmp_path))
    with RawServer([b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}"], tls=server_tls) as server:
        with pytest.raises(AwsError) as info:
            ddb(server.url).call("GetItem", {})  # the default context does not trust it
        assert server.connections == 1
    assert info.value.code == "ConnectionError" and not info.value.retryable
    assert "CERTIFICATE_VERIFY_FAILED" in str(info.value)


def test_send_message_omits_delay_unless_given_and_checks_attribute_types() -> None:
    answer = b'HTTP/1.1 200 OK\r\nContent-Length: 17\r\n\r\n{"MessageId":"m"}'
    with RawServer([answer]) as server:
        sqs = Sqs(region="eu-west-1", endpoint_url=server.url, credentials=CREDS)
        assert sqs.send_message("http://q/1/q", "b") == "m"
        assert sqs.send_message("http://q/1/q", "b", delay_seconds=0) == "m"
        with pytest.raises(TypeError, match="SQS SendMessage: message attribute 'n' must be str"):
            sqs.send_message("http://q/1/q", "b", attributes={"n": 1})  # type: ignore[dict-item]
        sns = Sns(region="eu-west-1", endpoint_url=server.url, credentials=CREDS)
        with pytest.raises(TypeError, match="SNS Publish: message attribute 'final' must be str"):
            sns.publish("arn:aws:sns:eu-west-1:1:t", "m", {"final": True})  # type: ignore[dict-item]
    assert len(server.requests) == 2
    assert b'"DelaySeconds"' not in server.requests[0]
    assert server.requests[1].endswith(b'"DelaySeconds":0}')
