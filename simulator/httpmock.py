"""A tiny JSON-over-HTTP server on 127.0.0.1 (free port): the base of the broker and subscriber mocks."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self

# handler(path, body) -> (status, response body)
JsonHandler = Callable[[str, Any], tuple[int, Any]]


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    handler: JsonHandler

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that gave up (its timeout) before the answer: nothing to report."""


class _RequestHandler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the mocks record what they receive."""

    def _reply(self, status: int, body: Any) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except ValueError as exc:
            self._reply(400, {"error": "BAD_JSON", "message": f"body is not JSON: {exc}"})
            return
        status, reply = self.server.handler(self.path, body)
        self._reply(status, reply)

    def do_GET(self) -> None:
        self._reply(200, {"ok": True})


class JsonHttpServer:
    """Serves `handler` for every POST, in daemon threads; `url` is known after `start()`."""

    def __init__(self, handler: JsonHandler, host: str = "127.0.0.1", port: int = 0) -> None:
        self._server = _Server((host, port), _RequestHandler)
        self._server.handler = handler
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> JsonHttpServer:
        if self._thread is None:
            self._thread = threading.Thread(target=self._server.serve_forever, name="json-mock", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._server.server_close()


class MockEndpoint:
    """One mock's HTTP shell: start/stop, its URL (server + `path`), `fail_next(n)`, which answers 503
    to the next n calls (`refused` counts them), and `slow_next(n, s)`, which holds the next n answers
    for s seconds (beyond the caller's timeout, if it likes). Subclasses implement `_handle`."""

    path = "/"

    def __init__(self, lock: threading.Lock | threading.Condition) -> None:
        self._lock = lock
        self._fail = 0
        self.refused = 0
        self._slow = 0
        self._slow_s = 0.0
        self._http = JsonHttpServer(self._answer)

    @property
    def url(self) -> str:
        return self._http.url + self.path

    def start(self) -> Self:
        self._http.start()
        return self

    def stop(self) -> None:
        self._http.stop()

    def fail_next(self, count: int) -> None:
        """Answer 503 to the next `count` calls."""
        with self._lock:
            self._fail = count

    def slow_next(self, count: int, seconds: float) -> None:
        """Hold the next `count` answers for `seconds` each (the call is still handled)."""
        with self._lock:
            self._slow, self._slow_s = count, seconds

    def _answer(self, path: str, body: Any) -> tuple[int, Any]:
        with self._lock:
            hold = self._slow_s if self._slow > 0 else 0.0
            self._slow = max(0, self._slow - 1)
        if hold:
            time.sleep(hold)
        return self._handle(path, body)

    def _refuse(self) -> bool:
        """With the lock held: True when this call is one of those `fail_next` asked to refuse."""
        if self._fail <= 0:
            return False
        self._fail -= 1
        self.refused += 1
        return True

    def _handle(self, path: str, body: Any) -> tuple[int, Any]:
        raise NotImplementedError
