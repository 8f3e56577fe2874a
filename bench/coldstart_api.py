"""A local Lambda Runtime API server: hands out queued events and records what the runtime posts.

Used by the cold-start benchmark and by the runtime loop's tests (a real HTTP server on 127.0.0.1,
bound to a free port). Every post is timestamped with ``time.perf_counter()`` on arrival.
"""

from __future__ import annotations

import json
import queue
import socket
import sys
import threading
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType

PREFIX = "/2018-06-01/runtime"
DEFAULT_ARN = "arn:aws:lambda:eu-west-1:123456789012:function:bench"


@dataclass(frozen=True)
class Invocation:
    """One event waiting to be handed out by ``GET /invocation/next``."""

    request_id: str
    body: bytes
    headers: Mapping[str, str]


@dataclass(frozen=True)
class Post:
    """What the runtime posted: ``kind`` is ``response``, ``error`` or ``init_error``."""

    kind: str
    request_id: str
    headers: Mapping[str, str]
    body: bytes
    at: float

    def json(self) -> object:
        """The posted body, decoded."""
        return json.loads(self.body)


@dataclass
class _State:
    invocations: queue.Queue[Invocation] = field(default_factory=queue.Queue)
    posts: queue.Queue[Post] = field(default_factory=queue.Queue)
    served: dict[str, float] = field(default_factory=dict)
    connections: int = 0
    close_after_post: bool = False
    stopping: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    wbufsize = -1  # one write per response (flushed in _send): no Nagle/delayed-ACK stall
    server: _Server

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with self.server.state.lock:
            self.server.state.connections += 1

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the benchmark and the tests read the records instead."""

    def _send(
        self, status: int, body: bytes, headers: Mapping[str, str] | None = None, close: bool = False
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        if close:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()

    def do_GET(self) -> None:
        state = self.server.state
        if self.path != f"{PREFIX}/invocation/next":
            self._send(404, b'{"errorType":"NotFound"}')
            return
        while True:
            if state.stopping.is_set():
                self._send(500, b'{"errorType":"Stopping","errorMessage":"runtime api is shutting down"}')
                return
            try:
                invocation = state.invocations.get(timeout=0.05)
            except queue.Empty:
                continue
            break
        with state.lock:
            state.served[invocation.request_id] = time.perf_counter()
        self._send(200, invocation.body, invocation.headers)

    def do_POST(self) -> None:
        state = self.server.state
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        at = time.perf_counter()
        rest = self.path[len(PREFIX) :] if self.path.startswith(PREFIX) else ""
        parts = rest.strip("/").split("/")
        if parts == ["init", "error"]:
            kind, request_id = "init_error", ""
        elif len(parts) == 3 and parts[0] == "invocation" and parts[2] in ("response", "error"):
            kind, request_id = parts[2], parts[1]
        else:
            self._send(404, b'{"errorType":"NotFound"}')
            return
        headers = {name.lower(): value for name, value in self.headers.items()}
        state.posts.put(Post(kind, request_id, headers, body, at))
        self._send(202, b'{"status":"OK"}', close=state.close_after_post)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    state: _State

    def handle_error(self, request: object, client_address: object) -> None:
        """A runtime that was killed mid-request is expected here; anything else is printed."""
        if not isinstance(sys.exc_info()[1], OSError):
            super().handle_error(request, client_address)  # type: ignore[arg-type]


class FakeRuntimeApi:
    """A Runtime API on ``127.0.0.1:<free port>``; use as a context manager."""

    def __init__(self) -> None:
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.state = _State()
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05})
        self._thread.daemon = True

    @property
    def address(self) -> str:
        """``host:port``, the value of ``AWS_LAMBDA_RUNTIME_API``."""
        host, port = self._server.server_address[:2]
        return f"{host!s}:{port}"

    @property
    def connections(self) -> int:
        """TCP connections accepted so far."""
        with self._server.state.lock:
            return self._server.state.connections

    def close_connections_after_posts(self, enabled: bool) -> None:
        """Answer every post with ``Connection: close`` (makes the runtime reconnect)."""
        self._server.state.close_after_post = enabled

    def push(
        self,
        event: object = None,
        *,
        body: bytes | None = None,
        request_id: str | None = None,
        deadline_ms: int | None = None,
        function_arn: str = DEFAULT_ARN,
        extra_headers: Mapping[str, str] | None = None,
    ) -> str:
        """Queue one invocation (``event`` as JSON, or a raw ``body``); returns its request id."""
        rid = request_id or str(uuid.uuid4())
        deadline = deadline_ms if deadline_ms is not None else int(time.time() * 1000) + 30_000
        headers = {
            "Lambda-Runtime-Aws-Request-Id": rid,
            "Lambda-Runtime-Deadline-Ms": str(deadline),
            "Lambda-Runtime-Invoked-Function-Arn": function_arn,
        }
        headers.update(extra_headers or {})
        payload = body if body is not None else json.dumps(event).encode()
        self._server.state.invocations.put(Invocation(rid, payload, headers))
        return rid

    def wait_post(self, timeout: float) -> Post:
        """The next post from the runtime; ``TimeoutError`` if none arrives in ``timeout`` seconds."""
        try:
            return self._server.state.posts.get(timeout=timeout)
        except queue.Empty:
            raise TimeoutError(f"no post from the runtime within {timeout} s") from None

    def served_at(self, request_id: str) -> float | None:
        """When ``GET /next`` handed out that invocation (``perf_counter``), if it did."""
        with self._server.state.lock:
            return self._server.state.served.get(request_id)

    def drain(self) -> None:
        """Forget queued invocations and posts (between benchmark runs)."""
        state = self._server.state
        for q in (state.invocations, state.posts):
            while True:
                try:
                    q.get_nowait()
                except queue.Empty:
                    break

    def start(self) -> FakeRuntimeApi:
        """Serve in a background thread."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving (pending long polls get a 500, as when the sandbox goes away)."""
        self._server.state.stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> FakeRuntimeApi:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
