"""The Lambda Function URL shell (payload format 2.0): the request out of the event, the answer as
the response object Lambda turns into HTTP.

    request = UrlRequest(event)   # .method .path .query .request_id .json() (ValidationError -> 400)
    respond(202, {"accepted": True})
"""

from __future__ import annotations

from lambda_runtime import jsonlite

from ..errors import ValidationError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


class UrlRequest:
    """One Function URL request."""

    __slots__ = ("body", "method", "path", "query", "request_id")

    def __init__(self, event: dict[str, Any]) -> None:
        context = event.get("requestContext") or {}
        http = context.get("http") or {}
        self.method = str(http.get("method", "")).upper()
        self.path = str(event.get("rawPath") or http.get("path") or "/")
        self.query: dict[str, str] = dict(event.get("queryStringParameters") or {})
        self.request_id = str(context.get("requestId", ""))
        body = event.get("body")
        if body is not None and event.get("isBase64Encoded"):
            import binascii

            try:
                body = binascii.a2b_base64(str(body).encode("ascii")).decode("utf-8")
            except (ValueError, UnicodeError) as exc:
                raise ValidationError("body", f"is not base64 UTF-8: {exc}") from None
        self.body: str | None = body

    def json(self) -> Any:
        """The body as JSON; ValidationError if it is missing or not JSON."""
        if not self.body:
            raise ValidationError("body", "missing")
        try:
            return jsonlite.loads(self.body)
        except ValueError as exc:
            raise ValidationError("body", f"is not JSON: {exc}") from None

    def query_int(self, name: str, default: int) -> int:
        text = self.query.get(name, "")
        if not text:
            return default
        try:
            return int(text)
        except ValueError:
            raise ValidationError(name, f"must be an integer, got {text!r}") from None


def respond(status: int, body: Any) -> dict[str, Any]:
    """The Function URL response object: status, JSON content type, JSON body."""
    return {
        "statusCode": status,
        "headers": {"Content-Type": "application/json"},
        "body": jsonlite.dumps(body, separators=(",", ":")),
    }


def bad_request(exc: ValidationError) -> dict[str, Any]:
    return respond(400, {"error": "BAD_REQUEST", "message": exc.message})


def not_found(request: UrlRequest) -> dict[str, Any]:
    return respond(404, {"error": "NOT_FOUND", "message": f"no route {request.method} {request.path}"})
