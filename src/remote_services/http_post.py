"""POST JSON to a partner endpoint (the broker, the push subscriber, the disclosure service) with a
per-attempt timeout and retries with exponential backoff and full jitter.

It goes over the same lean HTTP/1.1 transport as the AWS calls (`aws.transport`, on
`lambda_runtime.http11`): no `http.client`, whose imports (`email`, `ssl`) cost ~20-30 ms. The
connection is kept alive between invocations, one pool per timeout.
"""

from __future__ import annotations

import time

from lambda_runtime import jsonlite

from .aws.transport import Transport
from .backoff import full_jitter

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

_transports: dict[float, Transport] = {}

AWS_IAM = "AWS_IAM"  # `auth` of a Lambda Function URL with AuthType AWS_IAM: SigV4, service "lambda"


class PostError(Exception):
    """The POST did not succeed: after the last attempt, or at once for a non-retryable 4xx.

    `maybe_delivered`: an attempt went unanswered after it may have reached the server (a timeout,
    a reset: anything but a refused connection), so the server may have acted on it although we
    never heard back. A non-retryable 4xx refuses the request itself (the same body every attempt):
    not delivered. 5xx and 429 answers are refusals of that attempt.
    """

    def __init__(
        self,
        url: str,
        attempts: int,
        reason: str,
        status: int | None = None,
        maybe_delivered: bool = False,
    ) -> None:
        super().__init__(f"POST {url} failed after {attempts} attempt(s): {reason}")
        self.url, self.attempts, self.reason, self.status = url, attempts, reason, status
        self.maybe_delivered = maybe_delivered


def _transport(timeout_s: float) -> Transport:
    transport = _transports.get(timeout_s)
    if transport is None:
        transport = _transports[timeout_s] = Transport(connect_timeout=timeout_s, read_timeout=timeout_s)
    return transport


def post_json(
    url: str,
    body: Any,
    timeout_s: float = 1.0,
    attempts: int = 3,
    headers: Mapping[str, str] | None = None,
    backoff_s: float = 0.05,
    max_backoff_s: float = 1.0,
    auth: str | None = None,
) -> tuple[int, bytes]:
    """POST `body` as JSON; returns (status, response body) for a 2xx/3xx.

    `auth` "AWS_IAM" signs every attempt with SigV4 for service "lambda" (a Function URL with
    AuthType AWS_IAM), with the function's own credentials and region; None (or "") sends it unsigned.

    Each attempt is cut after `timeout_s` (connect, then each read). Connection errors, timeouts,
    429 and 5xx are retried up to `attempts` times in all; other 4xx fail at once. Raises PostError
    with the last reason, and `maybe_delivered` when an unanswered attempt may have been acted on.
    """
    import urllib.parse

    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise PostError(url, 0, "not an http(s) URL")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise PostError(url, 0, f"bad port: {exc}") from None
    host_header = parts.netloc.rpartition("@")[2]
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    data = jsonlite.dumps(body, separators=(",", ":")).encode("utf-8")
    all_headers = {"Host": host_header, "Content-Type": "application/json"}
    all_headers.update(headers or {})
    transport = _transport(timeout_s)
    reason, status, unanswered = "no attempt made", None, False
    for attempt in range(max(1, attempts)):
        if attempt:
            time.sleep(full_jitter(backoff_s, attempt, max_backoff_s))
        if auth:
            all_headers.update(_signed(auth, url, parts.path or "/", parts.query, all_headers, data))
        try:
            response = transport.request(parts.scheme, parts.hostname, port, "POST", path, all_headers, data)
        except OSError as exc:  # refused, reset, timeout, TLS, a malformed answer
            reason, status = f"{type(exc).__name__}: {exc}", None
            # only a refused connection proves the server never saw the request
            unanswered = unanswered or not isinstance(exc, ConnectionRefusedError)
            continue
        status = response.status
        if status < 400:
            return status, response.body
        reason = f"HTTP {status}: {response.body[:200].decode('utf-8', 'replace')}"
        if status != 429 and status < 500:
            raise PostError(url, attempt + 1, reason, status)
    raise PostError(url, max(1, attempts), reason, status, maybe_delivered=unanswered)


def _signed(
    auth: str, url: str, path: str, query: str, headers: Mapping[str, str], data: bytes
) -> dict[str, str]:
    """The SigV4 headers (X-Amz-Date, X-Amz-Security-Token, Authorization) for one attempt."""
    if auth != AWS_IAM:
        raise PostError(url, 0, f"unknown auth {auth!r} (only {AWS_IAM})")
    import urllib.parse

    from .aws import config
    from .aws.errors import AwsError
    from .aws.sigv4 import amz_date, sign

    try:
        region = config.region("Lambda", "InvokeFunctionUrl")
        credentials = config.credentials("Lambda", "InvokeFunctionUrl")
    except AwsError as exc:
        raise PostError(url, 0, f"cannot sign: {exc}") from None
    signed = {k: v for k, v in headers.items() if k.lower() in ("host", "content-type")}
    return sign(
        method="POST",
        path=path,
        query=urllib.parse.parse_qsl(query, keep_blank_values=True),
        headers=signed,
        body=data,
        credentials=credentials,
        region=region,
        service="lambda",
        timestamp=amz_date(),
    )
