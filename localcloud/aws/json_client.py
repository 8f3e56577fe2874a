"""AWS JSON 1.0 calls (SQS, Step Functions) from the local cloud's own pollers, without botocore.

API::

    sqs = JsonApi(endpoint_url=endpoint.url, region="us-east-1", service="sqs", target_prefix="AmazonSQS")
    sqs.call("ReceiveMessage", {"QueueUrl": url, "MaxNumberOfMessages": 10})  -> dict
    # raises AwsCallError(status, code, message) on a non-200 answer

When `endpoint_url` is an `AwsEndpoint` of this process (`localcloud.aws.in_process`), the call
goes straight to it (moto's WSGI application, or the emulated StartSyncExecution); otherwise it
is POSTed to the endpoint over kept-alive HTTP. botocore costs ~1-2 ms of CPU per call, which the
pollers pay on every receive and delete, in the one process (and GIL) that also runs moto.
"""

from __future__ import annotations

import json
from typing import Any, Protocol

from localcloud.aws import in_process
from localcloud.aws.moto_proxy import MotoClient


class AwsCallError(Exception):
    """A non-200 answer."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{code or status}: {message}")
        self.status = status
        self.code = code
        self.message = message


class _Transport(Protocol):
    def call_json(self, target: str, payload: dict[str, Any], authorization: str) -> tuple[int, bytes]: ...


class JsonApi:
    """See the module docstring."""

    def __init__(self, endpoint_url: str, region: str, service: str, target_prefix: str) -> None:
        endpoint = in_process.endpoint_at(endpoint_url)
        self.transport: _Transport = endpoint if endpoint is not None else MotoClient(endpoint_url)
        self.in_process = endpoint is not None
        self.target_prefix = target_prefix
        self.authorization = (
            f"AWS4-HMAC-SHA256 Credential=localcloud/20260101/{region}/{service}/aws4_request, "
            "SignedHeaders=host, Signature=0"
        )

    def call(self, action: str, payload: dict[str, Any]) -> dict[str, Any]:
        status, data = self.transport.call_json(f"{self.target_prefix}.{action}", payload, self.authorization)
        try:
            answer = json.loads(data) if data.strip() else {}
        except ValueError:
            answer = {"message": data[:300].decode("utf-8", "replace")}
        if status != 200:
            code = str(answer.get("__type") or answer.get("code") or "").rpartition("#")[2]
            raise AwsCallError(status, code, str(answer.get("message") or answer.get("Message") or ""))
        if not isinstance(answer, dict):
            raise AwsCallError(status, "InvalidResponse", f"{action} answered {answer!r:.200}")
        return answer
