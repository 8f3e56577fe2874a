"""Connections to AWS endpoints: one kept-alive connection per host, timeouts, TLS for https.

The wire format is `lambda_runtime.http11`, the same lean HTTP/1.1 the Runtime API client speaks
(no `http.client`, no `socket.py` for plain HTTP: see there for the cold-start reasons).
"""

from __future__ import annotations

import _socket

from lambda_runtime.http11 import (
    BadResponse,
    Connection,
    ConnectionDropped,
    Response,
    encode_request,
    open_tcp,
)

__all__ = ["BadResponse", "ConnectionDropped", "Response", "Transport", "default_tls_context"]

TYPE_CHECKING = False
if TYPE_CHECKING:
    import socket
    import ssl
    from collections.abc import Mapping

_ssl_context: ssl.SSLContext | None = None


def default_tls_context() -> ssl.SSLContext:
    """The default TLS context (certificates and host names checked), created once: loading CAs is costly."""
    global _ssl_context
    if _ssl_context is None:
        import ssl

        _ssl_context = ssl.create_default_context()
    return _ssl_context


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
        self._idle: dict[tuple[str, str, int], Connection] = {}
        self.connections_opened = 0

    def _connect(self, scheme: str, host: str, port: int) -> Connection:
        sock: _socket.socket | socket.socket
        if scheme == "https":  # ssl needs socket.socket (and imports socket.py anyway)
            import socket

            sock = socket.create_connection((host, port), timeout=self.connect_timeout)
        else:
            sock = open_tcp(host, port, self.connect_timeout)
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
        return Connection(sock)

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
        request = encode_request(method, path, headers, body)
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
