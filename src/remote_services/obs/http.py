"""POST JSON with a per-attempt timeout and retries with exponential backoff and full jitter."""

from __future__ import annotations

import time

from lambda_runtime import jsonlite

from ..backoff import full_jitter

TYPE_CHECKING = False
if TYPE_CHECKING:
    import urllib.parse
    from collections.abc import Mapping
    from typing import Any

# http.client (with email and ssl) costs ~20-30 ms to import: it is imported at the first POST, not at INIT.


class PostError(Exception):
    """The POST did not succeed: after the last attempt, or at once for a non-retryable 4xx."""

    def __init__(self, url: str, attempts: int, reason: str, status: int | None = None) -> None:
        super().__init__(f"POST {url} failed after {attempts} attempt(s): {reason}")
        self.url, self.attempts, self.reason, self.status = url, attempts, reason, status


def _once(
    url: urllib.parse.SplitResult, data: bytes, headers: dict[str, str], timeout_s: float
) -> tuple[int, bytes]:
    import http.client

    conn_cls = http.client.HTTPSConnection if url.scheme == "https" else http.client.HTTPConnection
    conn = conn_cls(url.hostname or "", url.port, timeout=timeout_s)
    try:
        path = (url.path or "/") + (f"?{url.query}" if url.query else "")
        conn.request("POST", path, body=data, headers=headers)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def post_json(
    url: str,
    body: Any,
    timeout_s: float = 1.0,
    attempts: int = 3,
    headers: Mapping[str, str] | None = None,
    backoff_s: float = 0.05,
    max_backoff_s: float = 1.0,
) -> tuple[int, bytes]:
    """POST `body` as JSON; returns (status, response body) for a 2xx/3xx.

    Each attempt is cut after `timeout_s`. Connection errors, timeouts, 429 and 5xx are retried up to
    `attempts` times in all; other 4xx fail at once. Raises PostError with the last reason.
    """
    import http.client
    import urllib.parse

    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise PostError(url, 0, "not an http(s) URL")
    data = jsonlite.dumps(body, separators=(",", ":")).encode("utf-8")
    all_headers = {"Content-Type": "application/json", "Content-Length": str(len(data))}
    all_headers.update(headers or {})
    reason, status = "no attempt made", None
    for attempt in range(max(1, attempts)):
        if attempt:
            time.sleep(full_jitter(backoff_s, attempt, max_backoff_s))
        try:
            status, reply = _once(parts, data, all_headers, timeout_s)
        except (OSError, http.client.HTTPException) as exc:
            reason, status = f"{type(exc).__name__}: {exc}", None
            continue
        if status < 400:
            return status, reply
        reason = f"HTTP {status}: {reply[:200].decode('utf-8', 'replace')}"
        if status != 429 and status < 500:
            raise PostError(url, attempt + 1, reason, status)
    raise PostError(url, max(1, attempts), reason, status)
