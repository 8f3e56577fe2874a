"""Small HTTP helpers shared by the AWS endpoint, the moto proxy and the botocore hook.

Reply = (status, headers, body)       # what every handler of the endpoint answers
header(headers, "X-Amz-Target")       # a header's value, case-insensitive, or None
endpoint_failure(exc) -> Reply        # the 502 the endpoint answers when something behind it failed
HOP_BY_HOP                            # headers never forwarded
"""

from __future__ import annotations

import json

Reply = tuple[int, list[tuple[str, str]], bytes]

HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailers",
        "transfer-encoding",
        "upgrade",
        "expect",
        "content-length",
    }
)


def header(headers: list[tuple[str, str]], name: str) -> str | None:
    """The first value of header `name` (case-insensitive), or None."""
    wanted = name.lower()
    for key, value in headers:
        if key.lower() == wanted:
            return value
    return None


def endpoint_failure(exc: Exception) -> Reply:
    """The endpoint must answer, whatever failed behind it: a 502 with the exception."""
    message = json.dumps({"__type": "ServiceUnavailable", "message": f"local cloud front: {exc!r}"})
    return 502, [("Content-Type", "application/json")], message.encode()
