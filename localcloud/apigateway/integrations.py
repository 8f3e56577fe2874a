"""Integrations: ``aws`` (action/path), ``http``, ``mock`` with mapping templates and integration
responses; ``aws_proxy`` (Lambda proxy) and ``http_proxy``."""

from __future__ import annotations

import base64
import json
import logging
import re
import time
import urllib.parse
from collections.abc import Mapping
from typing import Any

from localcloud.apigateway.backend import AwsCaller, BackendResponse, BackendUnreachable, HttpClient
from localcloud.apigateway.exchange import Exchange
from localcloud.apigateway.responses import GatewayError, HttpResponse
from localcloud.apigateway.spec import Operation
from localcloud.apigateway.vtl import BodyNotJson, MappingError, VtlInput, jsonpath, render

LOG = logging.getLogger("localcloud.apigateway")
DEFAULT_TIMEOUT_MS = 29_000


class Integrations:
    """Runs an operation's integration for an exchange that passed auth and validation."""

    def __init__(
        self,
        aws: AwsCaller,
        http: HttpClient,
        stage: str,
        account_id: str,
        api_id: str,
    ) -> None:
        self._aws = aws
        self._http = http
        self.stage = stage
        self.account_id = account_id
        self.api_id = api_id

    def run(self, exchange: Exchange, op: Operation) -> HttpResponse:
        kind = str(op.integration.get("type", "")).lower()
        if kind == "aws_proxy":
            return self._lambda_proxy(exchange, op)
        if kind == "http_proxy":
            return self._http_proxy(exchange, op)
        if kind in ("aws", "http", "mock"):
            return self._non_proxy(exchange, op, kind)
        raise GatewayError("API_CONFIGURATION_ERROR", f"unsupported integration type {kind!r}")

    # -- parameter sources -----------------------------------------------------
    def _input(self, exchange: Exchange, body: str) -> VtlInput:
        request = exchange.request
        return VtlInput(body, exchange.path_params, request.query, request.headers)

    def source_value(
        self, source: str, exchange: Exchange, backend: BackendResponse | None = None
    ) -> str | None:
        """The value of a mapping expression: ``'literal'``, ``method.request.*``, ``context.*``,
        ``stageVariables.*``, ``integration.response.header.*`` / ``.body`` / ``.body.<path>``."""
        source = source.strip()
        if len(source) >= 2 and source[0] == source[-1] == "'":
            return source[1:-1]
        request = exchange.request
        for prefix, getter in (
            ("method.request.path.", lambda n: exchange.path_params.get(n)),
            ("method.request.querystring.", lambda n: request.query.get(n)),
            (
                "method.request.multivaluequerystring.",
                lambda n: ",".join(request.multi_query.get(n, [])) or None,
            ),
            ("method.request.header.", request.header),
            ("method.request.multivalueheader.", request.header),
            ("stageVariables.", lambda n: exchange.stage_variables.get(n)),
        ):
            if source.startswith(prefix):
                value = getter(source[len(prefix) :])
                return None if value is None else str(value)
        if source.startswith("context."):
            node: Any = exchange.context
            for part in source[len("context.") :].split("."):
                node = node.get(part) if isinstance(node, Mapping) else None
            return None if node is None else str(node)
        if backend is not None:
            if source.startswith("integration.response.header."):
                name = source[len("integration.response.header.") :].lower()
                return next((v for k, v in backend.headers.items() if k.lower() == name), None)
            if source == "integration.response.body":
                return backend.body.decode("utf-8", errors="replace")
            if source.startswith("integration.response.body."):
                try:
                    doc = json.loads(backend.body or b"{}")
                except ValueError:
                    return None
                value = jsonpath(doc, "$." + source[len("integration.response.body.") :])
                return None if value is None else value if isinstance(value, str) else json.dumps(value)
        return None

    def _request_parameters(
        self, exchange: Exchange, op: Operation
    ) -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
        headers: dict[str, str] = {}
        query: dict[str, str] = {}
        path: dict[str, str] = {}
        for target, source in (op.integration.get("requestParameters") or {}).items():
            value = self.source_value(str(source), exchange)
            if value is None:
                continue
            for prefix, dest in (
                ("integration.request.header.", headers),
                ("integration.request.querystring.", query),
                ("integration.request.path.", path),
            ):
                if str(target).startswith(prefix):
                    dest[str(target)[len(prefix) :]] = value
        return headers, query, path

    # -- non-proxy integrations (aws, http, mock) ------------------------------
    def _request_body(self, exchange: Exchange, op: Operation) -> str:
        request = exchange.request
        templates: Mapping[str, str] = op.integration.get("requestTemplates") or {}
        lowered = {str(k).lower(): v for k, v in templates.items()}
        template = lowered.get(request.content_type)
        if template is None:
            behaviour = str(op.integration.get("passthroughBehavior", "when_no_match")).lower()
            if behaviour == "never" or (behaviour == "when_no_templates" and lowered):
                raise GatewayError("UNSUPPORTED_MEDIA_TYPE")
            return request.text
        try:
            return render(
                str(template), self._input(exchange, request.text), exchange.context, exchange.stage_variables
            )
        except BodyNotJson as exc:
            raise GatewayError("BAD_REQUEST_BODY", str(exc)) from exc
        except MappingError as exc:
            LOG.warning("apigateway: request template of %s %s: %s", op.method, op.resource_path, exc)
            raise GatewayError("API_CONFIGURATION_ERROR", "Internal server error") from exc

    def _non_proxy(self, exchange: Exchange, op: Operation, kind: str) -> HttpResponse:
        body = self._request_body(exchange, op)
        headers, query, path = self._request_parameters(exchange, op)
        headers.setdefault("X-Amzn-Trace-Id", f"Root={exchange.context['xrayTraceId']}")
        timeout = float(op.integration.get("timeoutInMillis", DEFAULT_TIMEOUT_MS)) / 1000.0
        started = time.time()
        if kind == "mock":
            try:
                status = int(json.loads(body or "{}").get("statusCode", 200))
            except (ValueError, AttributeError, TypeError) as exc:
                raise GatewayError("API_CONFIGURATION_ERROR", "Internal server error") from exc
            backend = BackendResponse(status, {}, b"")
        else:
            uri = str(op.integration.get("uri", ""))
            method = str(op.integration.get("httpMethod", "POST")).upper()
            try:
                if kind == "aws":
                    backend = self._aws.call(uri, method, body.encode("utf-8"), headers, query, timeout)
                else:
                    url = fill_uri(uri, {**exchange.path_params, **path}, query)
                    headers.setdefault("Content-Type", "application/json")
                    backend = self._http.request(method, url, body.encode("utf-8"), headers, timeout)
            except BackendUnreachable as exc:
                LOG.warning("apigateway: integration of %s %s: %s", op.method, op.resource_path, exc)
                raise GatewayError("INTEGRATION_TIMEOUT" if exc.timed_out else "INTEGRATION_FAILURE") from exc
            except ValueError as exc:
                raise GatewayError("API_CONFIGURATION_ERROR", "Internal server error") from exc
        exchange.integration_latency_ms = int((time.time() - started) * 1000)
        exchange.integration_status = backend.status
        return self._integration_response(exchange, op, backend)

    def _integration_response(
        self, exchange: Exchange, op: Operation, backend: BackendResponse
    ) -> HttpResponse:
        selector = str(backend.status)
        function_error = next(
            (v for k, v in backend.headers.items() if k.lower() == "x-amz-function-error"), None
        )
        if function_error is not None:
            try:
                selector = str(json.loads(backend.body).get("errorMessage", ""))
            except (ValueError, AttributeError):
                selector = backend.body.decode("utf-8", errors="replace")
        responses: Mapping[str, Any] = op.integration.get("responses") or {}
        chosen: Mapping[str, Any] | None = None
        for pattern, candidate in responses.items():
            if pattern != "default" and re.fullmatch(str(pattern), selector, re.DOTALL):
                chosen = candidate
                break
        if chosen is None:
            chosen = responses.get("default")
        if chosen is None:
            if not responses:  # no integration responses: API Gateway answers 500
                LOG.warning("apigateway: %s %s has no integration responses", op.method, op.resource_path)
            raise GatewayError("API_CONFIGURATION_ERROR", "Internal server error")
        status = int(chosen.get("statusCode", 200))
        templates: Mapping[str, str] = chosen.get("responseTemplates") or {}
        accept = (exchange.request.header("Accept") or "").split(",")[0].split(";")[0].strip().lower()
        content_type = (
            accept
            if accept in templates
            else (
                "application/json"
                if "application/json" in templates or not templates
                else next(iter(templates))
            )
        )
        text = backend.body.decode("utf-8", errors="replace")
        template = templates.get(content_type)
        if template:
            try:
                text = render(
                    str(template),
                    VtlInput(text, exchange.path_params, exchange.request.query, exchange.request.headers),
                    exchange.context,
                    exchange.stage_variables,
                )
            except (BodyNotJson, MappingError) as exc:
                LOG.warning("apigateway: response template of %s %s: %s", op.method, op.resource_path, exc)
                raise GatewayError("API_CONFIGURATION_ERROR", "Internal server error") from exc
        headers = {"Content-Type": content_type}
        for target, source in (chosen.get("responseParameters") or {}).items():
            if str(target).startswith("method.response.header."):
                value = self.source_value(str(source), exchange, backend)
                if value is not None:
                    headers[str(target)[len("method.response.header.") :]] = value
        override = exchange.context.get("responseOverride") or {}
        if override.get("status") not in (None, ""):
            try:
                status = int(override["status"])
            except (TypeError, ValueError):
                LOG.warning("apigateway: bad $context.responseOverride.status %r", override["status"])
        for name, value in (override.get("header") or {}).items():
            headers[str(name)] = str(value)
        return HttpResponse(status, headers, text.encode("utf-8"))

    # -- proxy integrations ----------------------------------------------------
    def _proxy_event(self, exchange: Exchange, op: Operation) -> dict[str, Any]:
        request = exchange.request
        context = exchange.context
        claims = context["authorizer"]["claims"]
        return {
            "resource": op.resource_path,
            "path": request.path,
            "httpMethod": request.method,
            "headers": dict(request.headers) or None,
            "multiValueHeaders": {k: [v] for k, v in request.headers.items()} or None,
            "queryStringParameters": dict(request.query) or None,
            "multiValueQueryStringParameters": dict(request.multi_query) or None,
            "pathParameters": dict(exchange.path_params) or None,
            "stageVariables": dict(exchange.stage_variables) or None,
            "requestContext": {
                "resourceId": context["resourceId"],
                "resourcePath": op.resource_path,
                "httpMethod": request.method,
                "extendedRequestId": context["requestId"],
                "requestTime": context["requestTime"],
                "path": f"/{self.stage}{request.path}",
                "accountId": self.account_id,
                "protocol": request.protocol,
                "stage": self.stage,
                "domainName": context["domainName"],
                "requestTimeEpoch": context["requestTimeEpoch"],
                "requestId": context["requestId"],
                "identity": {"sourceIp": request.source_ip, "userAgent": request.header("User-Agent")},
                "apiId": self.api_id,
                "authorizer": {"claims": claims} if claims else None,
            },
            "body": request.text if request.body else None,
            "isBase64Encoded": False,
        }

    def _lambda_proxy(self, exchange: Exchange, op: Operation) -> HttpResponse:
        payload = json.dumps(self._proxy_event(exchange, op)).encode("utf-8")
        timeout = float(op.integration.get("timeoutInMillis", DEFAULT_TIMEOUT_MS)) / 1000.0
        started = time.time()
        try:
            backend = self._aws.call(str(op.integration.get("uri", "")), "POST", payload, {}, {}, timeout)
        except BackendUnreachable as exc:
            raise GatewayError("INTEGRATION_TIMEOUT" if exc.timed_out else "INTEGRATION_FAILURE") from exc
        exchange.integration_latency_ms = int((time.time() - started) * 1000)
        exchange.integration_status = backend.status
        function_error = any(k.lower() == "x-amz-function-error" for k in backend.headers)
        try:
            result = json.loads(backend.body)
            if function_error or backend.status >= 300 or not isinstance(result, dict):
                raise ValueError("function error")
            status = int(result.get("statusCode", 200))
        except (ValueError, TypeError) as exc:
            LOG.warning(
                "apigateway: Lambda proxy error or malformed response from %s %s: %s",
                op.method,
                op.resource_path,
                backend.body[:500],
            )
            raise GatewayError("DEFAULT_5XX", "Internal server error", status=502) from exc
        headers = {str(k): str(v) for k, v in (result.get("headers") or {}).items()}
        for key, values in (result.get("multiValueHeaders") or {}).items():
            headers[str(key)] = ",".join(str(v) for v in values)
        body = result.get("body") or ""
        if result.get("isBase64Encoded"):
            data = base64.b64decode(body)
        else:
            data = (body if isinstance(body, str) else json.dumps(body)).encode("utf-8")
        headers.setdefault("Content-Type", "application/json")
        return HttpResponse(status, headers, data)

    def _http_proxy(self, exchange: Exchange, op: Operation) -> HttpResponse:
        request = exchange.request
        headers, query, path = self._request_parameters(exchange, op)
        url = fill_uri(
            str(op.integration.get("uri", "")), {**exchange.path_params, **path}, {**request.query, **query}
        )
        forward = {k: v for k, v in request.headers.items() if k.lower() not in ("host", "content-length")}
        forward.update(headers)
        timeout = float(op.integration.get("timeoutInMillis", DEFAULT_TIMEOUT_MS)) / 1000.0
        method = str(op.integration.get("httpMethod", request.method)).upper()
        if method == "ANY":
            method = request.method
        started = time.time()
        try:
            backend = self._http.request(method, url, request.body, forward, timeout)
        except BackendUnreachable as exc:
            raise GatewayError("INTEGRATION_TIMEOUT" if exc.timed_out else "INTEGRATION_FAILURE") from exc
        exchange.integration_latency_ms = int((time.time() - started) * 1000)
        exchange.integration_status = backend.status
        drop = ("connection", "keep-alive", "transfer-encoding", "content-length")
        return HttpResponse(
            backend.status, {k: v for k, v in backend.headers.items() if k.lower() not in drop}, backend.body
        )


def fill_uri(uri: str, params: Mapping[str, str], query: Mapping[str, str]) -> str:
    def sub(match: re.Match[str]) -> str:
        name = match.group(1)
        greedy = name.endswith("+")
        value = params.get(name.rstrip("+"), "")
        return urllib.parse.quote(value, safe="/" if greedy else "")

    url = re.sub(r"\{([^}]+)\}", sub, uri)
    if query:
        url += ("&" if "?" in url else "?") + urllib.parse.urlencode(query)
    return url
