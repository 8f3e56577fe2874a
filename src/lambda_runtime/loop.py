"""The Runtime API loop: init (import the handler), then next -> handler -> response/error, forever.

Contract: https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html. Imports are kept to
``os``, ``sys``, ``time`` and the ``_json`` and ``_socket`` built-ins (no ``json``: it costs ~11 ms
through ``re`` and ``enum``; the handler is imported with ``__import__``, no ``importlib``);
``traceback`` is imported only when something fails.
"""

import os
import sys

from lambda_runtime import jsonlite
from lambda_runtime.client import HttpConnection, Response, RuntimeApiError
from lambda_runtime.context import ClientContext, CognitoIdentity, LambdaContext

_PREFIX = "/2018-06-01/runtime"
_TRACE_ENV = "_X_AMZN_TRACE_ID"
_ERROR_TYPE_HEADER = "Lambda-Runtime-Function-Error-Type"
_JSON = "application/json"


class InitError(Exception):
    """The handler could not be loaded; ``error_type`` is what the managed runtime would report."""

    def __init__(self, error_type: str, message: str, stack: list[str] | None = None) -> None:
        super().__init__(message)
        self.error_type = error_type
        self.message = message
        self.stack = stack if stack is not None else []


def load_handler(spec: str) -> object:
    """Import ``package.module.attribute`` and return the callable; raise ``InitError`` otherwise."""
    module_name, _, attribute = spec.strip().rpartition(".")
    if not module_name or not attribute:
        raise InitError(
            "Runtime.MalformedHandlerName",
            f"Bad handler {spec!r}: expected 'module.attribute', e.g. 'functions.validate.app.handler'",
        )
    try:
        __import__(module_name)
        module = sys.modules[module_name]
    except ImportError as exc:
        raise InitError(
            "Runtime.ImportModuleError", f"Unable to import module {module_name!r}: {exc}", _stack(exc)
        ) from exc
    except SyntaxError as exc:
        raise InitError(
            "Runtime.UserCodeSyntaxError", f"Syntax error in module {module_name!r}: {exc}", _stack(exc)
        ) from exc
    except Exception as exc:  # any failure of the module's top-level code is an init error
        raise InitError(type(exc).__name__, str(exc), _stack(exc)) from exc
    handler = getattr(module, attribute, None)
    if handler is None:
        raise InitError("Runtime.HandlerNotFound", f"Handler {attribute!r} missing on module {module_name!r}")
    if not callable(handler):
        raise InitError(
            "Runtime.HandlerNotFound", f"Handler {attribute!r} on module {module_name!r} is not callable"
        )
    return handler


def _stack(exc: BaseException, skip: int = 0) -> list[str]:
    import traceback

    frames = traceback.extract_tb(exc.__traceback__)[skip:]
    return [line for line in traceback.format_list(frames)]


def _error_body(error_type: str, message: str, stack: list[str]) -> bytes:
    return jsonlite.dumps({"errorMessage": message, "errorType": error_type, "stackTrace": stack}).encode()


def _log_error(error_type: str, message: str, stack: list[str]) -> None:
    """Print the error the way the managed runtime does, so it reaches CloudWatch Logs."""
    text = f"[ERROR] {error_type}: {message}"
    if stack:
        text += "\nTraceback (most recent call last):\n" + "".join(stack).rstrip("\n")
    print(text, file=sys.stderr, flush=True)


def _json_header(value: str | None) -> "dict[str, object] | None":
    if not value:
        return None
    try:
        data = jsonlite.loads(value)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def make_context(request_id: str, headers: dict[str, str], environ: "os._Environ[str]") -> LambdaContext:
    """Build the context from one invocation's headers and the function's environment."""
    deadline = headers.get("lambda-runtime-deadline-ms", "")
    identity_data = _json_header(headers.get("lambda-runtime-cognito-identity"))
    client_data = _json_header(headers.get("lambda-runtime-client-context"))
    identity = None
    if identity_data is not None:
        pool = identity_data.get("cognitoIdentityPoolId")
        ident = identity_data.get("cognitoIdentityId")
        identity = CognitoIdentity(None if ident is None else str(ident), None if pool is None else str(pool))
    return LambdaContext(
        aws_request_id=request_id,
        deadline_ms=int(deadline) if deadline.isdigit() else 0,
        invoked_function_arn=headers.get("lambda-runtime-invoked-function-arn", ""),
        environ=dict(environ),
        identity=identity,
        client_context=ClientContext(client_data) if client_data is not None else None,
        tenant_id=headers.get("lambda-runtime-aws-tenant-id"),
    )


class Runtime:
    """One function instance: a connection to the Runtime API and a loaded handler."""

    def __init__(self, api_address: str) -> None:
        self.http = HttpConnection(api_address)
        self.environ = os.environ

    def init_error(self, error: InitError) -> None:
        """Report a failed init (the process exits afterwards)."""
        _log_error(error.error_type, error.message, error.stack)
        self._post(
            f"{_PREFIX}/init/error",
            _error_body(error.error_type, error.message, error.stack),
            {_ERROR_TYPE_HEADER: error.error_type},
        )

    def next_invocation(self) -> Response:
        """Block until the next event arrives (the Runtime API long-polls)."""
        response = self.http.request("GET", f"{_PREFIX}/invocation/next")
        if response.status != 200:
            raise RuntimeApiError(f"GET /invocation/next answered {response.status}: {response.body[:200]!r}")
        return response

    def handle(self, handler: object, invocation: Response) -> None:
        """Run the handler on one event and post its result or its error."""
        headers = invocation.headers
        request_id = headers.get("lambda-runtime-aws-request-id", "")
        trace_id = headers.get("lambda-runtime-trace-id")
        if trace_id:
            self.environ[_TRACE_ENV] = trace_id
        else:
            self.environ.pop(_TRACE_ENV, None)
        try:
            event = jsonlite.loads(invocation.body) if invocation.body else {}
        except ValueError as exc:
            self._invocation_error(
                request_id, "Runtime.UnmarshalError", f"Unable to unmarshal input: {exc}", []
            )
            return
        context = make_context(request_id, headers, self.environ)
        try:
            result = handler(event, context)  # type: ignore[operator]
        except Exception as exc:
            self._invocation_error(request_id, type(exc).__name__, str(exc), _stack(exc, skip=1))
            return
        try:
            body = jsonlite.dumps(result).encode()
        except (TypeError, ValueError) as exc:
            self._invocation_error(
                request_id, "Runtime.MarshalError", f"Unable to marshal response: {exc}", []
            )
            return
        _flush()
        self._post(f"{_PREFIX}/invocation/{request_id}/response", body, None)

    def _invocation_error(self, request_id: str, error_type: str, message: str, stack: list[str]) -> None:
        _log_error(error_type, message, stack)
        _flush()
        self._post(
            f"{_PREFIX}/invocation/{request_id}/error",
            _error_body(error_type, message, stack),
            {_ERROR_TYPE_HEADER: "Unhandled"},
        )

    def _post(self, path: str, body: bytes, headers: dict[str, str] | None) -> None:
        all_headers = {"Content-Type": _JSON}
        if headers:
            all_headers.update(headers)
        response = self.http.request("POST", path, body, all_headers)
        if response.status >= 300:
            # 413 (response too large) or 400 (bad state) are not fatal: report and go on.
            print(
                f"[WARN] Runtime API answered {response.status} to POST {path}: {response.body[:500]!r}",
                file=sys.stderr,
                flush=True,
            )


def _flush() -> None:
    for stream in (sys.stdout, sys.stderr):
        try:  # noqa: SIM105 (contextlib would cost an import)
            stream.flush()
        except (OSError, ValueError, AttributeError):
            pass


def main() -> int:
    """Entry point of ``bootstrap`` / ``python -m lambda_runtime``; returns the exit status."""
    api = os.environ.get("AWS_LAMBDA_RUNTIME_API")
    if not api:
        print("[ERROR] AWS_LAMBDA_RUNTIME_API is not set: this runs inside Lambda only", file=sys.stderr)
        return 2
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(line_buffering=True)  # logs reach CloudWatch before the sandbox freezes
    try:
        runtime = Runtime(api)
    except RuntimeApiError as exc:
        print(f"[ERROR] {exc}", file=sys.stderr)
        return 2
    try:
        try:
            handler = load_handler(os.environ.get("_HANDLER", ""))
        except InitError as error:
            runtime.init_error(error)
            return 1
        while True:
            runtime.handle(handler, runtime.next_invocation())
    except RuntimeApiError as exc:
        print(f"[ERROR] {exc}", file=sys.stderr, flush=True)
        return 3
    except KeyboardInterrupt:
        return 130
