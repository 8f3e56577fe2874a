"""Requests to moto, from the endpoint in front of it: over kept-alive HTTP (`MotoClient`), or,
when moto runs in this process, by calling moto's views directly (`localcloud.aws.moto_dispatch`)
or else its WSGI application (`InProcessMoto`).

    moto = moto_transport(moto_url, in_process=True)      # InProcessMoto if moto is of this process
    status, headers, body = moto.request("POST", "/", body, headers)
    status, body = moto.call_json("AWSStepFunctions.DescribeExecution", {...}, authorization)
"""

from __future__ import annotations

import http.client
import json
import socket
import threading
import urllib.parse
from collections.abc import Iterable
from typing import Any

from localcloud.aws.http_common import HOP_BY_HOP
from localcloud.aws.moto_dispatch import MotoDispatch
from localcloud.aws.moto_server import MotoServer
from localcloud.aws.wsgi_environ import build_environ


class _MotoTransport:
    """One request to moto (`request`), and a JSON 1.0 call built on it (`call_json`)."""

    host: str
    port: int

    def request(
        self, method: str, path: str, body: bytes, headers: Iterable[tuple[str, str]]
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        raise NotImplementedError

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


class _NoDelayConnection(http.client.HTTPConnection):
    """http.client sends a request's headers and its body in two writes: without TCP_NODELAY,
    Nagle's algorithm and the peer's delayed ACK hold the body back ~40 ms."""

    def connect(self) -> None:
        super().connect()
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class MotoClient(_MotoTransport):
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
            conn = _NoDelayConnection(self.host, self.port, timeout=self.timeout_s)
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


class InProcessMoto(_MotoTransport):
    """moto in this process, called directly: the same requests as `MotoClient`, without the second
    HTTP hop (its parsing, sockets and server thread). A request goes to moto's view through
    `MotoDispatch` (no Flask request context, routing per request or WSGI round trip) when that
    resolves it exactly as moto's WSGI application would, else to the WSGI application
    (`request_wsgi`); `direct=False` sends every request to the WSGI application."""

    def __init__(self, app: Any, host: str, port: int, direct: bool = True) -> None:
        self.app = app
        self.host = host
        self.port = port
        self.direct = MotoDispatch(app) if direct else None

    def request(
        self, method: str, path: str, body: bytes, headers: Iterable[tuple[str, str]]
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        environ = build_environ(method, path, body, headers, self.host, self.port)
        if self.direct is not None:
            answer = self.direct.dispatch(environ)
            if answer is not None:
                return answer
        return self._call_app(environ)

    def request_wsgi(
        self, method: str, path: str, body: bytes, headers: Iterable[tuple[str, str]]
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        """The request through moto's WSGI application only."""
        return self._call_app(build_environ(method, path, body, headers, self.host, self.port))

    def _call_app(self, environ: dict[str, Any]) -> tuple[int, list[tuple[str, str]], bytes]:
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


def moto_transport(moto_url: str, in_process: bool = True) -> MotoClient | InProcessMoto:
    """`InProcessMoto` when `moto_url` is a started `MotoServer` of this process (and `in_process`),
    else `MotoClient`."""
    server = MotoServer.running_at(moto_url) if in_process else None
    if server is not None:
        return InProcessMoto(server.app, server.host, server.port)
    return MotoClient(moto_url)
