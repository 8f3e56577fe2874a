"""The Lambda function host: every built ``bootstrap`` runs as its own process behind its own Lambda
Runtime API, as on Lambda (cold starts, warm reuse, concurrency limits, timeouts, logs).

- `host.FunctionHost`: register functions, invoke them (the API: see its module docstring).
- `spec`: `FunctionSpec`, `InvokeResult`, `FunctionNotFound`, `TooManyRequests`.
- `instance`: one function's processes (`Instance`) and their pool (`InstancePool`).
- `runtime_api`: the Runtime API server a process talks to.
"""

from localcloud.lambda_host.host import FunctionHost
from localcloud.lambda_host.spec import FunctionNotFound, FunctionSpec, InvokeResult, TooManyRequests

__all__ = ["FunctionHost", "FunctionNotFound", "FunctionSpec", "InvokeResult", "TooManyRequests"]
