"""One fake HTTP server for every suite: a real HTTP/1.1 server on 127.0.0.1 (a random port) that
records each request and answers from a script.

It stands in for the broker, the push subscriber, the disclosure authority, an AWS endpoint or an
API Gateway HTTP integration backend:

    with FakeHttpServer(script=[503, 429]) as broker:     # then 200 {"ok": true}
        ...
    broker.url, broker.requests, broker.bodies, broker.connections

A script entry is a status code, a ``Reply`` or a (status, headers, body) tuple, or
``("sleep", seconds)`` (then 200, which the client may no longer read). ``routes`` answers by path
instead; when the script is used up, ``default`` answers (``repeat_last=True``: the last entry
repeats). ``drop_connections`` closes the TCP connection after each answer without saying so, as a
kept-alive connection dropped by the peer. Raw-byte servers (malformed HTTP, silence) are in the
suites that need them.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, NamedTuple, Self


class Reply(NamedTuple):
    status: int
    headers: dict[str, str]
    body: bytes


class Headers(dict[str, str]):
    """Request headers, names lower-cased, looked up in any case (as HTTP defines them)."""

    def __getitem__(self, name: str) -> str:
        return super().__getitem__(name.lower())

    def get(self, name: str, default: Any = None) -> Any:
        return super().get(name.lower(), default)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and super().__contains__(name.lower())


class Exchange(NamedTuple):
    """One request as the server saw it."""

    method: str
    path: str
    headers: Headers
    body: bytes


Step = int | Reply | tuple[int, dict[str, str], bytes] | tuple[str, float]
OK = Reply(200, {"Content-Type": "application/json"}, b'{"ok": true}')


class FakeHttpServer:
    """A recording, scripted HTTP server; use it as a context manager."""

    def __init__(
        self,
        script: list[Step] | None = None,
        *,
        routes: dict[str, Step] | None = None,
        default: Step = 200,
        repeat_last: bool = False,
        drop_connections: bool = False,
        path: str = "/",
    ) -> None:
        self.script: list[Step] = list(script or [])
        self.routes = dict(routes or {})
        self.default = default
        self.repeat_last = repeat_last
        self.requests: list[Exchange] = []
        self.bodies: list[Any] = []  # the JSON bodies of the requests answered with 2xx
        self.connections = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                super().setup()
                with outer._lock:
                    outer.connections += 1

            def _any(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                headers = Headers((k.lower(), v) for k, v in self.headers.items())
                exchange = Exchange(self.command, self.path, headers, body)
                reply = outer._answer(exchange)
                try:
                    self.send_response(reply.status)
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(reply.body)))
                    self.end_headers()
                    self.wfile.write(reply.body)
                    self.wfile.flush()
                except OSError:
                    pass  # the client gave up
                if drop_connections:
                    self.close_connection = True

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _any

            def log_message(self, format: str, *args: object) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}{path if path != '/' else ''}"
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.02,), daemon=True)

    def _answer(self, exchange: Exchange) -> Reply:
        with self._lock:
            self.requests.append(exchange)
            route = self.routes.get(urllib.parse.unquote(exchange.path.split("?")[0]))
            if route is not None:
                step: Step = route
            elif self.script:
                step = self.script[0] if self.repeat_last and len(self.script) == 1 else self.script.pop(0)
            else:
                step = self.default
        if isinstance(step, tuple) and step[0] == "sleep":  # answer 200 late (the client may be gone)
            self._stop.wait(float(step[1]))
            step = 200
        if isinstance(step, tuple):
            reply = Reply(*step)
        else:
            reply = Reply(step, OK.headers, json.dumps({"ok": step < 300}).encode())
        if reply.status < 300 and exchange.body:
            try:
                with self._lock:
                    self.bodies.append(json.loads(exchange.body))
            except ValueError:
                pass
        return reply

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def wait_for(self, count: int, timeout_s: float = 5.0) -> list[Any]:
        """The recorded JSON bodies once there are `count` of them (or at the timeout)."""
        deadline = time.monotonic() + timeout_s
        while len(self.bodies) < count and time.monotonic() < deadline:
            time.sleep(0.01)
        return list(self.bodies)
