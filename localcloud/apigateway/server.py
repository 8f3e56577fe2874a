"""`RestApiServer`: the HTTP server and the request pipeline (route, authorize, validate, integrate)."""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from localcloud.apigateway.accesslog import AccessLog
from localcloud.apigateway.auth import CognitoVerifier, Forbidden, Unauthorized, UserPool, claims_for_context
from localcloud.apigateway.backend import AwsCaller, HttpClient
from localcloud.apigateway.exchange import ApiRequest, Exchange, exchange_record
from localcloud.apigateway.integrations import Integrations
from localcloud.apigateway.responses import GatewayError, HttpResponse, render_gateway_response
from localcloud.apigateway.spec import ApiSpec, Operation
from localcloud.apigateway.stage import MAX_PAYLOAD_BYTES, TokenBucket
from localcloud.apigateway.stage_source import StageSource
from localcloud.apigateway.validation import BadRequestBody, BadRequestParameters, RequestValidator

LOG = logging.getLogger("localcloud.apigateway")


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        return None


def _xray_trace_id(header: str | None) -> str:
    if header:
        for part in header.split(";"):
            key, _, value = part.strip().partition("=")
            if key == "Root" and value:
                return value
    return f"1-{int(time.time()):08x}-{uuid.uuid4().hex[:24]}"


class RestApiServer:
    """A REST API served on 127.0.0.1 from an OpenAPI document (see the package docstring)."""

    def __init__(
        self,
        openapi: Mapping[str, Any],
        aws_endpoint_url: str,
        region: str = "us-east-1",
        stage: str = "local",
        stage_variables: Mapping[str, str] | None = None,
        stage_source: StageSource | None = None,
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
        # the stage as read from API Gateway per request (variables, canary); else stage_variables
        self._stage_source = stage_source
        self.account_id = account_id
        self.api_id = api_id
        self._host = host
        pools = [UserPool.coerce(user_pool)] if user_pool is not None else []
        self._verifier = CognitoVerifier(aws_endpoint_url, region, pools)
        self._validator = RequestValidator(self.spec)
        http = HttpClient()
        self._integrations = Integrations(
            AwsCaller(aws_endpoint_url, region, http), http, stage, account_id, api_id
        )
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
            raise RuntimeError("RestApiServer is not started")
        return self._url

    def __enter__(self) -> RestApiServer:
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
        if self._stage_source is not None:
            variables, is_canary = self._stage_source.pick()
        else:
            variables, is_canary = self.stage_variables, False
        context["isCanaryRequest"] = is_canary
        exchange = Exchange(request=request, context=context, stage_variables=dict(variables))
        try:
            response = self._run(exchange)
        except GatewayError as exc:
            exchange.error = exc
            response = render_gateway_response(
                self.spec.gateway_responses,
                exc,
                context,
                exchange.stage_variables,
                lambda source: self._integrations.source_value(source, exchange),
            )
        except Exception as exc:  # a bug here must still answer like API Gateway, and be visible
            LOG.exception("apigateway: %s %s failed", request.method, request.path)
            exchange.error = GatewayError("API_CONFIGURATION_ERROR", "Internal server error")
            response = render_gateway_response(
                self.spec.gateway_responses,
                exchange.error,
                context,
                exchange.stage_variables,
                lambda source: self._integrations.source_value(source, exchange),
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

    def _route(self, exchange: Exchange) -> Operation:
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

    def _run(self, exchange: Exchange) -> HttpResponse:
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
        return self._integrations.run(exchange, op)
