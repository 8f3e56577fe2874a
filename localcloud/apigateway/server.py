"""`ApiGatewayFront`: the HTTP server and the request pipeline (route, authorize, validate, integrate)."""

from __future__ import annotations

import json
import logging
import re
import threading
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from localcloud.apigateway.accesslog import AccessLog
from localcloud.apigateway.auth import CognitoVerifier, Forbidden, Unauthorized, UserPool, claims_for_context
from localcloud.apigateway.backend import AwsCaller, BackendResponse, BackendUnreachable, HttpClient
from localcloud.apigateway.responses import GatewayError, HttpResponse, render_gateway_response
from localcloud.apigateway.spec import ApiSpec, Operation
from localcloud.apigateway.validation import BadRequestBody, BadRequestParameters, RequestValidator
from localcloud.apigateway.vtl import BodyNotJson, MappingError, VtlInput, jsonpath, render

LOG = logging.getLogger("localcloud.apigateway")
DEFAULT_TIMEOUT_MS = 29_000
MAX_PAYLOAD_BYTES = 10 * 1024 * 1024  # API Gateway's payload limit


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
class _Exchange:
    """State of one request through the pipeline (for the access log too)."""

    request: ApiRequest
    context: dict[str, Any]
    path_params: dict[str, str] = field(default_factory=dict)
    operation: Operation | None = None
    integration_status: int | None = None
    integration_latency_ms: int | None = None
    error: GatewayError | None = None


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        return None


class TokenBucket:
    """Stage throttling: ``rate`` requests per second, bursts up to ``burst``."""

    def __init__(self, rate: float, burst: float) -> None:
        self.rate = float(rate)
        self.burst = max(float(burst), 1.0)
        self._tokens = self.burst
        self._last = time.monotonic()
        self._lock = threading.Lock()

    def take(self) -> bool:
        with self._lock:
            now = time.monotonic()
            self._tokens = min(self.burst, self._tokens + (now - self._last) * self.rate)
            self._last = now
            if self._tokens >= 1.0:
                self._tokens -= 1.0
                return True
            return False


def _xray_trace_id(header: str | None) -> str:
    if header:
        for part in header.split(";"):
            key, _, value = part.strip().partition("=")
            if key == "Root" and value:
                return value
    return f"1-{int(time.time()):08x}-{uuid.uuid4().hex[:24]}"


class ApiGatewayFront:
    """A REST API served on 127.0.0.1 from an OpenAPI document (see the package docstring)."""

    def __init__(
        self,
        openapi: Mapping[str, Any],
        aws_endpoint_url: str,
        region: str = "us-east-1",
        stage: str = "local",
        stage_variables: Mapping[str, str] | None = None,
        user_pool: UserPool | Mapping[str, Any] | None = None,
        access_log: str | Path | None = None,
        access_log_format: str | None = None,
        throttle: tuple[float, float] | None = None,
        host: str = "127.0.0.1",
        account_id: str = "123456789012",
        api_id: str = "local",
    ) -> None:
        self.spec = ApiSpec(openapi)
        self.region = region
        self.stage = stage
        self.stage_variables = dict(stage_variables or {})
        self.account_id = account_id
        self.api_id = api_id
        self._host = host
        pools = [UserPool.coerce(user_pool)] if user_pool is not None else []
        self._verifier = CognitoVerifier(aws_endpoint_url, region, pools)
        self._validator = RequestValidator(self.spec)
        self._http = HttpClient()
        self._aws = AwsCaller(aws_endpoint_url, region, self._http)
        self._access_log = AccessLog(Path(access_log)) if access_log else None
        self._access_log_format = access_log_format
        self._bucket = TokenBucket(*throttle) if throttle else None
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None
        self._url = ""

    # -- lifecycle -------------------------------------------------------------
    def start(self, port: int = 0) -> str:
        """Serve in a daemon thread; returns the base URL (``http://127.0.0.1:<port>``)."""
        if self._server is not None:
            return self._url
        server = make_server(self._host, port, self.wsgi, threaded=True, request_handler=_QuietHandler)
        self._server = server
        self._url = f"http://{self._host}:{server.server_port}"
        self._thread = threading.Thread(target=server.serve_forever, name="apigateway", daemon=True)
        self._thread.start()
        return self._url

    def stop(self) -> None:
        """Stop serving and close the access log."""
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        if self._access_log is not None:
            self._access_log.close()

    @property
    def url(self) -> str:
        if not self._url:
            raise RuntimeError("ApiGatewayFront is not started")
        return self._url

    def __enter__(self) -> ApiGatewayFront:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- WSGI ------------------------------------------------------------------
    def wsgi(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        api_request = ApiRequest(
            method=request.method.upper(),
            path=request.path,
            query={k: v[-1] for k, v in request.args.lists()},
            multi_query={k: list(v) for k, v in request.args.lists()},
            headers={k: v for k, v in request.headers.items()},
            body=request.get_data(),
            source_ip=request.remote_addr or "127.0.0.1",
            protocol=str(environ.get("SERVER_PROTOCOL", "HTTP/1.1")),
        )
        result = self.handle(api_request)
        response = Response(result.body, status=result.status)
        response.headers.clear()
        for key, value in result.headers.items():
            response.headers[key] = value
        return response(environ, start_response)

    # -- pipeline --------------------------------------------------------------
    def handle(self, request: ApiRequest) -> HttpResponse:
        """Answer one request (no HTTP server involved)."""
        started = time.time()
        request_id = str(uuid.uuid4())
        trace_id = _xray_trace_id(request.header("X-Amzn-Trace-Id"))
        context: dict[str, Any] = {
            "requestId": request_id,
            "extendedRequestId": request_id,
            "requestTimeEpoch": int(started * 1000),
            "requestTime": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(started)),
            "xrayTraceId": trace_id,
            "stage": self.stage,
            "httpMethod": request.method,
            "resourcePath": "",
            "resourceId": "",
            # as on AWS: the path with the stage in front (/{stage}/v1/...)
            "path": request.path
            if request.path.startswith(f"/{self.stage}/")
            else f"/{self.stage}{request.path}",
            "protocol": request.protocol,
            "apiId": self.api_id,
            "accountId": self.account_id,
            "domainName": request.header("Host") or "localhost",
            "identity": {"sourceIp": request.source_ip, "userAgent": request.header("User-Agent") or ""},
            "authorizer": {"claims": {}, "principalId": ""},
            "responseOverride": {"status": None, "header": {}},
            "requestOverride": {"header": {}, "path": {}, "querystring": {}},
            "error": {"message": "", "messageString": '""', "validationErrorString": "", "responseType": ""},
        }
        exchange = _Exchange(request=request, context=context)
        try:
            response = self._run(exchange)
        except GatewayError as exc:
            exchange.error = exc
            response = render_gateway_response(
                self.spec.gateway_responses,
                exc,
                context,
                self.stage_variables,
                lambda source: self._source_value(source, exchange),
            )
        except Exception as exc:  # a bug here must still answer like API Gateway, and be visible
            LOG.exception("apigateway: %s %s failed", request.method, request.path)
            exchange.error = GatewayError("API_CONFIGURATION_ERROR", "Internal server error")
            response = render_gateway_response(
                self.spec.gateway_responses,
                exchange.error,
                context,
                self.stage_variables,
                lambda source: self._source_value(source, exchange),
            )
            response.headers["x-amzn-ErrorMessage"] = type(exc).__name__
        response.headers.setdefault("x-amzn-RequestId", request_id)
        response.headers.setdefault("X-Amzn-Trace-Id", f"Root={trace_id}")
        if self._access_log is not None:
            record = exchange_record(exchange, response, started)
            log_context = None
            if self._access_log_format is not None:
                log_context = {
                    **context,
                    "status": response.status,
                    "responseLength": record["responseLength"],
                    "responseLatency": record["responseLatency"],
                    "integrationLatency": record["integrationLatency"],
                    "integrationStatus": record["integrationStatus"],
                    "integration": {
                        "latency": record["integrationLatency"],
                        "status": record["integrationStatus"],
                    },
                }
            self._access_log.write(record, self._access_log_format, log_context)
        return response

    def _route(self, exchange: _Exchange) -> Operation:
        request = exchange.request
        found = self.spec.find(request.path)
        prefix = f"/{self.stage}"
        if found is None and (request.path == prefix or request.path.startswith(prefix + "/")):
            found = self.spec.find(request.path[len(prefix) :] or "/")
        if found is None:
            raise GatewayError("MISSING_AUTHENTICATION_TOKEN")
        resource, params = found
        method = request.method
        op = resource.operations.get(method) or resource.operations.get("ANY")
        if op is None and method == "HEAD":
            op = resource.operations.get("GET")
        if op is None:
            raise GatewayError("MISSING_AUTHENTICATION_TOKEN")
        exchange.path_params = params
        exchange.operation = op
        exchange.context["resourcePath"] = op.resource_path
        exchange.context["resourceId"] = f"{op.method} {op.resource_path}"
        return op

    def _run(self, exchange: _Exchange) -> HttpResponse:
        request = exchange.request
        if len(request.body) > MAX_PAYLOAD_BYTES:
            raise GatewayError("REQUEST_TOO_LARGE")
        op = self._route(exchange)
        if self._bucket is not None and not self._bucket.take():
            raise GatewayError("THROTTLED")
        if op.auth is not None:
            try:
                claims = self._verifier.verify(op.auth, request.header(op.auth.header))
            except (Unauthorized, Forbidden) as exc:
                LOG.info("apigateway: %s %s unauthorized: %s", request.method, request.path, exc)
                raise GatewayError("UNAUTHORIZED") from exc
            except OSError as exc:
                LOG.warning("apigateway: JWKS unavailable: %s", exc)
                raise GatewayError("AUTHORIZER_CONFIGURATION_ERROR") from exc
            exchange.context["authorizer"] = {
                "claims": claims_for_context(claims),
                "principalId": str(claims.get("sub", "")),
            }
        try:
            self._validator.check_parameters(op, request.query, request.headers)
        except BadRequestParameters as exc:
            raise GatewayError("BAD_REQUEST_PARAMETERS", str(exc), str(exc)) from exc
        try:
            self._validator.check_body(op, request.content_type, request.text)
        except BadRequestBody as exc:
            raise GatewayError(
                "BAD_REQUEST_BODY", "Invalid request body", exc.validation_error_string
            ) from exc
        kind = str(op.integration.get("type", "")).lower()
        if kind == "aws_proxy":
            return self._lambda_proxy(exchange, op)
        if kind == "http_proxy":
            return self._http_proxy(exchange, op)
        if kind in ("aws", "http", "mock"):
            return self._non_proxy(exchange, op, kind)
        raise GatewayError("API_CONFIGURATION_ERROR", f"unsupported integration type {kind!r}")

    # -- parameter sources -----------------------------------------------------
    def _input(self, exchange: _Exchange, body: str) -> VtlInput:
        request = exchange.request
        return VtlInput(body, exchange.path_params, request.query, request.headers)

    def _source_value(
        self, source: str, exchange: _Exchange, backend: BackendResponse | None = None
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
            ("stageVariables.", lambda n: self.stage_variables.get(n)),
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
        self, exchange: _Exchange, op: Operation
    ) -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
        headers: dict[str, str] = {}
        query: dict[str, str] = {}
        path: dict[str, str] = {}
        for target, source in (op.integration.get("requestParameters") or {}).items():
            value = self._source_value(str(source), exchange)
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
    def _request_body(self, exchange: _Exchange, op: Operation) -> str:
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
                str(template), self._input(exchange, request.text), exchange.context, self.stage_variables
            )
        except BodyNotJson as exc:
            raise GatewayError("BAD_REQUEST_BODY", str(exc)) from exc
        except MappingError as exc:
            LOG.warning("apigateway: request template of %s %s: %s", op.method, op.resource_path, exc)
            raise GatewayError("API_CONFIGURATION_ERROR", "Internal server error") from exc

    def _non_proxy(self, exchange: _Exchange, op: Operation, kind: str) -> HttpResponse:
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
                    url = _fill_uri(uri, {**exchange.path_params, **path}, query)
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
        self, exchange: _Exchange, op: Operation, backend: BackendResponse
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
                    self.stage_variables,
                )
            except (BodyNotJson, MappingError) as exc:
                LOG.warning("apigateway: response template of %s %s: %s", op.method, op.resource_path, exc)
                raise GatewayError("API_CONFIGURATION_ERROR", "Internal server error") from exc
        headers = {"Content-Type": content_type}
        for target, source in (chosen.get("responseParameters") or {}).items():
            if str(target).startswith("method.response.header."):
                value = self._source_value(str(source), exchange, backend)
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
    def _proxy_event(self, exchange: _Exchange, op: Operation) -> dict[str, Any]:
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
            "stageVariables": dict(self.stage_variables) or None,
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

    def _lambda_proxy(self, exchange: _Exchange, op: Operation) -> HttpResponse:
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
            import base64

            data = base64.b64decode(body)
        else:
            data = (body if isinstance(body, str) else json.dumps(body)).encode("utf-8")
        headers.setdefault("Content-Type", "application/json")
        return HttpResponse(status, headers, data)

    def _http_proxy(self, exchange: _Exchange, op: Operation) -> HttpResponse:
        request = exchange.request
        headers, query, path = self._request_parameters(exchange, op)
        url = _fill_uri(
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


def stage_settings(properties: Mapping[str, Any]) -> dict[str, Any]:
    """Keyword arguments for `ApiGatewayFront` from an ``AWS::Serverless::Api`` (or
    ``AWS::ApiGateway::Stage``) resource's resolved properties: ``Variables`` -> stage_variables,
    ``AccessLogSetting.Format`` -> access_log_format, the ``/*`` ``*`` ``MethodSettings`` throttling
    -> throttle."""
    out: dict[str, Any] = {}
    variables = properties.get("Variables")
    if isinstance(variables, Mapping):
        out["stage_variables"] = {str(k): str(v) for k, v in variables.items()}
    log = properties.get("AccessLogSetting")
    if isinstance(log, Mapping) and isinstance(log.get("Format"), str):
        out["access_log_format"] = log["Format"]
    for setting in properties.get("MethodSettings") or []:
        if not isinstance(setting, Mapping):
            continue
        if setting.get("ResourcePath", "/*") == "/*" and setting.get("HttpMethod", "*") == "*":
            rate, burst = setting.get("ThrottlingRateLimit"), setting.get("ThrottlingBurstLimit")
            if rate is not None and burst is not None:
                out["throttle"] = (float(rate), float(burst))
    return out


def _fill_uri(uri: str, params: Mapping[str, str], query: Mapping[str, str]) -> str:
    import urllib.parse

    def sub(match: re.Match[str]) -> str:
        name = match.group(1)
        greedy = name.endswith("+")
        value = params.get(name.rstrip("+"), "")
        return urllib.parse.quote(value, safe="/" if greedy else "")

    url = re.sub(r"\{([^}]+)\}", sub, uri)
    if query:
        url += ("&" if "?" in url else "?") + urllib.parse.urlencode(query)
    return url


def exchange_record(exchange: _Exchange, response: HttpResponse, started: float) -> dict[str, Any]:
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
