"""The AWS endpoints started in this process, by URL, so that callers of the same process (the
botocore hook, the JSON client) can hand them a request directly instead of over a socket.

    register(url, endpoint) / unregister(url, endpoint)   # done by AwsEndpoint.start / stop
    endpoint_at("http://127.0.0.1:4566") -> InProcessEndpoint | None

The Step Functions process registers a stand-in for the main process's endpoint here
(`localcloud.aws.stepfunctions_process.ParentEndpoint`: the same requests over kept-alive HTTP), so
that its Task states skip botocore's HTTP stack; it reports ``moto_in_process`` False.
"""

from __future__ import annotations

import threading
from typing import Any, Protocol


class InProcessEndpoint(Protocol):
    """What `localcloud.aws.endpoint.AwsEndpoint` offers to callers of its own process."""

    def handle(
        self, method: str, path: str, headers: list[tuple[str, str]], body: bytes
    ) -> tuple[int, list[tuple[str, str]], bytes]: ...

    def call_json(self, target: str, payload: dict[str, Any], authorization: str) -> tuple[int, bytes]: ...

    @property
    def moto_in_process(self) -> bool:
        """moto behind this endpoint runs in this process (its backends can be read in memory)."""
        ...


_endpoints: dict[str, InProcessEndpoint] = {}
_lock = threading.Lock()


def register(url: str, endpoint: InProcessEndpoint) -> None:
    with _lock:
        _endpoints[url.rstrip("/")] = endpoint


def unregister(url: str, endpoint: InProcessEndpoint) -> None:
    with _lock:
        if _endpoints.get(url.rstrip("/")) is endpoint:
            del _endpoints[url.rstrip("/")]


def endpoint_at(url: str) -> InProcessEndpoint | None:
    """The started endpoint of this process serving `url`, if any."""
    with _lock:
        return _endpoints.get(url.rstrip("/"))
