"""The Lambda Runtime API that one ``bootstrap`` process talks to (``AWS_LAMBDA_RUNTIME_API``).

    server = RuntimeApiServer(("127.0.0.1", 0), RuntimeApiHandler)
    server.instance = instance       # a RuntimeApiBackend: hands out and completes invocations

``GET /2018-06-01/runtime/invocation/next`` (the next `Invocation`, with the Lambda-Runtime-*
headers), ``POST .../invocation/<id>/response|error`` and ``POST .../init/error``.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol

from localcloud.lambda_host.spec import FunctionSpec

RUNTIME_PREFIX = "/2018-06-01/runtime"


@dataclass
class Invocation:
    request_id: str
    payload: bytes
    timeout_s: float
    trace_id: str
    client_context: str | None
    delivered = False
    delivered_at = 0.0
    deadline_ms = 0
    done: threading.Event = field(default_factory=threading.Event)
    #: "response" | "error" | "exit" | "init_error"
    outcome: str = ""
    body: bytes = b""
    finished_at: float = 0.0
    delivered_event: threading.Event = field(default_factory=threading.Event)
    log: bytearray = field(default_factory=bytearray)

    def finish(self, outcome: str, body: bytes) -> bool:
        """Record the first outcome only; returns whether this call set it."""
        if self.done.is_set():
            return False
        self.outcome = outcome
        self.body = body
        self.finished_at = time.monotonic()
        self.done.set()
        self.delivered_event.set()
        return True


class RuntimeApiBackend(Protocol):
    """What the Runtime API serves (`localcloud.lambda_host.instance.Instance`)."""

    @property
    def spec(self) -> FunctionSpec: ...

    def next_invocation(self) -> Invocation | None: ...

    def complete(self, request_id: str, kind: str, body: bytes) -> bool: ...

    def init_error(self, body: bytes, error_type: str | None) -> None: ...


class RuntimeApiServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    instance: RuntimeApiBackend

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A runtime that went away mid-request (killed instance): nothing to report."""


class RuntimeApiHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def setup(self) -> None:
        super().setup()
        # headers and body go out in separate writes: without this, Nagle + delayed ACK add ~40 ms
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    server: RuntimeApiServer

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _send(self, status: int, body: bytes = b"", headers: Mapping[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        if body:
            self.wfile.write(body)

    def do_GET(self) -> None:
        if self.path != RUNTIME_PREFIX + "/invocation/next":
            self._send(404, b'{"errorType":"NotFound","errorMessage":"unknown path"}')
            return
        inv = self.server.instance.next_invocation()
        if inv is None:  # the instance is being stopped
            self._send(500, b'{"errorType":"ShuttingDown","errorMessage":"instance stopped"}')
            self.close_connection = True
            return
        headers = {
            "Lambda-Runtime-Aws-Request-Id": inv.request_id,
            "Lambda-Runtime-Deadline-Ms": str(inv.deadline_ms),
            "Lambda-Runtime-Invoked-Function-Arn": self.server.instance.spec.arn,
            "Lambda-Runtime-Trace-Id": inv.trace_id,
        }
        if inv.client_context:
            headers["Lambda-Runtime-Client-Context"] = inv.client_context
        self._send(200, inv.payload, headers)

    def do_POST(self) -> None:
        body = self._body()
        path = self.path
        instance = self.server.instance
        if path == RUNTIME_PREFIX + "/init/error":
            instance.init_error(body, self.headers.get("Lambda-Runtime-Function-Error-Type"))
            self._send(202, b'{"status":"OK"}')
            return
        prefix = RUNTIME_PREFIX + "/invocation/"
        if path.startswith(prefix):
            request_id, _, kind = path[len(prefix) :].partition("/")
            if kind in ("response", "error"):
                if instance.complete(request_id, kind, body):
                    self._send(202, b'{"status":"OK"}')
                else:
                    self._send(
                        400,
                        b'{"errorType":"InvalidRequestID","errorMessage":"unknown or finished request id"}',
                    )
                return
        self._send(404, b'{"errorType":"NotFound","errorMessage":"unknown path"}')
