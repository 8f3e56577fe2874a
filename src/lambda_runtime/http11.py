"""HTTP/1.1 on the wire, shared by the Runtime API client and the AWS transport.

Not ``http.client``: it imports ``email`` (and ``ssl`` even for plain HTTP), ~20-35 ms of a cold
start. Not ``socket.py`` either for plain HTTP: its ``IntEnum`` conversions, ``selectors``,
``array`` and ``math`` cost ~5-10 ms. The ``_socket`` built-in and ``io.BufferedReader`` (``io`` is
imported by every interpreter at start) do the same work. This speaks just enough HTTP/1.1 for the
Runtime API and AWS APIs: requests with a body and ``Content-Length``; responses with
``Content-Length``, chunked, or read to close; 1xx interim responses skipped; keep-alive.
"""

from __future__ import annotations

import _socket
import io

TYPE_CHECKING = False
if TYPE_CHECKING:
    import socket
    from collections.abc import Mapping

MAX_LINE = 65536
MAX_HEADERS = 200


class ConnectionDropped(ConnectionError):
    """The peer closed the connection before a complete status line: a stale kept-alive connection."""


class BadResponse(ConnectionError):
    """The peer sent something that is not a well-formed HTTP/1.x response, or cut it short."""


class Response:
    """A complete HTTP response: status, lower-cased header names, body."""

    __slots__ = ("body", "headers", "status")

    def __init__(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.status = status
        self.headers = headers
        self.body = body


def encode_request(method: str, path: str, headers: Mapping[str, str], body: bytes) -> bytes:
    """The request's bytes; ``Content-Length`` is added (``headers`` must not carry it)."""
    head = "".join((f"{method} {path} HTTP/1.1\r\n", *(f"{k}: {v}\r\n" for k, v in headers.items())))
    return f"{head}Content-Length: {len(body)}\r\n\r\n".encode("latin-1") + body


def open_tcp(host: str, port: int, timeout: float | None) -> _socket.socket:
    """``socket.create_connection`` on the ``_socket`` built-in: each address in turn, the last error
    raised. TCP_NODELAY set; ``timeout`` (None: blocking) applies to the connect and later reads."""
    # bytes: a str host makes getaddrinfo import encodings.idna, stringprep, unicodedata (~2.5 ms)
    name: str | bytes = host.encode("ascii") if host.isascii() else host
    error: OSError | None = None
    for family, kind, proto, _, address in _socket.getaddrinfo(name, port, 0, _socket.SOCK_STREAM):
        sock = _socket.socket(family, kind, proto)
        try:
            sock.settimeout(timeout)
            sock.connect(address)
            sock.setsockopt(_socket.IPPROTO_TCP, _socket.TCP_NODELAY, 1)
        except OSError as exc:
            sock.close()
            error = exc
            continue
        return sock
    if error is not None:
        raise error
    raise OSError("getaddrinfo returns an empty list")


class _RawSocket(io.RawIOBase):
    """The raw stream ``io.BufferedReader`` reads, over a socket (what ``socket.SocketIO`` does)."""

    def __init__(self, sock: _socket.socket | socket.socket) -> None:
        super().__init__()
        self._sock = sock

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview | bytearray) -> int:  # type: ignore[override]
        return self._sock.recv_into(buffer)


class Connection:
    """One open connection: send a request, read its whole response."""

    __slots__ = ("rfile", "sock")

    def __init__(self, sock: _socket.socket | socket.socket) -> None:
        self.sock = sock
        self.rfile = io.BufferedReader(_RawSocket(sock))

    def close(self) -> None:
        try:
            self.rfile.close()
        finally:
            self.sock.close()

    def exchange(self, request: bytes, method: str) -> tuple[Response, bool]:
        """Send the request; read the whole response. Returns it and whether the connection must close."""
        self.sock.sendall(request)
        while True:  # skip 1xx interim responses
            status_line = self._line()
            if not status_line:
                raise ConnectionDropped("connection closed before a response")
            version, _, rest = status_line.decode("latin-1").strip().partition(" ")
            code = rest[:3]
            if not version.startswith("HTTP/1.") or not code.isdigit():
                raise BadResponse(f"not an HTTP response: {status_line[:80]!r}")
            status = int(code)
            headers = self._headers()
            if status >= 200:
                break
        connection = headers.get("connection", "").lower()
        will_close = "close" in connection or (version == "HTTP/1.0" and "keep-alive" not in connection)
        if method == "HEAD" or status in (204, 304):
            return Response(status, headers, b""), will_close
        if "chunked" in headers.get("transfer-encoding", "").lower():
            return Response(status, headers, self._chunked()), will_close
        length = headers.get("content-length")
        if length is not None:
            if not length.strip().isdigit():
                raise BadResponse(f"bad Content-Length {length!r}")
            return Response(status, headers, self._exact(int(length))), will_close
        return Response(status, headers, self.rfile.read()), True  # body runs to the close

    def _line(self) -> bytes:
        line = self.rfile.readline(MAX_LINE + 1)
        if len(line) > MAX_LINE:
            raise BadResponse("a response line longer than 64 KiB")
        return line

    def _exact(self, n: int) -> bytes:
        data = self.rfile.read(n)
        if len(data) < n:
            raise BadResponse(f"connection closed after {len(data)} of {n} body bytes")
        return data

    def _headers(self) -> dict[str, str]:
        headers: dict[str, str] = {}
        for _ in range(MAX_HEADERS):
            line = self._line()
            if line in (b"\r\n", b"\n"):
                return headers
            if not line:
                raise BadResponse("connection closed inside the response headers")
            name, sep, value = line.decode("latin-1").partition(":")
            if not sep:
                raise BadResponse(f"bad header line {line[:100]!r}")
            key = name.strip().lower()
            value = value.strip()
            headers[key] = f"{headers[key]}, {value}" if key in headers else value
        raise BadResponse("too many response headers")

    def _chunked(self) -> bytes:
        parts: list[bytes] = []
        while True:
            size_line = self._line().split(b";", 1)[0].strip()
            try:
                size = int(size_line, 16)
            except ValueError:
                raise BadResponse(f"bad chunk size {size_line[:20]!r}") from None
            if size == 0:
                while self._line() not in (b"\r\n", b"\n", b""):  # trailers
                    pass
                return b"".join(parts)
            parts.append(self._exact(size))
            self._line()  # the CRLF after the chunk
