"""The runtime's lean HTTP/1.1 client against a raw TCP server that answers with scripted bytes."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest

from lambda_runtime.client import HttpConnection, RuntimeApiError


class ScriptedServer:
    """Accepts connections on 127.0.0.1; per connection, answers each request with the next script item.

    A script item is the raw response bytes; ``CLOSE`` after an item closes the connection silently.
    """

    CLOSE = b"<close>"

    def __init__(self, connections: list[list[bytes]]) -> None:
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen()
        self.listener.settimeout(10)
        self.address = f"127.0.0.1:{self.listener.getsockname()[1]}"
        self.scripts = connections
        self.requests: list[bytes] = []
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _read_request(self, conn: socket.socket) -> bytes:
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = conn.recv(65536)
            if not chunk:
                return data
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        while len(body) < length:
            body += conn.recv(65536)
        return head + b"\r\n\r\n" + body

    def _serve(self) -> None:
        for script in self.scripts:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            with conn:
                for item in script:
                    if item == self.CLOSE:
                        break
                    request = self._read_request(conn)
                    if not request:
                        break
                    self.requests.append(request)
                    conn.sendall(item)

    def close(self) -> None:
        self.listener.close()
        self.thread.join(timeout=10)


@pytest.fixture
def serve() -> Iterator[list[ScriptedServer]]:
    servers: list[ScriptedServer] = []
    yield servers
    for server in servers:
        server.close()


def start(servers: list[ScriptedServer], *connections: list[bytes]) -> ScriptedServer:
    server = ScriptedServer(list(connections))
    servers.append(server)
    return server


OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nLambda-Runtime-Aws-Request-Id: r1\r\n\r\nok"


def test_content_length_body_headers_and_request_shape(serve: list[ScriptedServer]) -> None:
    server = start(serve, [OK])
    http = HttpConnection(server.address)
    response = http.request("POST", "/path", b'{"a":1}', {"Content-Type": "application/json"})
    assert (response.status, response.body) == (200, b"ok")
    assert response.headers["lambda-runtime-aws-request-id"] == "r1"
    request = server.requests[0]
    assert request.startswith(b"POST /path HTTP/1.1\r\n")
    assert b"\r\nContent-Length: 7\r\n" in request and request.endswith(b'\r\n\r\n{"a":1}')
    assert f"Host: {server.address}".encode() in request


def test_chunked_body(serve: list[ScriptedServer]) -> None:
    chunked = (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"5\r\nhello\r\n7;ext=1\r\n, world\r\n0\r\nTrailer: x\r\n\r\n"
    )
    server = start(serve, [chunked, OK])
    http = HttpConnection(server.address)
    assert http.request("GET", "/a").body == b"hello, world"
    assert http.request("GET", "/b").body == b"ok"  # the same connection goes on after the trailer
    assert http.connections_opened == 1


def test_http10_body_to_close_then_reconnect(serve: list[ScriptedServer]) -> None:
    server = start(serve, [b"HTTP/1.0 200 OK\r\n\r\nuntil close", ScriptedServer.CLOSE], [OK])
    http = HttpConnection(server.address)
    assert http.request("GET", "/a").body == b"until close"
    assert http.request("GET", "/b").body == b"ok"
    assert http.connections_opened == 2


def test_stale_kept_alive_connection_is_replaced(serve: list[ScriptedServer]) -> None:
    server = start(serve, [OK, ScriptedServer.CLOSE], [OK])  # the peer drops the idle connection
    http = HttpConnection(server.address)
    assert http.request("GET", "/a").status == 200
    assert http.request("GET", "/b").status == 200
    assert http.connections_opened == 2


def test_not_http_is_a_clear_error(serve: list[ScriptedServer]) -> None:
    server = start(serve, [b"SSH-2.0-OpenSSH\r\n"])
    with pytest.raises(RuntimeApiError, match="not an HTTP response"):
        HttpConnection(server.address).request("GET", "/a")


def test_nothing_listening_is_a_clear_error() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(RuntimeApiError, match="cannot connect"):
        HttpConnection(f"127.0.0.1:{port}").request("GET", "/a")


@pytest.mark.parametrize("address", ["", "localhost", "host:port"])
def test_malformed_address(address: str) -> None:
    with pytest.raises(RuntimeApiError, match="host:port"):
        HttpConnection(address)
