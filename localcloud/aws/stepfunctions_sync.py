"""Step Functions calls moto lacks or gets wrong: StartSyncExecution, and StartExecution's name.

API::

    sync = StartSyncExecution(moto)       # anything with call_json (localcloud.aws.moto_proxy)
    status, body = sync.start_sync_execution(request_body: bytes, authorization: str)
    with_execution_name(request_body) -> bytes      # StartExecution without a name: a UUID one

It checks that the machine is EXPRESS (else StateMachineTypeNotSupported, as AWS), starts the
execution on moto (StartExecution, with a name of its own unless one is given),
waits until it ends and answers with StartSyncExecution's response shape: executionArn,
stateMachineArn, name, startDate, stopDate, status (SUCCEEDED | FAILED | TIMED_OUT), output,
error, cause, input, inputDetails, outputDetails, traceHeader, billingDetails. Errors from moto
(unknown state machine, bad input, ...) are passed through unchanged.

Waiting: when moto runs in this process it is told the moment an execution ends (a hook
on moto's execution-ended callback); otherwise it polls DescribeExecution with backoff. An
execution still running after `max_wait_s` (Express's 5-minute limit) is stopped and reported
TIMED_OUT.
"""

from __future__ import annotations

import json
import math
import re
import threading
import time
import uuid
from typing import Any, Protocol

_ENDED = {"SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"}
_waiters: dict[str, threading.Event] = {}
_waiters_lock = threading.Lock()
_hook_installed = False


def _install_hook() -> bool:
    """Wrap moto's "execution ended" callback so that waiters wake up at once."""
    global _hook_installed
    with _waiters_lock:
        if _hook_installed:
            return True
        try:
            from moto.stepfunctions.parser.backend.execution import BaseExecutionWorkerCommunication
        except ImportError:  # pragma: no cover - another moto layout: poll instead
            return False
        original = BaseExecutionWorkerCommunication.terminated

        def terminated(self: Any) -> None:
            try:
                original(self)
            finally:
                name = getattr(getattr(self, "execution", None), "name", None)
                if name is not None:
                    with _waiters_lock:
                        event = _waiters.get(name)
                    if event is not None:
                        event.set()

        BaseExecutionWorkerCommunication.terminated = terminated  # type: ignore[method-assign]
        _hook_installed = True
        return True


class JsonCaller(Protocol):
    """A JSON 1.0 call to moto (`localcloud.aws.moto_proxy.MotoClient` / `InProcessMoto`)."""

    def call_json(self, target: str, payload: dict[str, Any], authorization: str) -> tuple[int, bytes]: ...


def with_execution_name(body: bytes) -> bytes:
    """StartExecution without a name: AWS makes a UUID up, moto names every such execution
    "None" (so the second one fails with ExecutionAlreadyExists). Add the UUID here."""
    try:
        request = json.loads(body or b"{}")
    except ValueError:
        return body
    if not isinstance(request, dict) or request.get("name"):
        return body
    request["name"] = str(uuid.uuid4())
    return json.dumps(request).encode()


class StartSyncExecution:
    """See the module docstring."""

    def __init__(self, moto: JsonCaller, max_wait_s: float = 300.0) -> None:
        self.moto = moto
        self.max_wait_s = max_wait_s
        self.in_process = _install_hook()
        self._types: dict[str, str] = {}

    def start_sync_execution(self, body: bytes, authorization: str) -> tuple[int, bytes]:
        try:
            request = json.loads(body or b"{}")
            if not isinstance(request, dict) or not isinstance(request.get("stateMachineArn"), str):
                raise ValueError("stateMachineArn is required")
        except ValueError as exc:
            return 400, json.dumps({"__type": "ValidationException", "message": str(exc)}).encode()
        arn: str = request["stateMachineArn"]
        auth = _authorization_for(arn, authorization)
        machine_type = self._machine_type(arn, auth)
        if machine_type is not None and machine_type != "EXPRESS":
            return 400, json.dumps(
                {
                    "__type": "StateMachineTypeNotSupported",
                    "message": "This operation is not supported by this type of state machine",
                }
            ).encode()
        name = request.get("name") or str(uuid.uuid4())
        start: dict[str, Any] = {"stateMachineArn": arn, "name": name}
        if "input" in request:
            start["input"] = request["input"]
        if "traceHeader" in request:
            start["traceHeader"] = request["traceHeader"]
        event = threading.Event()
        with _waiters_lock:
            _waiters[name] = event
        try:
            status, data = self.moto.call_json("AWSStepFunctions.StartExecution", start, auth)
            if status != 200:
                return status, data
            execution_arn = json.loads(data)["executionArn"]
            described = self._wait(execution_arn, event, auth)
        finally:
            with _waiters_lock:
                _waiters.pop(name, None)
        return 200, json.dumps(_sync_output(described)).encode()

    def _machine_type(self, arn: str, auth: str) -> str | None:
        """EXPRESS | STANDARD (cached: a machine's type never changes); None if unknown (moto
        then answers the call with its own error)."""
        known = self._types.get(arn)
        if known is not None:
            return known
        status, data = self.moto.call_json(
            "AWSStepFunctions.DescribeStateMachine", {"stateMachineArn": arn}, auth
        )
        if status != 200:
            return None
        machine_type = str(json.loads(data).get("type") or "STANDARD")
        self._types[arn] = machine_type
        return machine_type

    def _wait(self, execution_arn: str, event: threading.Event, auth: str) -> dict[str, Any]:
        deadline = time.monotonic() + self.max_wait_s
        slice_s = 0.1 if self.in_process else 0.005
        while True:
            remaining = deadline - time.monotonic()
            event.wait(max(min(slice_s, remaining), 0.0))
            described = self._describe(execution_arn, auth)
            if described.get("status") in _ENDED:
                return described
            if time.monotonic() >= deadline:
                self.moto.call_json(
                    "AWSStepFunctions.StopExecution",
                    {
                        "executionArn": execution_arn,
                        "error": "States.Timeout",
                        "cause": "sync execution timed out",
                    },
                    auth,
                )
                described["status"] = "TIMED_OUT"
                described.setdefault("stopDate", time.time())
                return described
            slice_s = min(slice_s * 2, 0.5)

    def _describe(self, execution_arn: str, auth: str) -> dict[str, Any]:
        status, data = self.moto.call_json(
            "AWSStepFunctions.DescribeExecution", {"executionArn": execution_arn}, auth
        )
        if status != 200:
            raise RuntimeError(f"DescribeExecution answered {status}: {data[:200]!r}")
        result: dict[str, Any] = json.loads(data)
        return result


def _sync_output(described: dict[str, Any]) -> dict[str, Any]:
    status = described.get("status")
    if status not in ("SUCCEEDED", "TIMED_OUT"):
        status = "FAILED"
    out: dict[str, Any] = {
        key: described[key]
        for key in (
            "executionArn",
            "stateMachineArn",
            "name",
            "startDate",
            "stopDate",
            "input",
            "inputDetails",
            "traceHeader",
            "error",
            "cause",
        )
        if described.get(key) is not None
    }
    out["status"] = status
    if status == "SUCCEEDED":
        out["output"] = described.get("output", "null")
        out["outputDetails"] = described.get("outputDetails") or {"included": True}
    if "inputDetails" not in out:
        out["inputDetails"] = {"included": True}
    start, stop = described.get("startDate"), described.get("stopDate")
    duration_ms = 0
    if isinstance(start, int | float) and isinstance(stop, int | float):
        duration_ms = max(math.ceil((stop - start) * 1000 / 100.0) * 100, 100)
    out["billingDetails"] = {"billedMemoryUsedInMB": 64, "billedDurationInMilliseconds": duration_ms}
    return out


_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/")


def _authorization_for(state_machine_arn: str, incoming: str) -> str:
    """A SigV4-looking header for moto: the caller's access key (it names the account), the
    machine's region and the ``states`` service (moto does not check signatures)."""
    match = _CREDENTIAL.search(incoming)
    access_key = match.group(1) if match else "localcloud"
    parts = state_machine_arn.split(":")
    region = parts[3] if len(parts) > 3 and parts[3] else "us-east-1"
    return (
        f"AWS4-HMAC-SHA256 Credential={access_key}/20260101/{region}/states/aws4_request, "
        "SignedHeaders=host, Signature=0"
    )
