"""The Lambda Invoke API, translated for the function host.

    invoke_name(method, path) -> str | None   # POST /2015-03-31/functions/<name|arn>/invocations: <name|arn>
    invoke(host, name, payload, headers) -> Reply

Request headers ``X-Amz-Invocation-Type``, ``X-Amz-Log-Type``, ``X-Amz-Client-Context``,
``X-Amzn-Trace-Id``; answers 200, or 202 for ``Event``, with ``X-Amz-Executed-Version``,
``X-Amz-Function-Error``, ``X-Amz-Log-Result``; 404 ResourceNotFoundException, 429
TooManyRequestsException (reserved concurrency exhausted), as Lambda does.
"""

from __future__ import annotations

import json
import urllib.parse

from localcloud.aws.http_common import Reply, header
from localcloud.lambda_host import FunctionHost, FunctionNotFound, TooManyRequests

INVOKE_PREFIX = "/2015-03-31/functions/"
INVOKE_SUFFIX = "/invocations"


def invoke_name(method: str, path: str) -> str | None:
    """The function name (or ARN) of an Invoke request, None for any other request."""
    if method != "POST" or not path.startswith(INVOKE_PREFIX):
        return None
    route = urllib.parse.urlsplit(path).path
    if not route.endswith(INVOKE_SUFFIX):
        return None
    return urllib.parse.unquote(route[len(INVOKE_PREFIX) : -len(INVOKE_SUFFIX)])


def invoke(host: FunctionHost, name: str, payload: bytes, headers: list[tuple[str, str]]) -> Reply:
    """One Invoke call answered by the function host."""
    invocation_type = header(headers, "X-Amz-Invocation-Type") or "RequestResponse"
    try:
        result = host.invoke(
            name,
            payload,
            invocation_type=invocation_type,
            log_type=header(headers, "X-Amz-Log-Type") or "None",
            client_context=header(headers, "X-Amz-Client-Context"),
            trace_id=header(headers, "X-Amzn-Trace-Id"),
        )
    except FunctionNotFound:
        arn = (
            name if name.startswith("arn:") else f"arn:aws:lambda:{host.region}:123456789012:function:{name}"
        )
        return lambda_error(404, "ResourceNotFoundException", f"Function not found: {arn}")
    except TooManyRequests as exc:
        return lambda_error(
            429,
            "TooManyRequestsException",
            str(exc),
            reason="ReservedFunctionConcurrentInvocationLimitExceeded",
        )
    out = [("Content-Type", "application/json"), ("X-Amz-Executed-Version", result.executed_version)]
    if result.function_error:
        out.append(("X-Amz-Function-Error", result.function_error))
    if result.log_result is not None:
        out.append(("X-Amz-Log-Result", result.log_result))
    return result.status_code, out, result.payload


def lambda_error(status: int, code: str, message: str, reason: str | None = None) -> Reply:
    body: dict[str, str] = {"Type": "User", "message": message}
    if reason:
        body["Reason"] = reason
    headers = [("Content-Type", "application/json"), ("x-amzn-ErrorType", code)]
    return status, headers, json.dumps(body).encode()
