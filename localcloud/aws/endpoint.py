"""The AWS endpoint: the one URL every SDK client (and moto's own ASL engine) talks to.

API::

    endpoint = AwsEndpoint(moto_url=moto.url, host=function_host, bind="127.0.0.1", port=0).start()
    endpoint.url     # "http://127.0.0.1:<port>": give it as AWS_ENDPOINT_URL
    endpoint.stop()

`start()` also sets ``os.environ["MOTO_PORT"]`` to the endpoint's port (so that moto's Step
Functions engine, in this process, calls Lambda through the endpoint) and, if the host has none,
``host.endpoint_url = endpoint.url``. Pass ``set_moto_port=False`` to leave the environment alone.

Routing (`AwsEndpoint.handle`, for the HTTP server and for callers of this process alike):
- Lambda ``Invoke`` -> the function host (`localcloud.aws.lambda_invoke`).
- Lambda ``Get``/``UpdateFunctionConfiguration`` -> the function host (`localcloud.aws.lambda_config`).
- ``X-Amz-Target: AWSStepFunctions.*``, once `route_stepfunctions_to(url)` was called -> that URL,
  as is: Step Functions in a process of its own (`localcloud.aws.stepfunctions_process`).
- ``X-Amz-Target: AWSStepFunctions.StartSyncExecution`` -> `localcloud.aws.stepfunctions_sync`
  (moto lacks the call; botocore needs ``Config(inject_host_prefix=False)`` against localhost).
- anything else -> proxied to moto as is (method, path, query, headers, body), except that a
  ``StartExecution`` without a name gets a UUID one, as AWS does (moto would name it "None").
  When moto is a `MotoServer` of this process, it is called in memory (its views through
  `localcloud.aws.moto_dispatch`, else its WSGI application; no second HTTP hop); otherwise
  (``in_process=False``, or another server) over kept-alive HTTP (`localcloud.aws.moto_proxy`).

A started endpoint is registered in `localcloud.aws.in_process`, where the botocore hook and the
JSON client of this process find it by URL.
"""

from __future__ import annotations

import json
import os
import socket
import threading
import uuid
from collections.abc import Callable, Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from localcloud.aws import in_process
from localcloud.aws.http_common import HOP_BY_HOP, Reply, endpoint_failure, header
from localcloud.aws.lambda_config import configuration, configuration_name
from localcloud.aws.lambda_invoke import invoke, invoke_name
from localcloud.aws.moto_proxy import InProcessMoto, MotoClient, moto_transport
from localcloud.aws.stepfunctions_sync import StartSyncExecution, with_execution_name
from localcloud.lambda_host import FunctionHost

SYNC_TARGET = "AWSStepFunctions.StartSyncExecution"
START_TARGET = "AWSStepFunctions.StartExecution"
STEPFUNCTIONS_PREFIX = "AWSStepFunctions."


class _EndpointServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    request_queue_size = 128
    endpoint: AwsEndpoint

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that went away mid-request: nothing to report."""


class _EndpointHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def setup(self) -> None:
        super().setup()
        # headers and body go out in separate writes: without this, Nagle + delayed ACK add ~40 ms
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    server: _EndpointServer

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
        endpoint = self.server.endpoint
        body = self._read_body()
        try:
            status, headers, data = endpoint.handle(self.command, self.path, list(self.headers.items()), body)
            self.send_bytes(status, data, headers)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        except Exception as exc:  # the endpoint must answer, whatever failed behind it
            status, headers, data = endpoint_failure(exc)
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


class AwsEndpoint:
    """One HTTP endpoint on 127.0.0.1: Lambda Invoke -> function host, StartSyncExecution ->
    emulated, the rest -> moto."""

    def __init__(
        self,
        moto_url: str,
        host: FunctionHost | None,
        bind: str = "127.0.0.1",
        port: int = 0,
        in_process: bool = True,
    ) -> None:
        self.moto: MotoClient | InProcessMoto = moto_transport(moto_url, in_process)
        self.host = host
        self.sync_executions = StartSyncExecution(self.moto)
        # Step Functions elsewhere (`route_stepfunctions_to`): every AWSStepFunctions.* call goes there
        self.stepfunctions: MotoClient | None = None
        self._bind = bind
        self._requested_port = port
        self._server: _EndpointServer | None = None
        self._thread: threading.Thread | None = None
        self._previous_moto_port: str | None = None
        self._set_moto_port = False
        # every call and its answer (method, path, headers, body, status, response body): `localcloud.usage`
        self.on_call: Callable[[str, str, list[tuple[str, str]], bytes, int, bytes], None] | None = None

    def start(self, set_moto_port: bool = True) -> AwsEndpoint:
        """Listen and serve in a daemon thread; returns self."""
        if self._server is not None:
            return self
        server = _EndpointServer((self._bind, self._requested_port), _EndpointHandler)
        server.endpoint = self
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True
        )
        self._thread.start()
        if set_moto_port:
            self._previous_moto_port = os.environ.get("MOTO_PORT")
            self._set_moto_port = True
            os.environ["MOTO_PORT"] = str(self.port)
        if self.host is not None and not self.host.endpoint_url:
            self.host.endpoint_url = self.url
        in_process.register(self.url, self)
        return self

    def handle(self, method: str, path: str, headers: list[tuple[str, str]], body: bytes) -> Reply:
        """One request, routed as described in the module docstring: (status, headers, body)."""
        reply = self._route(method, path, headers, body)
        if self.on_call is not None:
            self.on_call(method, path, headers, body, reply[0], reply[2])
        return reply

    def route_stepfunctions_to(self, url: str) -> None:
        """Send every Step Functions call (``X-Amz-Target: AWSStepFunctions.*``) to `url` over kept-alive
        HTTP: Step Functions served by a process of its own (`localcloud.aws.stepfunctions_process`)."""
        self.stepfunctions = MotoClient(url)

    def _route(self, method: str, path: str, headers: list[tuple[str, str]], body: bytes) -> Reply:
        target = header(headers, "X-Amz-Target")
        if self.stepfunctions is not None and target is not None and target.startswith(STEPFUNCTIONS_PREFIX):
            return self.stepfunctions.request(method, path, body, headers)
        name = invoke_name(method, path)
        if name is not None:
            return invoke(self._functions(), name, body, headers)
        configured = configuration_name(method, path)
        if configured is not None:
            return configuration(self._functions(), configured, method, body)
        if target == START_TARGET:
            body = with_execution_name(body)
        if target == SYNC_TARGET:
            status, data = self.sync_executions.start_sync_execution(
                body, header(headers, "Authorization") or ""
            )
            return status, [("Content-Type", "application/x-amz-json-1.0")], data
        return self.moto.request(method, path, body, headers)

    def call_json(self, target: str, payload: dict[str, Any], authorization: str) -> tuple[int, bytes]:
        """A JSON 1.0 call routed as if it came over HTTP (StartSyncExecution -> emulated)."""
        status, data = self._route_json(target, payload, authorization)
        if self.on_call is not None:
            headers = [("X-Amz-Target", target), ("Authorization", authorization)]
            self.on_call("POST", "/", headers, json.dumps(payload).encode(), status, data)
        return status, data

    def _functions(self) -> FunctionHost:
        if self.host is None:
            raise RuntimeError("this AWS endpoint serves no Lambda functions")
        return self.host

    def _route_json(self, target: str, payload: dict[str, Any], authorization: str) -> tuple[int, bytes]:
        if self.stepfunctions is not None and target.startswith(STEPFUNCTIONS_PREFIX):
            return self.stepfunctions.call_json(target, payload, authorization)
        if target == SYNC_TARGET:
            return self.sync_executions.start_sync_execution(json.dumps(payload).encode(), authorization)
        if target == START_TARGET and not payload.get("name"):
            payload = {**payload, "name": str(uuid.uuid4())}
        return self.moto.call_json(target, payload, authorization)

    @property
    def moto_in_process(self) -> bool:
        """moto behind this endpoint runs in this process (`localcloud.aws.moto_tables` reads it)."""
        return isinstance(self.moto, InProcessMoto)

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("AwsEndpoint is not started")
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
            in_process.unregister(self.url, self)
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> AwsEndpoint:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
