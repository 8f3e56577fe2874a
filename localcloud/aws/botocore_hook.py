"""A botocore hook: requests of a client for an AWS endpoint of this process go straight to it.

    route_in_process(client)    # a ``before-send`` hook on a botocore/boto3 client

Requests for a started `localcloud.aws.endpoint.AwsEndpoint` of this process (found by URL in
`localcloud.aws.in_process`) are answered by ``AwsEndpoint.handle`` directly: no socket, no HTTP
parsing on either side, no server thread. Requests for anything else go over HTTP as usual. Used
for the boto3 clients of moto's ASL engine (`localcloud.aws.moto_speedups`).
"""

from __future__ import annotations

import io
import urllib.parse
from typing import Any

from botocore.awsrequest import AWSResponse  # type: ignore[import-untyped, unused-ignore]
from botocore.compat import HTTPHeaders  # type: ignore[import-untyped, unused-ignore]

from localcloud.aws import in_process
from localcloud.aws.http_common import HOP_BY_HOP, endpoint_failure, header


class _RawBody(io.BytesIO):
    """What botocore reads an `AWSResponse` body from."""

    def stream(self, **_: Any) -> Any:
        chunk = self.read()
        while chunk:
            yield chunk
            chunk = self.read()


def route_in_process(client: Any) -> None:
    """Send a botocore `client`'s requests for an endpoint of this process straight to it."""
    client.meta.events.register("before-send", _send_in_process)


def _send_in_process(request: Any, **_: Any) -> Any:
    url = urllib.parse.urlsplit(request.url)
    if url.hostname not in ("localhost", "127.0.0.1") or url.port is None:
        return None
    endpoint = in_process.endpoint_at(f"http://127.0.0.1:{url.port}")
    if endpoint is None:
        return None
    path = (url.path or "/") + (f"?{url.query}" if url.query else "")
    headers = [
        (str(name), value.decode("latin-1") if isinstance(value, bytes) else str(value))
        for name, value in request.headers.items()
    ]
    if header(headers, "Host") is None:
        headers.insert(0, ("Host", url.netloc))
    body = request.body
    if body is None:
        data = b""
    elif isinstance(body, bytes | bytearray):
        data = bytes(body)
    elif isinstance(body, str):
        data = body.encode()
    else:  # a file-like body
        data = body.read()
    try:
        status, out_headers, payload = endpoint.handle(str(request.method), path, headers, data)
    except Exception as exc:  # as over HTTP: the endpoint answers whatever failed behind it
        status, out_headers, payload = endpoint_failure(exc)
    response_headers = HTTPHeaders()
    for name, value in out_headers:
        if name.lower() not in HOP_BY_HOP:
            response_headers[name] = value
    response_headers["Content-Length"] = str(len(payload))
    return AWSResponse(request.url, status, response_headers, _RawBody(payload))
