"""Lambda ``GetFunctionConfiguration`` and ``UpdateFunctionConfiguration``, answered by the function
host (the local cloud's functions live there, not in moto), as Lambda answers them: the update's
``Environment.Variables`` replace the function's variables whole, ``Timeout`` and ``MemorySize``
apply, and the instances of the old configuration are retired (each finishes the invocation it
holds; new invocations start new instances with the new configuration).

    name = configuration_name(method, path)   # GET|PUT /2015-03-31/functions/{name}/configuration, else None
    reply = configuration(host, name, method, body)

Fidelity: the update applies at once (Lambda's LastUpdateStatus goes InProgress -> Successful in
seconds); only the fields above are changed (others, e.g. Handler or Layers, are refused with an
InvalidParameterValueException rather than ignored).
"""

from __future__ import annotations

import dataclasses
import json
import urllib.parse
from typing import Any

from localcloud.aws.http_common import Reply
from localcloud.aws.lambda_invoke import lambda_error
from localcloud.lambda_host import FunctionHost, FunctionSpec

PREFIX = "/2015-03-31/functions/"
SUFFIX = "/configuration"
APPLIED = {"Environment", "Timeout", "MemorySize", "FunctionName", "RevisionId"}


def configuration_name(method: str, path: str) -> str | None:
    """The function name (or ARN) of a Get/UpdateFunctionConfiguration request, else None."""
    if method not in ("GET", "PUT") or not path.startswith(PREFIX):
        return None
    route = urllib.parse.urlsplit(path).path
    if not route.endswith(SUFFIX):
        return None
    return urllib.parse.unquote(route[len(PREFIX) : -len(SUFFIX)])


def configuration(host: FunctionHost, name: str, method: str, body: bytes) -> Reply:
    spec = host.resolve(name)
    if spec is None:
        arn = (
            name if name.startswith("arn:") else f"arn:aws:lambda:{host.region}:123456789012:function:{name}"
        )
        return lambda_error(404, "ResourceNotFoundException", f"Function not found: {arn}")
    if method == "PUT":
        try:
            request = json.loads(body or b"{}")
        except ValueError:
            return lambda_error(400, "InvalidParameterValueException", "the request body is not JSON")
        refused = sorted(set(request) - APPLIED)
        if refused:
            message = f"not emulated locally: {', '.join(refused)} (Environment, Timeout, MemorySize are)"
            return lambda_error(400, "InvalidParameterValueException", message)
        spec = _updated(spec, request)
        host.register(spec)
    return 200, [("Content-Type", "application/json")], json.dumps(_described(spec)).encode()


def _updated(spec: FunctionSpec, request: dict[str, Any]) -> FunctionSpec:
    changes: dict[str, Any] = {}
    if "Environment" in request:
        variables = (request.get("Environment") or {}).get("Variables") or {}
        changes["environment"] = {str(k): str(v) for k, v in variables.items()}
    if "Timeout" in request:
        changes["timeout_s"] = float(request["Timeout"])
    if "MemorySize" in request:
        changes["memory_mb"] = int(request["MemorySize"])
    return dataclasses.replace(spec, **changes)


def _described(spec: FunctionSpec) -> dict[str, Any]:
    return {
        "FunctionName": spec.function_name,
        "FunctionArn": spec.arn,
        "Runtime": "provided.al2023",
        "Handler": spec.handler,
        "Timeout": int(spec.timeout_s),
        "MemorySize": spec.memory_mb,
        "Environment": {"Variables": dict(spec.environment)},
        "State": "Active",
        "LastUpdateStatus": "Successful",
    }
