"""The front: the one endpoint every SDK client (and moto's own ASL engine) talks to.

API::

    front = Front(moto_url=moto.url, host=function_host, bind="127.0.0.1", port=0).start()
    front.url     # "http://127.0.0.1:<port>": give it as AWS_ENDPOINT_URL
    front.stop()

`start()` also sets ``os.environ["MOTO_PORT"]`` to the front's port (so that moto's Step
Functions engine, in this process, calls Lambda through the front) and, if the host has none,
``host.endpoint_url = front.url``. Pass ``set_moto_port=False`` to leave the environment alone.

Routing:
- ``POST /2015-03-31/functions/<name|arn>/invocations`` -> `FunctionHost.invoke` (headers
  ``X-Amz-Invocation-Type``, ``X-Amz-Log-Type``, ``X-Amz-Client-Context``; answers 200, or 202 for
  ``Event``, with ``X-Amz-Executed-Version``, ``X-Amz-Function-Error``, ``X-Amz-Log-Result``;
  404 ResourceNotFoundException, 429 TooManyRequestsException).
- ``X-Amz-Target: AWSStepFunctions.StartSyncExecution`` -> `sync_shim.StartSyncExecutionShim`
  (moto lacks the call; botocore needs ``Config(inject_host_prefix=False)`` against localhost).
- anything else -> proxied to moto as is (method, path, query, headers, body), except that a
  ``StartExecution`` without a name gets a UUID one, as AWS does (moto would name it "None").
  When moto is a `MotoServer` of this process, its WSGI application is called directly (no
  second HTTP hop); otherwise (``in_process=False``, or another server) over kept-alive HTTP.
"""

from __future__ import annotations

import http.client
import io
import json
import os
import socket
import sys
import threading
import urllib.parse
import uuid
from collections.abc import Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from localcloud.functions import FunctionHost, FunctionNotFound, TooManyRequests
from localcloud.motoserver import MotoServer
from localcloud.sync_shim import StartSyncExecutionShim

INVOKE_PREFIX = "/2015-03-31/functions/"
INVOKE_SUFFIX = "/invocations"
SYNC_TARGET = "AWSStepFunctions.StartSyncExecution"
START_TARGET = "AWSStepFunctions.StartExecution"
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


def _with_execution_name(body: bytes) -> bytes:
    """StartExecution without a name: AWS makes a UUID up, moto names every such execution
    "None" (so the second one fails with ExecutionAlreadyExists). Add the UUID here."""
    try:
        request = json.loads(body or b"{}")
    except ValueError:
        return body
    if not isinstance(request, dict) or request.get("name"):
        return body
    request["name"] = str(uuid.uuid4())
    return json.dumps(request).encode()


class MotoClient:
    """Kept-alive HTTP connections to moto, one per thread."""

    def __init__(self, moto_url: str, timeout_s: float = 330.0) -> None:
        parsed = urllib.parse.urlsplit(moto_url)
        self.host = parsed.hostname or "127.0.0.1"
        self.port = parsed.port or 80
        self.timeout_s = timeout_s
        self._local = threading.local()

    def _connection(self) -> http.client.HTTPConnection:
        conn: http.client.HTTPConnection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout_s)
            self._local.conn = conn
        return conn

    def request(
        self, method: str, path: str, body: bytes, headers: Iterable[tuple[str, str]]
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        """One exchange; retried once on a fresh connection if the kept-alive one was stale."""
        header_list = [(n, v) for n, v in headers if n.lower() not in HOP_BY_HOP]
        for attempt in (1, 2):
            conn = self._connection()
            try:
                conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
                for name, value in header_list:
                    conn.putheader(name, value)
                if body or method not in ("GET", "HEAD", "DELETE", "OPTIONS"):
                    conn.putheader("Content-Length", str(len(body)))
                conn.endheaders(body or None)
                resp = conn.getresponse()
                data = resp.read()
                return resp.status, resp.getheaders(), data
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                conn.close()
                self._local.conn = None
                if attempt == 2:
                    raise
            except Exception:
                conn.close()
                self._local.conn = None
                raise
        raise AssertionError("unreachable")

    def call_json(self, target: str, payload: dict[str, Any], authorization: str) -> tuple[int, bytes]:
        """A JSON 1.0 call (Step Functions style) straight to moto."""
        headers = [
            ("Host", f"{self.host}:{self.port}"),
            ("Content-Type", "application/x-amz-json-1.0"),
            ("X-Amz-Target", target),
            ("Authorization", authorization),
        ]
        status, _, data = self.request("POST", "/", json.dumps(payload).encode(), headers)
        return status, data


class InProcessMoto:
    """moto's WSGI application called directly (moto in this process): the same requests as
    `MotoClient`, without the second HTTP hop (its parsing, sockets and server thread)."""

    def __init__(self, app: Any, host: str, port: int) -> None:
        self.app = app
        self.host = host
        self.port = port

    def request(
        self, method: str, path: str, body: bytes, headers: Iterable[tuple[str, str]]
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        environ = self._environ(method, path, body, headers)
        captured: dict[str, Any] = {}
        written: list[bytes] = []

        def start_response(status: str, response_headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            captured["status"] = status
            captured["headers"] = response_headers
            return written.append

        result = self.app(environ, start_response)
        try:
            data = b"".join([*written, *result])
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
        return int(str(captured["status"]).split(" ", 1)[0]), list(captured["headers"]), data

    def call_json(self, target: str, payload: dict[str, Any], authorization: str) -> tuple[int, bytes]:
        headers = [
            ("Host", f"{self.host}:{self.port}"),
            ("Content-Type", "application/x-amz-json-1.0"),
            ("X-Amz-Target", target),
            ("Authorization", authorization),
        ]
        status, _, data = self.request("POST", "/", json.dumps(payload).encode(), headers)
        return status, data

    def _environ(
        self, method: str, path: str, body: bytes, headers: Iterable[tuple[str, str]]
    ) -> dict[str, Any]:
        """What werkzeug's server (with moto's request handler) would make of this request."""
        url = urllib.parse.urlsplit(path)
        environ: dict[str, Any] = {
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(body),
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": True,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
            "SERVER_SOFTWARE": "localcloud-front",
            "REQUEST_METHOD": method,
            "SCRIPT_NAME": "",
            "PATH_INFO": _latin1(urllib.parse.unquote(url.path)),
            "QUERY_STRING": _latin1(url.query),
            "REQUEST_URI": _latin1(path),
            "RAW_URI": _latin1(path),
            "REMOTE_ADDR": "127.0.0.1",
            "REMOTE_PORT": 0,
            "SERVER_NAME": self.host,
            "SERVER_PORT": str(self.port),
            "SERVER_PROTOCOL": "HTTP/1.1",
            "CONTENT_LENGTH": str(len(body)),
        }
        header_list = [(n, v.replace("\r\n", "")) for n, v in headers if n.lower() not in HOP_BY_HOP]
        for name, value in header_list:
            if "_" in name:
                continue
            key = name.upper().replace("-", "_")
            if key != "CONTENT_TYPE":
                key = "HTTP_" + key
                if key in environ:
                    value = f"{environ[key]},{value}"
            environ[key] = value
        _preserve_underscored_headers(environ, header_list)
        return environ


def _latin1(text: str) -> str:
    """PEP 3333: the environ carries bytes as latin-1 strings."""
    return text.encode("utf-8").decode("latin-1")


def _preserve_underscored_headers(environ: dict[str, Any], headers: list[tuple[str, str]]) -> None:
    """moto's request handler keeps headers with underscores (S3 metadata): do the same."""
    try:
        from moto.core.request import (
            PRESERVED_HEADER_NAMES_ENVIRON_KEY,
            environ_key_for_header,
            should_preserve_original_header_name,
        )
    except ImportError:  # pragma: no cover - another moto layout
        return
    dashed = {environ_key_for_header(name) for name, _ in headers if "_" not in name}
    names: dict[str, str] = {}
    values: dict[str, list[str]] = {}
    for name, value in headers:
        if not should_preserve_original_header_name(name):
            continue
        key = environ_key_for_header(name)
        if key in dashed:
            continue
        names.setdefault(key, name)
        values.setdefault(key, []).append(value)
    for key, key_values in values.items():
        environ[key] = ",".join(key_values)
    environ[PRESERVED_HEADER_NAMES_ENVIRON_KEY] = names


class _FrontServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    request_queue_size = 128
    front: Front

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that went away mid-request: nothing to report."""


class _FrontHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def setup(self) -> None:
        super().setup()
        # headers and body go out in separate writes: without this, Nagle + delayed ACK add ~40 ms
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    server: _FrontServer

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _read_body(self) -> bytes:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def send_bytes(self, status: int, body: bytes, headers: Iterable[tuple[str, str]] = ()) -> None:
        self.send_response_only(status)
        self.send_header("Date", self.date_time_string())
        for name, value in headers:
            if name.lower() not in HOP_BY_HOP:
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body and self.command != "HEAD":
            self.wfile.write(body)

    def _handle(self) -> None:
        front = self.server.front
        body = self._read_body()
        try:
            status, headers, data = front.handle(self.command, self.path, list(self.headers.items()), body)
            self.send_bytes(status, data, headers)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        except Exception as exc:  # the front must answer, whatever failed behind it
            status, headers, data = _front_failure(exc)
            try:
                self.send_bytes(status, data, headers)
            except OSError:
                self.close_connection = True

    do_GET = _handle
    do_POST = _handle
    do_PUT = _handle
    do_DELETE = _handle
    do_HEAD = _handle
    do_PATCH = _handle
    do_OPTIONS = _handle


def _front_failure(exc: Exception) -> tuple[int, list[tuple[str, str]], bytes]:
    message = json.dumps({"__type": "ServiceUnavailable", "message": f"local cloud front: {exc!r}"})
    return 502, [("Content-Type", "application/json")], message.encode()


def _header(headers: list[tuple[str, str]], name: str) -> str | None:
    wanted = name.lower()
    for key, value in headers:
        if key.lower() == wanted:
            return value
    return None


def _invoke(
    front: Front, name: str, payload: bytes, headers: list[tuple[str, str]]
) -> tuple[int, list[tuple[str, str]], bytes]:
    invocation_type = _header(headers, "X-Amz-Invocation-Type") or "RequestResponse"
    try:
        result = front.host.invoke(
            name,
            payload,
            invocation_type=invocation_type,
            log_type=_header(headers, "X-Amz-Log-Type") or "None",
            client_context=_header(headers, "X-Amz-Client-Context"),
            trace_id=_header(headers, "X-Amzn-Trace-Id"),
        )
    except FunctionNotFound:
        arn = (
            name
            if name.startswith("arn:")
            else f"arn:aws:lambda:{front.host.region}:123456789012:function:{name}"
        )
        return _lambda_error(404, "ResourceNotFoundException", f"Function not found: {arn}")
    except TooManyRequests as exc:
        return _lambda_error(
            429,
            "TooManyRequestsException",
            str(exc),
            reason="ReservedFunctionConcurrentInvocationLimitExceeded",
        )
    out = [("Content-Type", "application/json"), ("X-Amz-Executed-Version", result.executed_version)]
    if result.function_error:
        out.append(("X-Amz-Function-Error", result.function_error))
    if result.log_result is not None:
        out.append(("X-Amz-Log-Result", result.log_result))
    return result.status_code, out, result.payload


def _lambda_error(
    status: int, code: str, message: str, reason: str | None = None
) -> tuple[int, list[tuple[str, str]], bytes]:
    body: dict[str, str] = {"Type": "User", "message": message}
    if reason:
        body["Reason"] = reason
    headers = [("Content-Type", "application/json"), ("x-amzn-ErrorType", code)]
    return status, headers, json.dumps(body).encode()


_fronts: dict[str, Front] = {}
_fronts_lock = threading.Lock()


class Front:
    """One HTTP endpoint on 127.0.0.1: Lambda -> function host, StartSyncExecution -> shim, rest -> moto."""

    def __init__(
        self,
        moto_url: str,
        host: FunctionHost,
        bind: str = "127.0.0.1",
        port: int = 0,
        in_process: bool = True,
    ) -> None:
        in_process_moto = MotoServer.running_at(moto_url) if in_process else None
        self.moto: MotoClient | InProcessMoto = (
            InProcessMoto(in_process_moto.app, in_process_moto.host, in_process_moto.port)
            if in_process_moto is not None
            else MotoClient(moto_url)
        )
        self.host = host
        self.shim = StartSyncExecutionShim(self.moto)
        self._bind = bind
        self._requested_port = port
        self._server: _FrontServer | None = None
        self._thread: threading.Thread | None = None
        self._previous_moto_port: str | None = None
        self._set_moto_port = False

    def start(self, set_moto_port: bool = True) -> Front:
        """Listen and serve in a daemon thread; returns self."""
        if self._server is not None:
            return self
        server = _FrontServer((self._bind, self._requested_port), _FrontHandler)
        server.front = self
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True
        )
        self._thread.start()
        if set_moto_port:
            self._previous_moto_port = os.environ.get("MOTO_PORT")
            self._set_moto_port = True
            os.environ["MOTO_PORT"] = str(self.port)
        if not self.host.endpoint_url:
            self.host.endpoint_url = self.url
        with _fronts_lock:
            _fronts[self.url] = self
        return self

    @staticmethod
    def running_at(url: str) -> Front | None:
        """The started Front of this process serving `url`, if any."""
        with _fronts_lock:
            return _fronts.get(url.rstrip("/"))

    def handle(
        self, method: str, path: str, headers: list[tuple[str, str]], body: bytes
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        """One request, routed as described in the module docstring: (status, headers, body).
        The HTTP server and in-process SDK clients (`route_in_process`) both come through here."""
        if method == "POST" and path.startswith(INVOKE_PREFIX):
            route = urllib.parse.urlsplit(path).path
            if route.endswith(INVOKE_SUFFIX):
                name = urllib.parse.unquote(route[len(INVOKE_PREFIX) : -len(INVOKE_SUFFIX)])
                return _invoke(self, name, body, headers)
        target = _header(headers, "X-Amz-Target")
        if target == START_TARGET:
            body = _with_execution_name(body)
        if target == SYNC_TARGET:
            status, data = self.shim.start_sync_execution(body, _header(headers, "Authorization") or "")
            return status, [("Content-Type", "application/x-amz-json-1.0")], data
        return self.moto.request(method, path, body, headers)

    def call_json(self, target: str, payload: dict[str, Any], authorization: str) -> tuple[int, bytes]:
        """A JSON 1.0 call routed as if it came over HTTP (StartSyncExecution -> the shim)."""
        if target == SYNC_TARGET:
            return self.shim.start_sync_execution(json.dumps(payload).encode(), authorization)
        if target == START_TARGET and not payload.get("name"):
            payload = {**payload, "name": str(uuid.uuid4())}
        return self.moto.call_json(target, payload, authorization)

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("Front is not started")
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://{self._bind}:{self.port}"

    def stop(self) -> None:
        """Stop serving (idempotent); MOTO_PORT gets its previous value back."""
        if self._set_moto_port and self._server is not None and os.environ.get("MOTO_PORT") == str(self.port):
            if self._previous_moto_port is None:
                os.environ.pop("MOTO_PORT", None)
            else:
                os.environ["MOTO_PORT"] = self._previous_moto_port
        self._set_moto_port = False
        if self._server is not None:
            with _fronts_lock:
                if _fronts.get(self.url) is self:
                    del _fronts[self.url]
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> Front:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class _RawBody(io.BytesIO):
    """What botocore reads an `AWSResponse` body from."""

    def stream(self, **_: Any) -> Any:
        chunk = self.read()
        while chunk:
            yield chunk
            chunk = self.read()


def route_in_process(client: Any) -> None:
    """Send a botocore `client`'s requests for a `Front` of this process straight to
    `Front.handle` (a ``before-send`` hook): no socket, no HTTP parsing on either side, no
    server thread. Requests for anything else go over HTTP as usual. Used for the boto3
    clients of moto's ASL engine (motoserver.speed_up_moto)."""
    client.meta.events.register("before-send", _send_in_process)


def _send_in_process(request: Any, **_: Any) -> Any:
    url = urllib.parse.urlsplit(request.url)
    if url.hostname not in ("localhost", "127.0.0.1") or url.port is None:
        return None
    front = Front.running_at(f"http://127.0.0.1:{url.port}")
    if front is None:
        return None
    from botocore.awsrequest import AWSResponse  # type: ignore[import-untyped, unused-ignore]
    from botocore.compat import HTTPHeaders  # type: ignore[import-untyped, unused-ignore]

    path = (url.path or "/") + (f"?{url.query}" if url.query else "")
    headers = [
        (str(name), value.decode("latin-1") if isinstance(value, bytes) else str(value))
        for name, value in request.headers.items()
    ]
    if _header(headers, "Host") is None:
        headers.insert(0, ("Host", url.netloc))
    body = request.body
    if body is None:
        data = b""
    elif isinstance(body, bytes | bytearray):
        data = bytes(body)
    elif isinstance(body, str):
        data = body.encode()
    else:  # a file-like body
        data = body.read()
    try:
        status, out_headers, payload = front.handle(str(request.method), path, headers, data)
    except Exception as exc:  # as over HTTP: the front answers whatever failed behind it
        status, out_headers, payload = _front_failure(exc)
    response_headers = HTTPHeaders()
    for name, value in out_headers:
        if name.lower() not in HOP_BY_HOP:
            response_headers[name] = value
    response_headers["Content-Length"] = str(len(payload))
    return AWSResponse(request.url, status, response_headers, _RawBody(payload))
