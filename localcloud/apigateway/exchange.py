"""One request through the front: what came in, what the pipeline learnt, the access log record."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from localcloud.apigateway.responses import GatewayError, HttpResponse
from localcloud.apigateway.spec import Operation


@dataclass
class ApiRequest:
    """One incoming request, as the pipeline sees it."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    source_ip: str = "127.0.0.1"
    protocol: str = "HTTP/1.1"
    multi_query: dict[str, list[str]] = field(default_factory=dict)

    def header(self, name: str) -> str | None:
        lowered = name.lower()
        for key, value in self.headers.items():
            if key.lower() == lowered:
                return value
        return None

    @property
    def content_type(self) -> str:
        raw = self.header("Content-Type") or "application/json"
        return raw.split(";", 1)[0].strip().lower() or "application/json"

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")


@dataclass
class Exchange:
    """State of one request through the pipeline (for the access log too)."""

    request: ApiRequest
    context: dict[str, Any]
    path_params: dict[str, str] = field(default_factory=dict)
    operation: Operation | None = None
    integration_status: int | None = None
    integration_latency_ms: int | None = None
    error: GatewayError | None = None
    stage_variables: dict[str, str] = field(default_factory=dict)  # this request's (canary or not)


def exchange_record(exchange: Exchange, response: HttpResponse, started: float) -> dict[str, Any]:
    """One access log line (the fields of a typical API Gateway JSON access log format)."""
    context = exchange.context
    request = exchange.request
    return {
        "requestId": context["requestId"],
        "ip": request.source_ip,
        "requestTime": context["requestTime"],
        "requestTimeEpoch": context["requestTimeEpoch"],
        "httpMethod": request.method,
        "path": request.path,
        "resourcePath": context.get("resourcePath") or None,
        "status": response.status,
        "protocol": request.protocol,
        "responseLength": len(response.body),
        "user": (context.get("authorizer") or {}).get("principalId") or None,
        "integrationStatus": exchange.integration_status,
        "integrationLatency": exchange.integration_latency_ms,
        "responseLatency": int((time.time() - started) * 1000),
        "errorResponseType": exchange.error.response_type if exchange.error else None,
        "errorMessage": exchange.error.message if exchange.error else None,
        "xrayTraceId": context["xrayTraceId"],
    }
