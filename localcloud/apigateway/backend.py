"""Calls to integration backends: AWS actions (SigV4-signed, at the local AWS endpoint) and HTTP."""

from __future__ import annotations

import http.client
import os
import threading
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, field

from remote_services.aws.sigv4 import Credentials, amz_date, host_header, sign

# service (as in the integration uri) -> (X-Amz-Target prefix, JSON protocol version)
JSON_SERVICES: dict[str, tuple[str, str]] = {
    "states": ("AWSStepFunctions", "1.0"),
    "dynamodb": ("DynamoDB_20120810", "1.0"),
    "sqs": ("AmazonSQS", "1.0"),
    "kinesis": ("Kinesis_20131202", "1.1"),
    "events": ("AWSEvents", "1.1"),
    "logs": ("Logs_20140328", "1.1"),
    "firehose": ("Firehose_20150804", "1.1"),
}


class BackendUnreachable(Exception):
    """The integration endpoint did not answer (API Gateway: 504 / 502)."""

    def __init__(self, message: str, timed_out: bool = False) -> None:
        super().__init__(message)
        self.timed_out = timed_out


@dataclass
class BackendResponse:
    """What the integration answered."""

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""


def env_credentials() -> Credentials:
    """Credentials from the environment (moto accepts anything)."""
    return Credentials(
        os.environ.get("AWS_ACCESS_KEY_ID", "testing"),
        os.environ.get("AWS_SECRET_ACCESS_KEY", "testing"),
        os.environ.get("AWS_SESSION_TOKEN") or None,
    )


class HttpClient:
    """Keep-alive HTTP/1.1 connections, one per thread and origin."""

    def __init__(self) -> None:
        self._local = threading.local()

    def _connection(self, scheme: str, host: str, port: int, timeout: float) -> http.client.HTTPConnection:
        pool: dict[tuple[str, str, int], http.client.HTTPConnection] | None = getattr(
            self._local, "pool", None
        )
        if pool is None:
            pool = {}
            self._local.pool = pool
        key = (scheme, host, port)
        conn = pool.get(key)
        if conn is None:
            cls = http.client.HTTPSConnection if scheme == "https" else http.client.HTTPConnection
            conn = cls(host, port, timeout=timeout)
            pool[key] = conn
        conn.timeout = timeout
        if conn.sock is not None:
            conn.sock.settimeout(timeout)
        return conn

    def _drop(self, scheme: str, host: str, port: int) -> None:
        pool = getattr(self._local, "pool", {})
        conn = pool.pop((scheme, host, port), None)
        if conn is not None:
            conn.close()

    def request(
        self, method: str, url: str, body: bytes, headers: Mapping[str, str], timeout: float
    ) -> BackendResponse:
        parts = urllib.parse.urlsplit(url)
        scheme = parts.scheme or "http"
        host = parts.hostname or "127.0.0.1"
        port = parts.port or (443 if scheme == "https" else 80)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        for attempt in (1, 2):  # a kept-alive connection closed by the server: retry once on a new one
            conn = self._connection(scheme, host, port, timeout)
            try:
                conn.request(method, target, body=body, headers=dict(headers))
                resp = conn.getresponse()
                data = resp.read()
                out = BackendResponse(resp.status, {k: v for k, v in resp.getheaders()}, data)
                if resp.will_close:
                    self._drop(scheme, host, port)
                return out
            except TimeoutError as exc:
                self._drop(scheme, host, port)
                raise BackendUnreachable(
                    f"{method} {url}: timed out after {timeout} s", timed_out=True
                ) from exc
            except (ConnectionError, http.client.HTTPException, OSError) as exc:
                self._drop(scheme, host, port)
                if attempt == 2 or isinstance(exc, ConnectionRefusedError):
                    raise BackendUnreachable(f"{method} {url}: {exc}") from exc
        raise BackendUnreachable(f"{method} {url}: no answer")  # pragma: no cover - loop always returns


class AwsCaller:
    """Calls ``arn:aws:apigateway:{region}:{service}:action/X`` or ``...:path/Y`` at one endpoint."""

    def __init__(self, endpoint_url: str, region: str, http: HttpClient) -> None:
        self._endpoint = endpoint_url.rstrip("/")
        self._region = region
        self._http = http

    def call(
        self,
        uri: str,
        method: str,
        body: bytes,
        headers: Mapping[str, str],
        query: Mapping[str, str],
        timeout: float,
    ) -> BackendResponse:
        region, service, kind, rest = parse_aws_uri(uri, self._region)
        send_headers = dict(headers)
        params = dict(query)
        if kind == "action":
            path = "/"
            if service in JSON_SERVICES:
                prefix, version = JSON_SERVICES[service]
                send_headers.setdefault("X-Amz-Target", f"{prefix}.{rest}")
                send_headers.setdefault("Content-Type", f"application/x-amz-json-{version}")
            else:  # query protocol (sns, ...)
                params.setdefault("Action", rest)
                send_headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
        else:
            path = "/" + rest.lstrip("/")
            send_headers.setdefault("Content-Type", "application/json")
        base = urllib.parse.urlsplit(self._endpoint)
        send_headers["Host"] = host_header(
            base.hostname or "127.0.0.1", base.port or (443 if base.scheme == "https" else 80), base.scheme
        )
        quoted_path = urllib.parse.quote(path, safe="/~")
        signed = sign(
            method=method,
            path=quoted_path,
            query=list(params.items()),
            headers={
                k: v for k, v in send_headers.items() if k.lower() in ("host", "content-type", "x-amz-target")
            },
            body=body,
            credentials=env_credentials(),
            region=region,
            service=service,
            timestamp=amz_date(),
        )
        send_headers.update(signed)
        url = self._endpoint + quoted_path
        if params:
            url += "?" + urllib.parse.urlencode(params)
        return self._http.request(method, url, body, send_headers, timeout)


def parse_aws_uri(uri: str, default_region: str) -> tuple[str, str, str, str]:
    """``arn:aws:apigateway:us-east-1:states:action/StartSyncExecution`` ->
    ``("us-east-1", "states", "action", "StartSyncExecution")``. A ``sync-states`` style
    subdomain prefix (``{sub}.{service}``) keeps only the service."""
    parts = uri.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn" or parts[2] != "apigateway":
        raise ValueError(f"not an API Gateway AWS integration uri: {uri!r}")
    region = parts[3] or default_region
    service = parts[4].rsplit(".", 1)[-1]
    kind, _, rest = parts[5].partition("/")
    if kind not in ("action", "path") or not rest:
        raise ValueError(f"integration uri must end in action/<Action> or path/<path>: {uri!r}")
    return region, service, kind, rest
