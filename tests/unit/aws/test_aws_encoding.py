"""URI encoding and endpoint parsing without urllib, checked against urllib itself."""

from __future__ import annotations

from urllib.parse import quote, urlsplit

import pytest

from remote_services.aws.config import Endpoint
from remote_services.aws.sigv4 import form_encode, host_header, uri_encode

SAMPLES = [
    "",
    "plain-Text_1.2~3",
    "a b/c+d=e&f?g#h%i",
    "Grüße 🚗 ÄÖÜ ß",
    '{"eventId": "8b0c", "status": "EXECUTED", "n": [1, 2]}',
    "arn:aws:sns:eu-central-1:123456789012:events",
    "".join(chr(c) for c in range(0, 256)),
    "\u2028\u0000\ufeff",
]


@pytest.mark.parametrize("text", SAMPLES)
def test_uri_encode_matches_urllib_quote(text: str) -> None:
    assert uri_encode(text) == quote(text, safe="-_.~")
    assert uri_encode(text, keep_slash=True) == quote(text, safe="/-_.~")


def test_form_encode() -> None:
    assert (
        form_encode([("Action", "Publish"), ("Message", "a b&c=é")])
        == "Action=Publish&Message=a%20b%26c%3D%C3%A9"
    )


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:4566",
        "http://127.0.0.1:4566/",
        "https://dynamodb.eu-central-1.amazonaws.com",
        "HTTPS://SQS.Example.COM:8443/base/path?x=1#frag",
        "http://localhost/base",
        "http://[::1]:8000/x",
        "https://[fd00::1]",
        "http://host?x=1",
    ],
)
def test_endpoint_parsing_matches_urlsplit(url: str) -> None:
    ep = Endpoint(url)
    parts = urlsplit(url)
    assert ep.scheme == parts.scheme.lower()
    assert ep.host == parts.hostname
    assert ep.port == (parts.port or (443 if ep.scheme == "https" else 80))
    assert ep.path == (parts.path or "/")


@pytest.mark.parametrize(
    "url",
    ["ftp://host", "host:4566", "http://", "http://user:pw@host", "http://host:port", "http://[::1]x", ""],
)
def test_bad_endpoints_are_rejected(url: str) -> None:
    with pytest.raises(ValueError, match="endpoint URL must be"):
        Endpoint(url)


def test_host_header_brackets_ipv6() -> None:
    assert host_header("::1", 8000, "http") == "[::1]:8000"
    assert host_header("fd00::1", 443, "https") == "[fd00::1]"
