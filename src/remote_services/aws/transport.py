"""HTTP transport: http.client, one kept-alive connection per host, connect and read timeouts."""

from __future__ import annotations

import http.client

TYPE_CHECKING = False
if TYPE_CHECKING:
    import ssl
    from collections.abc import Mapping

# Errors that mean "the idle kept-alive connection was closed by the other side": reconnect once.
_DROPPED = (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError, ConnectionAbortedError)

_ssl_context: ssl.SSLContext | None = None


def _tls() -> ssl.SSLContext:
    """The default TLS context (certificate and host name checks), created once: loading CAs is costly."""
    global _ssl_context
    if _ssl_context is None:
        import ssl

        _ssl_context = ssl.create_default_context()
    return _ssl_context


class Response:
    """A complete HTTP response: status, lower-cased headers, body."""

    __slots__ = ("body", "headers", "status")

    def __init__(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.status = status
        self.headers = headers
        self.body = body


class Transport:
    """Sends requests over one kept-alive connection per (scheme, host, port).

    A connection is taken out of the pool while in use, so concurrent threads never share one
    (a second thread opens its own; only one is kept when both are done).
    """

    def __init__(self, connect_timeout: float = 2.0, read_timeout: float = 2.0) -> None:
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self._idle: dict[tuple[str, str, int], http.client.HTTPConnection] = {}
        self.connections_opened = 0

    def _connect(self, scheme: str, host: str, port: int) -> http.client.HTTPConnection:
        conn: http.client.HTTPConnection
        if scheme == "https":
            conn = http.client.HTTPSConnection(host, port, timeout=self.connect_timeout, context=_tls())
        else:
            conn = http.client.HTTPConnection(host, port, timeout=self.connect_timeout)
        conn.connect()
        if conn.sock is not None:
            conn.sock.settimeout(self.read_timeout)
        self.connections_opened += 1
        return conn

    @staticmethod
    def _exchange(
        conn: http.client.HTTPConnection, method: str, path: str, headers: Mapping[str, str], body: bytes
    ) -> tuple[Response, bool]:
        conn.request(method, path, body=body, headers=dict(headers))
        resp = conn.getresponse()
        data = resp.read()
        return Response(resp.status, {k.lower(): v for k, v in resp.getheaders()}, data), resp.will_close

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
        """Send one request and read the whole response.

        Raises TimeoutError (connect or read), OSError / http.client.HTTPException (connection errors).
        A reused connection that turns out to be dropped is replaced once, transparently.
        """
        key = (scheme, host, port)
        conn = self._idle.pop(key, None)
        try:
            if conn is not None:
                try:
                    resp, will_close = self._exchange(conn, method, path, headers, body)
                except _DROPPED:
                    conn.close()
                    conn = None
            if conn is None:
                conn = self._connect(scheme, host, port)
                resp, will_close = self._exchange(conn, method, path, headers, body)
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
