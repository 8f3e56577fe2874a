"""A minimal HTTP/1.1 client for the Runtime API: one kept-alive TCP connection, reconnect if dropped.

``http.client`` costs ~35 ms of imports on CPython (it pulls in ``email``, ``ssl``, ``urllib``) and
even ``socket.py`` costs a few (``selectors``, ``enum`` conversions, three extension modules). The
Runtime API is plain HTTP on a local socket, so this speaks just enough HTTP/1.1 directly over the
``_socket`` built-in: ``Content-Length`` and chunked bodies, keep-alive, and read-to-close for
HTTP/1.0 answers.
"""

import _socket

_MAX_LINE = 65536
_RECV = 65536


class RuntimeApiError(Exception):
    """The Runtime API could not be reached or answered with something that is not HTTP."""


class Response:
    """A status code, headers (lower-case names) and the body."""

    __slots__ = ("body", "headers", "status")

    def __init__(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.status = status
        self.headers = headers
        self.body = body


class _Reader:
    """Buffered reads (lines, exact sizes, to end of stream) over a ``_socket.socket``."""

    __slots__ = ("_buffer", "_sock")

    def __init__(self, sock: "_socket.socket") -> None:
        self._sock = sock
        self._buffer = bytearray()

    def _fill(self) -> bool:
        chunk = self._sock.recv(_RECV)
        if not chunk:
            return False
        self._buffer += chunk
        return True

    def readline(self, limit: int) -> bytes:
        """One line with its newline (up to ``limit + 1`` bytes); what is left at end of stream."""
        start = 0
        while True:
            index = self._buffer.find(b"\n", start)
            if index >= 0:
                return self._take(index + 1)
            if len(self._buffer) > limit:
                return self._take(limit + 1)
            start = len(self._buffer)
            if not self._fill():
                return self._take(len(self._buffer))

    def read(self, size: int) -> bytes:
        """``size`` bytes, or fewer at end of stream."""
        while len(self._buffer) < size and self._fill():
            pass
        return self._take(min(size, len(self._buffer)))

    def read_to_end(self) -> bytes:
        """Everything until the peer closes the connection."""
        while self._fill():
            pass
        return self._take(len(self._buffer))

    def _take(self, size: int) -> bytes:
        data = bytes(self._buffer[:size])
        del self._buffer[:size]
        return data


class HttpConnection:
    """One persistent connection to ``host:port``; reopened transparently when the peer closed it."""

    def __init__(self, address: str) -> None:
        host, sep, port = address.rpartition(":")
        if not sep or not port.isdigit():
            raise RuntimeApiError(f"AWS_LAMBDA_RUNTIME_API must be host:port, got {address!r}")
        self.host = host.strip("[]") or "127.0.0.1"
        self.port = int(port)
        self._host_header = address
        self._sock: _socket.socket | None = None
        self._reader: _Reader | None = None
        self.connections_opened = 0

    def _connect(self) -> None:
        error: OSError | None = None
        try:
            # bytes: a str host makes getaddrinfo import encodings.idna, stringprep, unicodedata (~2.5 ms)
            host = self.host.encode("ascii") if self.host.isascii() else self.host
            candidates = _socket.getaddrinfo(host, self.port, 0, _socket.SOCK_STREAM)
        except OSError as exc:
            raise RuntimeApiError(f"cannot resolve the Runtime API host {self.host!r}: {exc}") from exc
        for family, kind, proto, _, address in candidates:
            sock = _socket.socket(family, kind, proto)
            try:
                sock.connect(address)
            except OSError as exc:
                sock.close()
                error = exc
                continue
            sock.setsockopt(_socket.IPPROTO_TCP, _socket.TCP_NODELAY, 1)
            self._sock = sock
            self._reader = _Reader(sock)
            self.connections_opened += 1
            return
        raise RuntimeApiError(f"cannot connect to the Runtime API at {self._host_header}: {error}")

    def close(self) -> None:
        """Close the connection (the next request opens a new one)."""
        if self._sock is not None:
            try:  # noqa: SIM105 (contextlib would cost an import)
                self._sock.close()
            except OSError:
                pass
        self._sock = None
        self._reader = None

    def request(
        self, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None
    ) -> Response:
        """Send one request and read the whole response; retry once on a stale kept-alive connection."""
        reused = self._sock is not None
        try:
            return self._exchange(method, path, body, headers)
        except (OSError, _ConnectionDropped) as exc:
            self.close()
            if not reused:
                raise RuntimeApiError(f"{method} {path} failed: {exc}") from exc
        try:
            return self._exchange(method, path, body, headers)
        except (OSError, _ConnectionDropped) as exc:
            self.close()
            raise RuntimeApiError(f"{method} {path} failed after reconnecting: {exc}") from exc

    def _exchange(self, method: str, path: str, body: bytes, headers: dict[str, str] | None) -> Response:
        if self._sock is None:
            self._connect()
        sock = self._sock
        assert sock is not None
        head = f"{method} {path} HTTP/1.1\r\nHost: {self._host_header}\r\nContent-Length: {len(body)}\r\n"
        if headers:
            for name, value in headers.items():
                head += f"{name}: {value}\r\n"
        sock.sendall(head.encode("latin-1") + b"\r\n" + body)
        return self._read_response()

    def _file(self) -> _Reader:
        if self._reader is None:
            raise _ConnectionDropped("connection already closed")
        return self._reader

    def _readline(self) -> bytes:
        line = self._file().readline(_MAX_LINE)
        if len(line) > _MAX_LINE:
            raise RuntimeApiError("Runtime API sent a header line longer than 64 KiB")
        return line

    def _read_response(self) -> Response:
        status_line = self._readline()
        if not status_line:
            raise _ConnectionDropped("connection closed by the Runtime API")
        parts = status_line.split(None, 2)
        if len(parts) < 2 or not parts[0].startswith(b"HTTP/") or not parts[1].isdigit():
            raise RuntimeApiError(f"not an HTTP response: {status_line[:80]!r}")
        version, status = parts[0], int(parts[1])
        headers: dict[str, str] = {}
        while True:
            line = self._readline()
            if not line:
                raise _ConnectionDropped("connection closed in the middle of the headers")
            if line in (b"\r\n", b"\n"):
                break
            name, _, value = line.decode("latin-1").partition(":")
            headers[name.strip().lower()] = value.strip()
        body = self._read_body(headers)
        connection = headers.get("connection", "").lower()
        if connection == "close" or (version == b"HTTP/1.0" and connection != "keep-alive"):
            self.close()
        return Response(status, headers, body)

    def _read_body(self, headers: dict[str, str]) -> bytes:
        if "chunked" in headers.get("transfer-encoding", "").lower():
            chunks: list[bytes] = []
            while True:
                size_line = self._readline()
                if not size_line:
                    raise _ConnectionDropped("connection closed in a chunked body")
                size = int(size_line.split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    while self._readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self._read_exact(size))
                self._readline()
        length = headers.get("content-length")
        if length is not None:
            return self._read_exact(int(length))
        data = self._file().read_to_end()
        self.close()
        return data

    def _read_exact(self, size: int) -> bytes:
        data = self._file().read(size)
        if len(data) != size:
            raise _ConnectionDropped(f"connection closed after {len(data)} of {size} body bytes")
        return data


class _ConnectionDropped(Exception):
    """The peer closed the connection before a full response arrived."""
