"""moto's answer to one request without its WSGI stack: what ``DomainDispatcherApplication`` ->
the service's Flask app -> URL routing -> ``convert_to_flask_response`` -> the CORS hook would
answer, computed with the same moto and Flask pieces but without the request context, the session,
the per-request URL binding and the WSGI round trips (`localcloud.aws.moto_proxy.InProcessMoto`).

    direct = MotoDispatch(server.app)                   # moto's DomainDispatcherApplication
    answer = direct.dispatch(environ)                   # (status, headers, body) or None
    if answer is None: ...                              # call the WSGI application instead

It answers only what it resolves exactly as the server would, before anything of moto has run:
GET/POST/PUT/DELETE/PATCH/HEAD to a service app that moto's dispatcher has already created, found
the way the dispatcher finds it, matched by that app's own URL map to one of moto's
``convert_to_flask_response`` views, on an app that has only moto's hooks (flask-cors's) and no
signal receivers. Everything else (``/moto-api``, instance metadata, S3 and S3 Control, unsigned
form-encoded bodies, OPTIONS, no matching rule, a slash redirect) returns None.

The answer is the server's: moto's `BackendRequest` on the same environ, moto's recorder, the view's
callback with ``raw_url`` and the headers as a dict, `ClientError` -> 400 as
``convert_to_flask_response`` does, HTTP exceptions turned into responses as Flask does (others
propagate, as from the debug-mode app), the app's Flask `Response` (its default Content-Type,
Content-Length, HEAD and 204/304 rules), flask-cors's headers from the app's own options. What
the view runs without: Flask's request and app contexts (moto's services never read ``flask.request``
or ``current_app``; the moto-api views, which render templates, stay on the WSGI path), hence also
Flask's debug-mode helper that swaps an empty ``request.files`` for one raising a more verbose
KeyError (moto reads ``request.files[...]`` only when it is not empty).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote

from flask import Flask, signals
from flask_cors.core import (
    ACL_ORIGIN,
    ACL_REQUEST_HEADER_PRIVATE_NETWORK,
    FLASK_CORS_EVALUATED,
    get_cors_headers,
    try_match_pattern,
)
from werkzeug.exceptions import BadRequestKeyError, HTTPException
from werkzeug.routing import MapAdapter, RoutingException, Rule

Answer = tuple[int, list[tuple[str, str]], bytes]

DIRECT_METHODS = frozenset(("GET", "POST", "PUT", "DELETE", "PATCH", "HEAD"))
# services whose requests stay on the WSGI path (S3's host-style buckets and streamed bodies)
WSGI_ONLY_BACKENDS = frozenset(("s3", "s3control", "moto_api", "instance_metadata"))
WSGI_ONLY_PATHS = ("/moto-api", "/latest/meta-data/", "/latest/api/")  # moto's own API, EC2 metadata
_SIGNALS = (
    signals.request_started,
    signals.request_finished,
    signals.got_request_exception,
    signals.request_tearing_down,
    signals.appcontext_pushed,
    signals.appcontext_popped,
    signals.appcontext_tearing_down,
)


class _Route:
    """One service app, bound once: its URL adapter and its CORS resources (None: no CORS hook)."""

    def __init__(
        self, app: Flask, adapter: MapAdapter, cors: Callable[..., Any] | None, resources: Any
    ) -> None:
        self.app = app
        self.adapter = adapter
        self.cors = cors
        self.resources: list[tuple[Any, Any]] = list(resources or [])
        self.cors_headers: dict[tuple[int, str | None, str | None], tuple[tuple[str, Any], ...]] = {}


class MotoDispatch:
    """Direct calls of moto's views for the requests its WSGI application would route to them."""

    def __init__(self, dispatcher: Any) -> None:
        from moto.core.utils import convert_to_flask_response

        self.dispatcher = dispatcher
        self._view_type: Any = convert_to_flask_response
        self._backends: dict[str, str | None] = {}  # inferred host -> moto backend name
        self._routes: dict[str, tuple[Flask, _Route | None]] = {}  # backend -> app, its binding
        self._lock = threading.Lock()

    def dispatch(self, environ: dict[str, Any]) -> Answer | None:
        """moto's answer, or None (nothing of moto has run) when the WSGI application must answer."""
        method = environ.get("REQUEST_METHOD", "")
        if method not in DIRECT_METHODS or any(signal.receivers for signal in _SIGNALS):
            return None
        route = self._route_for(environ)
        if route is None or not _plain(route):
            return None
        path_info = environ.get("PATH_INFO", "").encode("latin-1").decode(errors="replace")
        try:
            matched: Any = route.adapter.match(path_info, method, return_rule=True)
        except (HTTPException, RoutingException):
            return None
        rule, view_args = matched
        view: Any = route.app.view_functions.get(rule.endpoint)
        if type(view) is not self._view_type:
            return None
        return self._respond(route, environ, rule, view_args, view.callback)

    def _route_for(self, environ: dict[str, Any]) -> _Route | None:
        """The service app `DomainDispatcherApplication.get_application` would pick, if it exists."""
        path_info: str = environ.get("PATH_INFO", "")
        if path_info.startswith(WSGI_ONLY_PATHS) or path_info == "/favicon.ico":
            return None
        auth = environ.get("HTTP_AUTHORIZATION")
        if auth:
            if "/bedrock" in auth.split(",")[0]:  # the dispatcher parses the request to pick the app
                return None
        elif str(environ.get("CONTENT_TYPE", "")).startswith("application/x-www-form-urlencoded"):
            return None  # the dispatcher would read the body to find the service
        try:
            host = self.dispatcher.infer_service_region_host(environ, path_info)
        except Exception:  # the WSGI application raises the same
            return None
        if host is None:
            return None  # moto's default: S3
        backend = self._backend_for(host)
        if backend is None or backend in WSGI_ONLY_BACKENDS:
            return None
        app = self.dispatcher.app_instances.get(backend)
        if app is None:
            return None  # the WSGI application creates it
        known = self._routes.get(backend)
        if known is None or known[0] is not app:
            with self._lock:
                try:
                    route: _Route | None = _bind(app)
                except Exception:  # another Flask: its config or hooks read otherwise
                    route = None
                known = self._routes[backend] = (app, route)
        return known[1]

    def _backend_for(self, host: str) -> str | None:
        """`DomainDispatcherApplication.get_backend_for_host` (a pure function of the host), kept."""
        if host not in self._backends:
            import moto.backends as backends

            backend: str | None = None
            if host == "moto_api" or host in backends.list_of_moto_modules():
                backend = host
            else:
                for name, pattern in self.dispatcher.backend_url_patterns:
                    if pattern.match(f"http://{host}"):
                        backend = name
                        break
            self._backends[host] = backend
        return self._backends[host]

    def _respond(
        self,
        route: _Route,
        environ: dict[str, Any],
        rule: Rule,
        view_args: dict[str, Any],
        callback: Callable[..., Any],
    ) -> Answer:
        """What Flask's `full_dispatch_request` + `convert_to_flask_response.__call__` do, then the
        response as the WSGI server would receive it."""
        from botocore.exceptions import ClientError  # type: ignore[import-untyped, unused-ignore]
        from moto.core.request import normalize_request
        from moto.moto_api import recorder

        app = route.app
        request = app.request_class(environ)
        request.json_module = app.json
        request.url_rule = rule
        request.view_args = view_args
        try:
            try:
                normalized = normalize_request(request)
                recorder._record_request(normalized)
                result = callback(normalized, normalized.raw_url, dict(normalized.headers))
            except ClientError as exc:
                result = 400, {}, exc.response["Error"]["Message"]
            if len(result) == 3:
                status, headers, content = result
            else:
                status, headers, content = 200, {}, result
            response: Any = app.response_class(response=content, status=status, headers=headers)
            if normalized.method == "HEAD" and "content-length" in headers:
                response.headers["Content-Length"] = headers["content-length"]
        except Exception as exc:  # Flask's handle_user_exception (no error handlers registered)
            if isinstance(exc, BadRequestKeyError) and (app.debug or app.config["TRAP_BAD_REQUEST_ERRORS"]):
                exc.show_exception = True
            if not isinstance(exc, HTTPException) or app.trap_http_exception(exc):
                raise  # app.debug: Flask propagates it out of the WSGI application
            response = app.response_class.force_type(exc, environ)  # type: ignore[arg-type]  # a WSGI app
        if route.cors is not None:
            _add_cors_headers(route, request, response)
        app_iter, status_line, header_list = response.get_wsgi_response(environ)
        try:
            body = b"".join(app_iter)
        finally:
            close = getattr(app_iter, "close", None)
            if close is not None:
                close()
        return int(status_line.split(" ", 1)[0]), list(header_list), body


def _add_cors_headers(route: _Route, request: Any, response: Any) -> None:
    """flask-cors's ``cors_after_request`` with this app's resources, as its `set_cors_headers` does.
    The headers it adds to a request other than OPTIONS depend on the resource, the Origin and the
    Access-Control-Request-Private-Network headers only: kept per such triple."""
    if response.headers is not None and response.headers.get(ACL_ORIGIN):
        return
    path = unquote(request.path)
    for index, (pattern, options) in enumerate(route.resources):
        if try_match_pattern(path, pattern, caseSensitive=True):
            if hasattr(response, FLASK_CORS_EVALUATED):
                return
            headers = request.headers
            key = (index, headers.get("Origin"), headers.get(ACL_REQUEST_HEADER_PRIVATE_NETWORK))
            added = route.cors_headers.get(key) if request.method != "OPTIONS" else None
            if added is None:
                added = tuple(get_cors_headers(options, headers, request.method).items())
                if request.method != "OPTIONS" and len(route.cors_headers) < 64:
                    route.cors_headers[key] = added
            for name, value in added:
                response.headers.add(name, value)
            return


def _bind(app: Flask) -> _Route | None:
    """The app's URL map bound once (matching reads only the path and the method: no host matching,
    no subdomains), and its flask-cors hook; None for an app configured otherwise than moto's."""
    from werkzeug.wrappers import Request as WerkzeugRequest

    config = app.config
    if app.url_map.host_matching or app.subdomain_matching or config["SERVER_NAME"] is not None:
        return None
    if config["TRUSTED_HOSTS"] is not None or not app.debug or config["PROPAGATE_EXCEPTIONS"] is False:
        return None
    # the request's limits read the app's config inside a request context, werkzeug's outside
    limits = ("MAX_CONTENT_LENGTH", "MAX_FORM_MEMORY_SIZE", "MAX_FORM_PARTS")
    if any(config[key] != getattr(WerkzeugRequest, key.lower()) for key in limits):
        return None
    after = app.after_request_funcs.get(None, [])
    if len(after) > 1:
        return None
    cors: Callable[..., Any] | None = after[0] if after else None
    resources: Any = None
    if cors is not None:
        if getattr(cors, "__name__", "") != "cors_after_request" or cors.__module__ != "flask_cors.extension":
            return None
        free = cors.__code__.co_freevars
        if "resources" not in free or cors.__closure__ is None:
            return None
        resources = cors.__closure__[free.index("resources")].cell_contents
    route = _Route(app, app.url_map.bind("localhost", subdomain=""), cors, resources)
    return route if _plain(route) else None


def _plain(route: _Route) -> bool:
    """No Flask hook or error handler other than the ones this module reproduces (checked for every
    request: a hook added later sends requests back to the WSGI application)."""
    app = route.app
    expected = [route.cors] if route.cors is not None else []
    if any(funcs != (expected if key is None else []) for key, funcs in app.after_request_funcs.items()):
        return False
    hooks = (app.before_request_funcs, app.teardown_request_funcs, app.url_value_preprocessors)
    if app.teardown_appcontext_funcs or any(any(hook.values()) for hook in hooks):
        return False
    return not any(any(codes.values()) for codes in app.error_handler_spec.values())
