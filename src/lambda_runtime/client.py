"""The Runtime API client: one kept-alive TCP connection to ``AWS_LAMBDA_RUNTIME_API``, reopened if dropped.

The wire format is ``lambda_runtime.http11`` (shared with the AWS transport); this adds the address,
blocking reads (``/next`` waits as long as Lambda keeps the function frozen) and one transparent
reconnect when a kept-alive connection turns out to be closed.
"""

from lambda_runtime.http11 import BadResponse, Connection, Response, encode_request, open_tcp

__all__ = ["HttpConnection", "Response", "RuntimeApiError"]


class RuntimeApiError(Exception):
    """The Runtime API could not be reached or answered with something that is not HTTP."""


class HttpConnection:
    """One persistent connection to ``host:port``; reopened transparently when the peer closed it."""

    def __init__(self, address: str) -> None:
        host, sep, port = address.rpartition(":")
        if not sep or not port.isdigit():
            raise RuntimeApiError(f"AWS_LAMBDA_RUNTIME_API must be host:port, got {address!r}")
        self.host = host.strip("[]") or "127.0.0.1"
        self.port = int(port)
        self._host_header = address
        self._connection: Connection | None = None
        self.connections_opened = 0

    def _connect(self) -> Connection:
        try:
            sock = open_tcp(self.host, self.port, None)
        except OSError as exc:
            raise RuntimeApiError(f"cannot connect to the Runtime API at {self._host_header}: {exc}") from exc
        self.connections_opened += 1
        self._connection = Connection(sock)
        return self._connection

    def close(self) -> None:
        """Close the connection (the next request opens a new one)."""
        if self._connection is not None:
            try:  # noqa: SIM105 (contextlib would cost an import)
                self._connection.close()
            except OSError:
                pass
        self._connection = None

    def request(
        self, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None
    ) -> Response:
        """Send one request and read the whole response; retry once on a stale kept-alive connection."""
        request = encode_request(method, path, {"Host": self._host_header, **(headers or {})}, body)
        reused = self._connection is not None
        try:
            return self._exchange(request, method)
        except BadResponse as exc:
            self.close()
            raise RuntimeApiError(f"{method} {path}: {exc}") from exc
        except OSError as exc:  # http11.ConnectionDropped included: a stale kept-alive connection
            self.close()
            if not reused:
                raise RuntimeApiError(f"{method} {path} failed: {exc}") from exc
        try:
            return self._exchange(request, method)
        except OSError as exc:
            self.close()
            raise RuntimeApiError(f"{method} {path} failed after reconnecting: {exc}") from exc

    def _exchange(self, request: bytes, method: str) -> Response:
        connection = self._connection or self._connect()
        response, will_close = connection.exchange(request, method)
        if will_close:
            self.close()
        return response

