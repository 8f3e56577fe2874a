"""Lambda Function URLs, served locally: one HTTP server per ``AWS::Lambda::Url`` (its own port, as
each Function URL has its own host name), which turns the request into the payload format 2.0 event,
invokes the function through the function host and returns its answer as Lambda does.

    front = FunctionUrlServer(host, "remote-services-broker-mock", "AWS_IAM", region, secrets).start()
    front.url                                  # http://127.0.0.1:<port>/
    verify_sigv4(method, path, query, headers, body, secrets, region) -> None | the reason it fails

``AWS_IAM``: the request must carry a valid SigV4 signature for service ``lambda`` and the region,
by an access key the local cloud knows (`secrets`: the function host's, the local boto3 clients'),
within 15 minutes of now; else 403 as Lambda answers it. Not emulated (docs/local-cloud.md): the
caller's IAM policy (``lambda:InvokeFunctionUrl``) is not evaluated, CORS, streaming responses.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import socket
import threading
import urllib.parse
import uuid
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from localcloud.aws.http_common import HOP_BY_HOP, Reply
from localcloud.lambda_host import FunctionHost, FunctionNotFound, TooManyRequests
from remote_services.aws.sigv4 import ALGORITHM, Credentials, sign

MAX_SKEW_S = 15 * 60
_TEXT_TYPES = ("text/", "application/json", "application/xml", "application/javascript")


def verify_sigv4(
    method: str,
    path: str,
    query: str,
    headers: Mapping[str, str],
    body: bytes,
    secrets: Mapping[str, str],
    region: str,
    now: dt.datetime | None = None,
) -> str | None:
    """None if the request is SigV4-signed for service "lambda" in `region` by a known key, else why not.
    `headers` are the request's, names in any case."""
    lower = {k.lower(): v for k, v in headers.items()}
    auth = lower.get("authorization", "")
    if not auth.startswith(ALGORITHM + " "):
        return "missing Authentication Token"
    fields = dict(part.strip().split("=", 1) for part in auth[len(ALGORITHM) + 1 :].split(",") if "=" in part)
    try:
        access_key, date, scope_region, service, terminator = fields["Credential"].split("/")
        signed_headers = fields["SignedHeaders"].split(";")
        signature = fields["Signature"]
    except (KeyError, ValueError):
        return "malformed Authorization header"
    if service != "lambda" or scope_region != region or terminator != "aws4_request":
        return f"credential scope {date}/{scope_region}/{service} is not {region}/lambda"
    secret = secrets.get(access_key)
    if secret is None:
        return "The security token included in the request is invalid."
    timestamp = lower.get("x-amz-date", "")
    try:
        when = dt.datetime.strptime(timestamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.UTC)
    except ValueError:
        return "missing or malformed X-Amz-Date"
    if abs(((now or dt.datetime.now(dt.UTC)) - when).total_seconds()) > MAX_SKEW_S or date != timestamp[:8]:
        return "Signature expired"
    if "host" not in signed_headers:
        return "the Host header must be signed"
    to_sign = {
        name: lower.get(name, "")
        for name in signed_headers
        if name not in ("x-amz-date", "x-amz-security-token")
    }
    expected = sign(
        method=method,
        path=path,
        query=urllib.parse.parse_qsl(query, keep_blank_values=True),
        headers=to_sign,
        body=body,
        credentials=Credentials(access_key, secret, lower.get("x-amz-security-token")),
        region=region,
        service="lambda",
        timestamp=timestamp,
    )["Authorization"]
    if not expected.endswith(f"Signature={signature}"):
        return "The request signature we calculated does not match the signature you provided."
    return None


def url_event(
    method: str,
    target: str,
    headers: list[tuple[str, str]],
    body: bytes,
    *,
    url_id: str,
    region: str,
    account_id: str,
    source_ip: str,
    access_key: str | None,
) -> dict[str, Any]:
    """The payload format 2.0 event Lambda sends for one Function URL request."""
    parts = urllib.parse.urlsplit(target)
    merged: dict[str, str] = {}
    cookies: list[str] = []
    for name, value in headers:
        key = name.lower()
        if key == "cookie":
            cookies.extend(c.strip() for c in value.split(";") if c.strip())
        elif key not in HOP_BY_HOP or key == "content-length":
            merged[key] = f"{merged[key]},{value}" if key in merged else value
    query: dict[str, str] = {}
    for key, value in urllib.parse.parse_qsl(parts.query, keep_blank_values=True):
        query[key] = f"{query[key]},{value}" if key in query else value
    now = dt.datetime.now(dt.UTC)
    content_type = merged.get("content-type", "")
    is_text = not body or content_type.startswith(_TEXT_TYPES)
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": parts.path or "/",
        "rawQueryString": parts.query,
        "headers": merged,
        "requestContext": {
            "accountId": account_id if access_key else "anonymous",
            "apiId": url_id,
            "domainName": f"{url_id}.lambda-url.{region}.on.aws",
            "domainPrefix": url_id,
            "http": {
                "method": method,
                "path": parts.path or "/",
                "protocol": "HTTP/1.1",
                "sourceIp": source_ip,
                "userAgent": merged.get("user-agent", ""),
            },
            "requestId": str(uuid.uuid4()),
            "routeKey": "$default",
            "stage": "$default",
            "time": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "timeEpoch": int(now.timestamp() * 1000),
        },
        "isBase64Encoded": not is_text,
    }
    if access_key:
        event["requestContext"]["authorizer"] = {
            "iam": {
                "accessKey": access_key,
                "accountId": account_id,
                "callerId": f"AROALOCALCLOUD:{access_key}",
                "userArn": f"arn:aws:sts::{account_id}:assumed-role/localcloud/{access_key}",
                "userId": f"AROALOCALCLOUD:{access_key}",
            }
        }
    if cookies:
        event["cookies"] = cookies
    if query:
        event["queryStringParameters"] = query
    if body:
        event["body"] = body.decode("utf-8") if is_text else base64.b64encode(body).decode("ascii")
    return event


def url_response(payload: bytes) -> Reply:
    """The function's answer as Lambda turns it into HTTP: a {"statusCode", ...} object, or any other
    JSON value as a 200 application/json body."""
    try:
        result = json.loads(payload) if payload else None
    except ValueError:
        return 200, [("Content-Type", "application/json")], payload
    if not isinstance(result, dict) or "statusCode" not in result:
        return 200, [("Content-Type", "application/json")], json.dumps(result).encode()
    headers = [(str(k), str(v)) for k, v in (result.get("headers") or {}).items()]
    headers += [("Set-Cookie", str(c)) for c in result.get("cookies") or []]
    raw = result.get("body")
    data = b"" if raw is None else str(raw).encode("utf-8")
    if result.get("isBase64Encoded") and raw is not None:
        data = base64.b64decode(str(raw))
    if not any(k.lower() == "content-type" for k, _ in headers):
        headers.append(("Content-Type", "application/json"))
    return int(result["statusCode"]), headers, data


def _error(status: int, message: str) -> Reply:
    return status, [("Content-Type", "application/json")], json.dumps({"Message": message}).encode()


class _UrlHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    front: FunctionUrlServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that went away mid-request: nothing to report."""


class _UrlHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _UrlHTTPServer

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _any(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        status, headers, data = self.server.front.handle(
            self.command, self.path, list(self.headers.items()), body, self.client_address[0]
        )
        self.send_response(status)
        for name, value in headers:
            if name.lower() not in HOP_BY_HOP:
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _any


class FunctionUrlServer:
    """One Function URL of one function, at http://127.0.0.1:<port>/ (see the module docstring)."""

    def __init__(
        self,
        host: FunctionHost,
        function_name: str,
        auth_type: str,
        region: str,
        secrets: Mapping[str, str],
        account_id: str = "123456789012",
        bind: str = "127.0.0.1",
    ) -> None:
        self.host, self.function_name, self.auth_type = host, function_name, auth_type
        self.region, self.secrets, self.account_id = region, dict(secrets), account_id
        self.url_id = uuid.uuid5(uuid.NAMESPACE_URL, function_name).hex
        self._server = _UrlHTTPServer((bind, 0), _UrlHandler)
        self._server.front = self
        self._thread: threading.Thread | None = None
        self.url = f"http://{bind}:{self._server.server_address[1]}/"

    def start(self) -> FunctionUrlServer:
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._server.server_close()

    def handle(
        self, method: str, target: str, headers: list[tuple[str, str]], body: bytes, source_ip: str
    ) -> Reply:
        """One HTTP request: authenticated (AWS_IAM), invoked, answered."""
        access_key = None
        if self.auth_type == "AWS_IAM":
            parts = urllib.parse.urlsplit(target)
            flat = {k: v for k, v in headers}
            problem = verify_sigv4(
                method, parts.path or "/", parts.query, flat, body, self.secrets, self.region
            )
            if problem is not None:
                return _error(403, problem)
            credential = {k.lower(): v for k, v in headers}["authorization"].split("Credential=", 1)[1]
            access_key = credential.split("/", 1)[0]
        event = url_event(
            method,
            target,
            headers,
            body,
            url_id=self.url_id,
            region=self.region,
            account_id=self.account_id,
            source_ip=source_ip,
            access_key=access_key,
        )
        try:
            result = self.host.invoke(self.function_name, json.dumps(event).encode())
        except FunctionNotFound:
            return _error(404, f"Function not found: {self.function_name}")
        except TooManyRequests:
            return _error(429, "Rate Exceeded.")
        if result.function_error:
            return _error(502, "Internal Server Error")
        return url_response(result.payload)
