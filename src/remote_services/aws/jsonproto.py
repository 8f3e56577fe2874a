"""The AWS JSON 1.0 protocol (DynamoDB, SQS): X-Amz-Target, JSON in, JSON out, JSON errors."""

from __future__ import annotations

from lambda_runtime import jsonlite

from .client import Client
from .errors import AwsError, parse_json_error

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

    from .transport import Response


class JsonClient(Client):
    """A JSON 1.0 protocol service: `call(operation, request)` for any of its operations."""

    target_prefix = ""  # X-Amz-Target is "<target_prefix>.<Operation>"

    def parse_error(self, operation: str, response: Response) -> AwsError:
        return parse_json_error(self.service, operation, response.status, response.headers, response.body)

    def call(self, operation: str, request: Mapping[str, Any]) -> dict[str, Any]:
        """Send `request` (the low-level JSON shape of the API reference) and return the parsed response."""
        try:
            body = jsonlite.dumps(request, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        except (TypeError, ValueError) as exc:
            raise TypeError(f"{self.service} {operation}: request is not JSON-serializable: {exc}") from exc
        headers = {
            "Content-Type": "application/x-amz-json-1.0",
            "X-Amz-Target": f"{self.target_prefix}.{operation}",
        }
        response = self.send(operation, headers, body)
        if not response.body:
            return {}
        try:
            parsed = jsonlite.loads(response.body)
        except ValueError as exc:
            raise AwsError(
                self.service,
                operation,
                "InvalidResponse",
                f"response is not JSON: {response.body[:200]!r}",
                status=response.status,
                request_id=response.headers.get("x-amzn-requestid"),
            ) from exc
        if not isinstance(parsed, dict):
            raise AwsError(
                self.service,
                operation,
                "InvalidResponse",
                "response is not a JSON object",
                status=response.status,
            )
        return parsed
