"""Gateway responses (``x-amazon-apigateway-gateway-responses``) and the errors that raise them."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from localcloud.apigateway.vtl import MappingError, VtlInput, render

# response type -> (default status, default message)
DEFAULTS: dict[str, tuple[int, str]] = {
    "ACCESS_DENIED": (403, "Forbidden"),
    "API_CONFIGURATION_ERROR": (500, "Internal server error"),
    "AUTHORIZER_CONFIGURATION_ERROR": (500, "Internal server error"),
    "AUTHORIZER_FAILURE": (500, "Internal server error"),
    "BAD_REQUEST_PARAMETERS": (400, "Bad request"),
    "BAD_REQUEST_BODY": (400, "Invalid request body"),
    "DEFAULT_4XX": (400, "Bad request"),
    "DEFAULT_5XX": (500, "Internal server error"),
    "EXPIRED_TOKEN": (403, "Forbidden"),
    "INTEGRATION_FAILURE": (504, "Internal server error"),
    "INTEGRATION_TIMEOUT": (504, "Endpoint request timed out"),
    "INVALID_API_KEY": (403, "Forbidden"),
    "INVALID_SIGNATURE": (403, "Forbidden"),
    "MISSING_AUTHENTICATION_TOKEN": (403, "Missing Authentication Token"),
    "QUOTA_EXCEEDED": (429, "Limit Exceeded"),
    "REQUEST_TOO_LARGE": (413, "Request Too Large"),
    "RESOURCE_NOT_FOUND": (404, "Not Found"),
    "THROTTLED": (429, "Too Many Requests"),
    "UNAUTHORIZED": (401, "Unauthorized"),
    "UNSUPPORTED_MEDIA_TYPE": (415, "Unsupported Media Type"),
    "WAF_FILTERED": (403, "Forbidden"),
}

DEFAULT_TEMPLATE = '{"message":$context.error.messageString}'


class GatewayError(Exception):
    """Stop the request and answer with the gateway response of ``response_type``."""

    def __init__(
        self,
        response_type: str,
        message: str | None = None,
        validation: str | None = None,
        status: int | None = None,
    ) -> None:
        self.response_type = response_type
        default_status, default_message = DEFAULTS.get(response_type, (500, "Internal server error"))
        self.message = default_message if message is None else message
        self.validation = validation
        self.status = default_status if status is None else status
        super().__init__(f"{response_type}: {self.message}")


@dataclass
class HttpResponse:
    """What the front sends back."""

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""


def render_gateway_response(
    config: Mapping[str, Any],
    error: GatewayError,
    context: dict[str, Any],
    stage_variables: Mapping[str, str],
    request_value: Callable[[str], str | None],
) -> HttpResponse:
    """The response for ``error``: its own configuration, else DEFAULT_4XX/5XX, else AWS's default."""
    status = error.status
    context["error"] = {
        "message": error.message,
        "messageString": json.dumps(error.message),
        "responseType": error.response_type,
        # JSON-string safe, so that '"message": "$context.error.validationErrorString"' stays valid JSON
        "validationErrorString": json.dumps(error.validation or "", ensure_ascii=False)[1:-1],
    }
    specific = config.get(error.response_type)
    fallback = config.get("DEFAULT_4XX" if status < 500 else "DEFAULT_5XX")
    chosen: Mapping[str, Any] = specific or fallback or {}
    if specific and specific.get("statusCode") is not None:
        status = int(specific["statusCode"])
    templates: Mapping[str, str] = chosen.get("responseTemplates") or {}
    content_type = (
        "application/json" if "application/json" in templates or not templates else next(iter(templates))
    )
    template = templates.get(content_type, DEFAULT_TEMPLATE)
    try:
        body = render(template, VtlInput(""), context, stage_variables)
    except MappingError:
        body = json.dumps({"message": error.message})
    headers = {"Content-Type": content_type, "x-amzn-ErrorType": _error_type(error.response_type)}
    for target, source in (chosen.get("responseParameters") or {}).items():
        if str(target).startswith("gatewayresponse.header."):
            value = request_value(str(source))
            if value is not None:
                headers[str(target)[len("gatewayresponse.header.") :]] = value
    return HttpResponse(status, headers, body.encode("utf-8"))


def _error_type(response_type: str) -> str:
    return {
        "MISSING_AUTHENTICATION_TOKEN": "MissingAuthenticationTokenException",
        "UNAUTHORIZED": "UnauthorizedException",
        "ACCESS_DENIED": "AccessDeniedException",
        "BAD_REQUEST_BODY": "BadRequestException",
        "BAD_REQUEST_PARAMETERS": "BadRequestException",
    }.get(
        response_type,
        "InternalServerErrorException"
        if DEFAULTS.get(response_type, (500,))[0] >= 500
        else "BadRequestException",
    )
