"""The request pipeline shared by every service: resolve, sign, send, parse errors, retry with backoff."""

from __future__ import annotations

import time

from ..backoff import full_jitter
from . import config
from .errors import AwsError
from .sigv4 import amz_date, form_encode, host_header, sign
from .transport import BadResponse, Response, Transport

TYPE_CHECKING = False
if TYPE_CHECKING:
    import ssl
    from collections.abc import Callable, Mapping, Sequence

    from .sigv4 import Credentials

USER_AGENT = "remote-services-lean-aws/1.0"


class Client:
    """Base of DynamoDB, Sqs and Sns.

    Region, credentials and endpoint are read from the environment on every call unless given
    here, so a client made at import time follows the environment. Retries: `max_attempts` in all,
    on throttling, 5xx, timeouts and connection errors, sleeping uniform(0, min(cap, base * 2**n)).
    """

    service = ""  # name in errors, e.g. "DynamoDB"
    signing_name = ""  # SigV4 service name, e.g. "dynamodb"
    service_id = ""  # AWS_ENDPOINT_URL_<service_id>
    host_prefix = ""  # https://<host_prefix>.<region>.amazonaws.com

    def __init__(
        self,
        *,
        region: str | None = None,
        endpoint_url: str | None = None,
        credentials: Credentials | None = None,
        connect_timeout: float = 2.0,
        read_timeout: float = 2.0,
        max_attempts: int = 3,
        backoff_base: float = 0.025,
        backoff_cap: float = 1.0,
        tls_context: ssl.SSLContext | None = None,
    ) -> None:
        if max_attempts < 1:
            raise ValueError("max_attempts must be >= 1")
        self.region = region
        self.endpoint_url = endpoint_url
        self.credentials = credentials
        self.max_attempts = max_attempts
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.transport = Transport(connect_timeout, read_timeout, tls_context)
        self.sleep: Callable[[float], None] = time.sleep

    def __repr__(self) -> str:
        return f"{type(self).__name__}(region={self.region!r}, endpoint_url={self.endpoint_url!r})"

    def close(self) -> None:
        """Close the kept-alive connections (they are also dropped with the client)."""
        self.transport.close()

    def backoff(self, attempt: int) -> float:
        """Full jitter: a random delay in [0, min(cap, base * 2**(attempt - 1))] seconds."""
        return full_jitter(self.backoff_base, attempt - 1, self.backoff_cap)

    def parse_error(self, operation: str, response: Response) -> AwsError:
        """The AwsError for a non-2xx response (protocol specific)."""
        raise NotImplementedError

    def send(
        self,
        operation: str,
        headers: Mapping[str, str],
        body: bytes,
        query: Sequence[tuple[str, str]] = (),
    ) -> Response:
        """POST `body` to the service endpoint, signed; return the 2xx response or raise AwsError."""
        region = config.region(self.service, operation, self.region)
        creds = config.credentials(self.service, operation, self.credentials)
        try:
            ep = config.endpoint(self.service_id, self.host_prefix, region, self.endpoint_url)
        except ValueError as exc:
            raise AwsError(self.service, operation, "InvalidEndpoint", str(exc)) from None
        path = ep.path
        if query:
            path += "?" + form_encode(query)
        base = {"Host": host_header(ep.host, ep.port, ep.scheme), **headers}
        attempt = 0
        while True:
            attempt += 1
            signed = sign(
                method="POST",
                path=ep.path,
                query=query,
                headers=base,
                body=body,
                credentials=creds,
                region=region,
                service=self.signing_name,
                timestamp=amz_date(),
            )
            all_headers = {**base, **signed, "User-Agent": USER_AGENT}
            error: AwsError
            try:
                response = self.transport.request(
                    ep.scheme, ep.host, ep.port, "POST", path, all_headers, body
                )
            except TimeoutError as exc:
                error = AwsError(
                    self.service, operation, "Timeout", f"no answer from {ep.url}: {exc}", retryable=True
                )
                cause: BaseException | None = exc
            except OSError as exc:  # refused, reset, TLS failure, malformed or truncated response
                verify_failed = type(exc).__name__ == "SSLCertVerificationError"
                what = "bad response from" if isinstance(exc, BadResponse) else "cannot reach"
                error = AwsError(
                    self.service,
                    operation,
                    "ConnectionError",
                    f"{what} {ep.url}: {exc!r}",
                    retryable=not verify_failed,
                )
                cause = exc
            else:
                if 200 <= response.status < 300:
                    return response
                error = self.parse_error(operation, response)
                cause = None
            error.attempts = attempt
            if not error.retryable or attempt >= self.max_attempts:
                raise error from cause
            self.sleep(self.backoff(attempt))
