"""HTTP/1.1 over `_socket` (TLS via `socket` + `ssl` for https): one kept-alive connection per host, timeouts.

Not `http.client`: it imports `email` (and `ssl` even for plain HTTP), ~20-35 ms of a cold start
that the Lambda runtime loop does not pay either. Plain HTTP does not import `socket.py` either:
its `IntEnum` conversions, `selectors`, `array` and `math` cost ~5-10 ms at a cold start; the
`_socket` built-in and a small raw reader under `io.BufferedReader` do the same work. This speaks
just enough HTTP/1.1 for AWS APIs: requests with a body and Content-Length; responses with
Content-Length, chunked, or read to close.
"""

from __future__ import annotations

import _socket
import io

TYPE_CHECKING = False
if TYPE_CHECKING:
    import socket
    import ssl
    from collections.abc import Mapping
    from io import BufferedReader

_MAX_LINE = 65536
_MAX_HEADERS = 200

_ssl_context: ssl.SSLContext | None = None


def default_tls_context() -> ssl.SSLContext:
    """The default TLS context (certificates and host names checked), created once: loading CAs is costly."""
    global _ssl_context
    if _ssl_context is None:
        import ssl

        _ssl_context = ssl.create_default_context()
    return _ssl_context


class ConnectionDropped(ConnectionError):
    """The peer closed the connection before sending a status line."""


class BadResponse(ConnectionError):
    """The peer sent something that is not a well-formed HTTP/1.x response, or cut it short."""


class Response:
    """A complete HTTP response: status, lower-cased headers, body."""

    __slots__ = ("body", "headers", "status")

    def __init__(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.status = status
        self.headers = headers
        self.body = body


class _RawSocket(io.RawIOBase):
    """The raw stream `io.BufferedReader` reads, over a `_socket.socket` (what `socket.SocketIO` does)."""

    def __init__(self, sock: _socket.socket) -> None:
        super().__init__()
        self._sock = sock

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview | bytearray) -> int:  # type: ignore[override]
        return self._sock.recv_into(buffer)


def _open_plain(host: str, port: int, timeout: float) -> _socket.socket:
    """`socket.create_connection` on the `_socket` built-in: each address in turn, the last error raised."""
    # bytes: a str host makes getaddrinfo import encodings.idna, stringprep, unicodedata
    name: str | bytes = host.encode("ascii") if host.isascii() else host
    error: OSError | None = None
    for family, kind, proto, _, address in _socket.getaddrinfo(name, port, 0, _socket.SOCK_STREAM):
        sock = _socket.socket(family, kind, proto)
        try:
            sock.settimeout(timeout)
            sock.connect(address)
        except OSError as exc:
            sock.close()
            error = exc
            continue
        return sock
    if error is not None:
        raise error
    raise OSError("getaddrinfo returns an empty list")


class _Connection:
    __slots__ = ("rfile", "sock")

    def __init__(self, sock: _socket.socket | socket.socket) -> None:
        self.sock = sock
        self.rfile: BufferedReader = io.BufferedReader(_RawSocket(sock))

    def close(self) -> None:
        try:
            self.rfile.close()
        finally:
            self.sock.close()

    def _line(self) -> bytes:
        line = self.rfile.readline(_MAX_LINE + 1)
        if len(line) > _MAX_LINE:
            raise BadResponse("response line too long")
        return line

    def _exact(self, n: int) -> bytes:
        data = self.rfile.read(n)
        if len(data) < n:
            raise BadResponse(f"connection closed after {len(data)} of {n} body bytes")
        return data

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
                raise BadResponse(f"not an HTTP/1.x status line: {status_line[:100]!r}")
            status = int(code)
            headers = self._headers()
            if status >= 200:
                break
        connection = headers.get("connection", "").lower()
        will_close = "close" in connection or (version == "HTTP/1.0" and "keep-alive" not in connection)
        if method == "HEAD" or status in (204, 304) or status < 200:
            return Response(status, headers, b""), will_close
        if "chunked" in headers.get("transfer-encoding", "").lower():
            return Response(status, headers, self._chunked()), will_close
        length = headers.get("content-length")
        if length is not None:
            if not length.strip().isdigit():
                raise BadResponse(f"bad Content-Length {length!r}")
            return Response(status, headers, self._exact(int(length))), will_close
        return Response(status, headers, self.rfile.read()), True  # body runs to the end of the connection

    def _headers(self) -> dict[str, str]:
        headers: dict[str, str] = {}
        for _ in range(_MAX_HEADERS):
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


# Errors that mean "the idle kept-alive connection was closed by the other side": reconnect once.
_DROPPED = (ConnectionDropped, BrokenPipeError, ConnectionResetError, ConnectionAbortedError)


class Transport:
    """Sends requests over one kept-alive connection per (scheme, host, port).

    A connection is taken out of the pool while in use, so concurrent threads never share one
    (a second thread opens its own; only one is kept when both are done).
    """

    def __init__(
        self,
        connect_timeout: float = 2.0,
        read_timeout: float = 2.0,
        tls_context: ssl.SSLContext | None = None,
    ) -> None:
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.tls_context = tls_context
        self._idle: dict[tuple[str, str, int], _Connection] = {}
        self.connections_opened = 0

    def _connect(self, scheme: str, host: str, port: int) -> _Connection:
        sock: _socket.socket | socket.socket
        if scheme == "https":  # ssl needs socket.socket (and imports socket.py anyway)
            import socket

            sock = socket.create_connection((host, port), timeout=self.connect_timeout)
        else:
            sock = _open_plain(host, port, self.connect_timeout)
        try:
            sock.setsockopt(_socket.IPPROTO_TCP, _socket.TCP_NODELAY, 1)
            if scheme == "https":  # the TLS handshake runs under the connect timeout
                context = self.tls_context or default_tls_context()
                sock = context.wrap_socket(sock, server_hostname=host)  # type: ignore[arg-type]
            sock.settimeout(self.read_timeout)
        except BaseException:
            sock.close()
            raise
        self.connections_opened += 1
        return _Connection(sock)

    def request(
        self,
        scheme: str,
        host: str,
        port: int,
        method: str,
        path: str,
        headers: Mapping[str, str],
        body: bytes,
    ) -> Response:
        """Send one request (headers must include Host) and read the whole response.

        Raises TimeoutError (connect or read) and other OSError (refused, reset, BadResponse, TLS).
        A reused connection that turns out to be dropped is replaced once, transparently.
        """
        head = "".join((f"{method} {path} HTTP/1.1\r\n", *(f"{k}: {v}\r\n" for k, v in headers.items())))
        request = f"{head}Content-Length: {len(body)}\r\n\r\n".encode("latin-1") + body
        key = (scheme, host, port)
        conn = self._idle.pop(key, None)
        try:
            if conn is not None:
                try:
                    resp, will_close = conn.exchange(request, method)
                except _DROPPED:
                    conn.close()
                    conn = None
            if conn is None:
                conn = self._connect(scheme, host, port)
                resp, will_close = conn.exchange(request, method)
        except BaseException:
            if conn is not None:
                conn.close()
            raise
        if will_close or self._idle.setdefault(key, conn) is not conn:
            conn.close()
        return resp

    def close(self) -> None:
        """Close every idle connection."""
        while self._idle:
            _, conn = self._idle.popitem()
            conn.close()
