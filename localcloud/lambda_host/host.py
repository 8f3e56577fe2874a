"""The function host (`FunctionHost`): runs each built ``bootstrap`` behind its own Lambda Runtime API.

API::

    spec = FunctionSpec(logical_id="PersisterFunction", function_name="rs-dev-persister",
                        arn="arn:aws:lambda:us-east-1:123456789012:function:rs-dev-persister",
                        artifact_dir=Path(".aws-sam/build/PersisterFunction"),   # LAMBDA_TASK_ROOT
                        layer_dirs=(Path(".aws-sam/build/NativeRuntimeLayer"),), # /opt: `bootstrap`
                        handler="functions.persister.app.handler",
                        environment={"EVENTS_TABLE": "..."}, timeout_s=10, memory_mb=256,
                        reserved_concurrency=None)
    host = FunctionHost(endpoint_url=None, log_dir=Path(".localcloud/logs"), region="us-east-1",
                        default_concurrency=4, extra_env=None)
    host.endpoint_url = endpoint.url       # AWS_ENDPOINT_URL given to every instance started after
    host.register(spec)                    # or host.register_all([...])
    host.resolve("rs-dev-persister" | arn | partial arn | "PersisterFunction") -> FunctionSpec | None
    result = host.invoke("rs-dev-persister", b'{"k": 1}', invocation_type="RequestResponse",
                         log_type="None" | "Tail")
    result.status_code        # 200 (RequestResponse), 202 (Event)
    result.payload            # bytes: the function's response, or Lambda's error JSON
    result.function_error     # None | "Unhandled"
    result.executed_version   # "$LATEST"
    result.log_result         # base64 of the last 4 KB of the invocation's log, when log_type="Tail"
    host.warm("rs-dev-persister", count=2)   # start instances ahead of time
    host.stats("rs-dev-persister")           # {"instances", "idle", "cold_starts", "invocations"}
    host.stop()                              # kills every instance

Raises `FunctionNotFound` (unknown function) and `TooManyRequests` (reserved concurrency 0, or
no instance became free within `max_queue_wait_s`).

Behaviour, as on Lambda: warm instances are reused (most recently used first); a new instance
is started (cold start) when all are busy, up to the function's reserved concurrency (or
`default_concurrency`), beyond that the call waits. An invocation that outlives the timeout
kills its instance and answers ``Task timed out after X seconds`` (errorType
``Sandbox.Timedout``); a process that exits mid-invocation answers errorType
``Runtime.ExitError``; ``/runtime/init/error`` answers the posted error. Every such instance is
discarded. Logs: ``<log_dir>/<LogicalId>.log`` holds the function's stdout/stderr and the
START/END/REPORT lines (REPORT with ``Init Duration`` on cold starts; Max Memory Used from VmHWM).
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import math
import os
import signal
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from localcloud.lambda_host.instance import FunctionLog, Instance, InstancePool
from localcloud.lambda_host.runtime_api import Invocation
from localcloud.lambda_host.spec import LATEST, FunctionNotFound, FunctionSpec, InvokeResult, TooManyRequests

INIT_TIMEOUT_S = 10.0
TAIL_BYTES = 4096


class FunctionHost:
    """Hosts every registered function; see the module docstring."""

    def __init__(
        self,
        endpoint_url: str | None = None,
        log_dir: Path = Path(".localcloud/logs"),
        region: str = "us-east-1",
        default_concurrency: int = 4,
        extra_env: Mapping[str, str] | None = None,
        max_queue_wait_s: float = 60.0,
        async_workers: int = 8,
    ) -> None:
        self.endpoint_url = endpoint_url
        self.log_dir = Path(log_dir)
        self.region = region
        self.default_concurrency = default_concurrency
        self.extra_env = dict(extra_env or {})
        self.max_queue_wait_s = max_queue_wait_s
        self._specs: dict[str, FunctionSpec] = {}
        self._aliases: dict[str, str] = {}
        self._pools: dict[str, InstancePool] = {}
        self._lock = threading.Lock()
        self._async = ThreadPoolExecutor(max_workers=async_workers, thread_name_prefix="lambda-event")
        self._stopped = False
        # what Lambda publishes to CloudWatch (AWS/Lambda): (function name, metric, value) per
        # invocation: Invocations, Duration, Errors, Throttles, and InitDuration from a cold REPORT
        self.on_metric: Callable[[str, str, float], None] | None = None

    # --- registry ----------------------------------------------------------------------
    def register(self, spec: FunctionSpec) -> None:
        """Add (or replace) a function."""
        limit = self.default_concurrency if spec.reserved_concurrency is None else spec.reserved_concurrency
        with self._lock:
            old = self._pools.get(spec.function_name)
            self._specs[spec.function_name] = spec
            for alias in (spec.function_name, spec.arn, spec.logical_id, _partial_arn(spec.arn)):
                self._aliases[alias] = spec.function_name
            log = old.log if old else FunctionLog(self.log_dir / f"{spec.log_name or spec.logical_id}.log")
            self._pools[spec.function_name] = InstancePool(spec, limit, log)
        if old is not None:
            old.stop()

    def register_all(self, specs: Iterable[FunctionSpec]) -> None:
        for spec in specs:
            self.register(spec)

    @property
    def functions(self) -> list[FunctionSpec]:
        with self._lock:
            return list(self._specs.values())

    def resolve(self, name_or_arn: str) -> FunctionSpec | None:
        """A function by name, ARN (optionally qualified), partial ARN or logical id."""
        key = name_or_arn
        with self._lock:
            name = self._aliases.get(key)
            if name is None and key.count(":") in (1, 3, 7):
                # a qualifier: name:$LATEST, 123:function:name:alias, arn:...:function:name:alias
                name = self._aliases.get(key.rsplit(":", 1)[0])
            return self._specs.get(name) if name else None

    def stats(self, name_or_arn: str) -> dict[str, int]:
        pool = self._pool(name_or_arn)
        with pool.cond:
            return {
                "instances": pool.total,
                "idle": len(pool.idle),
                "cold_starts": pool.cold_starts,
                "invocations": pool.invocations,
            }

    def set_concurrency(self, name_or_arn: str, limit: int) -> int:
        """Change a function's concurrency limit (as PutFunctionConcurrency would); returns the old one."""
        pool = self._pool(name_or_arn)
        with pool.cond:
            old, pool.limit = pool.limit, limit
            pool.cond.notify_all()
        return old

    def processes(self, name_or_arn: str) -> list[tuple[int, bool]]:
        """(pid, busy) of every live instance of a function; busy: it holds an invocation that has not
        finished. For fault tests that kill or pause the real ``bootstrap`` processes."""
        pool = self._pool(name_or_arn)
        with pool.cond:
            instances = [i for i in pool.all if not i.dead]
        return [(inst.proc.pid, inst.busy()) for inst in instances]

    def _pool(self, name_or_arn: str) -> InstancePool:
        spec = self.resolve(name_or_arn)
        if spec is None:
            raise FunctionNotFound(name_or_arn)
        with self._lock:
            return self._pools[spec.function_name]

    # --- environment -------------------------------------------------------------------
    def environment_for(self, spec: FunctionSpec, runtime_api: str) -> dict[str, str]:
        """The environment a real Lambda gives the process, plus the function's own."""
        today = dt.datetime.now(dt.UTC).strftime("%Y/%m/%d")
        env = {
            "PATH": os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin"),
            "LANG": "en_US.UTF-8",
            "TZ": ":UTC",
            "LAMBDA_TASK_ROOT": str(Path(spec.artifact_dir).resolve()),
            "LAMBDA_RUNTIME_DIR": str(Path(spec.artifact_dir).resolve()),
            "_HANDLER": spec.handler,
            "AWS_LAMBDA_RUNTIME_API": runtime_api,
            "AWS_LAMBDA_FUNCTION_NAME": spec.function_name,
            "AWS_LAMBDA_FUNCTION_VERSION": LATEST,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory_mb),
            "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{spec.function_name}",
            "AWS_LAMBDA_LOG_STREAM_NAME": f"{today}/[{LATEST}]{uuid.uuid4().hex}",
            "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
            "AWS_REGION": self.region,
            "AWS_DEFAULT_REGION": self.region,
            "AWS_ACCESS_KEY_ID": "ASIALOCALCLOUD000000",
            "AWS_SECRET_ACCESS_KEY": "localcloud-secret-access-key",
            "AWS_SESSION_TOKEN": "localcloud-session-token",
        }
        if self.endpoint_url:
            env["AWS_ENDPOINT_URL"] = self.endpoint_url
        env.update(self.extra_env)
        env.update(spec.environment)
        return env

    # --- invoke ------------------------------------------------------------------------
    def warm(self, name_or_arn: str, count: int = 1) -> int:
        """Start up to `count` instances now (within the concurrency limit); returns how many."""
        pool = self._pool(name_or_arn)
        started: list[Instance] = []
        for _ in range(count):
            with pool.cond:
                if pool.total >= pool.limit:
                    break
            try:
                started.append(pool.acquire(self.environment_for, 0.0, count=False))
            except TooManyRequests:
                break
        for inst in started:  # they start side by side
            inst.init_done.wait(INIT_TIMEOUT_S)
        for inst in started:
            pool.release(inst, healthy=not inst.dead and inst.init_error_body is None)
        return len(started)

    def invoke(
        self,
        name_or_arn: str,
        payload: bytes,
        invocation_type: str = "RequestResponse",
        log_type: str = "None",
        client_context: str | None = None,
        trace_id: str | None = None,
    ) -> InvokeResult:
        """Invoke a function as the Lambda Invoke API does."""
        pool = self._pool(name_or_arn)
        if invocation_type == "DryRun":
            return InvokeResult(204, b"")
        try:
            if pool.limit <= 0:
                raise TooManyRequests(f"Rate Exceeded: {pool.spec.function_name} has reserved concurrency 0")
            if invocation_type == "Event":
                self._async.submit(self._invoke_quietly, pool, payload, trace_id)
                return InvokeResult(202, b"")
            return self._invoke(pool, payload, log_type == "Tail", client_context, trace_id)
        except TooManyRequests:
            self._metric(pool.spec.function_name, "Throttles", 1)
            raise

    def _metric(self, function_name: str, metric: str, value: float) -> None:
        if self.on_metric is not None:
            self.on_metric(function_name, metric, value)

    def _invoke_quietly(self, pool: InstancePool, payload: bytes, trace_id: str | None) -> None:
        try:
            self._invoke(pool, payload, False, None, trace_id)
        except Exception as exc:  # the caller is gone: leave a trace in the function's log
            pool.log.write(f"localcloud: asynchronous invocation failed: {exc!r}\n".encode())

    def _invoke(
        self, pool: InstancePool, payload: bytes, tail: bool, client_context: str | None, trace_id: str | None
    ) -> InvokeResult:
        spec = pool.spec
        inst = pool.acquire(self.environment_for, self.max_queue_wait_s)
        inv = Invocation(
            request_id=str(uuid.uuid4()),
            payload=payload,
            timeout_s=float(spec.timeout_s),
            trace_id=trace_id or _new_trace_id(),
            client_context=client_context,
        )
        cold = not inst.reported_init
        healthy = False
        try:
            inst.start_invocation(inv)
            if not inv.delivered_event.wait(INIT_TIMEOUT_S + spec.timeout_s):
                inv.finish("timeout", b"")
            if not inv.done.is_set():
                remaining = inv.delivered_at + spec.timeout_s - time.monotonic()
                if not inv.done.wait(max(remaining, 0.0)):
                    inv.finish("timeout", b"")
            healthy = inv.outcome in ("response", "error") and not inst.dead
            return self._conclude(pool, inst, inv, cold, tail)
        finally:
            inst.end_invocation()
            pool.release(inst, healthy)

    def _conclude(
        self, pool: InstancePool, inst: Instance, inv: Invocation, cold: bool, tail: bool
    ) -> InvokeResult:
        spec = pool.spec
        rid = inv.request_id
        end = inv.finished_at or time.monotonic()
        duration_ms = max((end - inv.delivered_at) * 1000.0, 0.0) if inv.delivered else 0.0
        function_error: str | None = None
        body = inv.body
        extra_log = b""
        if inv.outcome == "response":
            pass
        elif inv.outcome == "error":
            function_error = "Unhandled"
        elif inv.outcome == "timeout":
            function_error = "Unhandled"
            duration_ms = spec.timeout_s * 1000.0
            stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
            message = f"{stamp} {rid} Task timed out after {spec.timeout_s:.2f} seconds"
            body = json.dumps({"errorType": "Sandbox.Timedout", "errorMessage": message}).encode()
            extra_log = (message + "\n").encode()
            inst.kill()
        elif inv.outcome == "exit":
            function_error = "Unhandled"
            status = _exit_status(inst.exit_code)
            message = f"RequestId: {rid} Error: Runtime exited with error: {status}"
            body = json.dumps({"errorType": "Runtime.ExitError", "errorMessage": message}).encode()
            extra_log = f"{message}\nRuntime.ExitError\n".encode()
        elif inv.outcome == "init_error":
            function_error = "Unhandled"
            error_type = _error_type(body) or "Runtime.Unknown"
            extra_log = (
                f"INIT_REPORT Init Duration: {(time.monotonic() - inst.started_at) * 1000:.2f} ms\t"
                f"Phase: init\tStatus: error\tError Type: {error_type}\n"
            ).encode()
            inst.kill()
        inst.drain_output()
        memory = inst.max_memory_mb()
        report = (
            f"REPORT RequestId: {rid}\tDuration: {duration_ms:.2f} ms\t"
            f"Billed Duration: {max(math.ceil(duration_ms), 1)} ms\t"
            f"Memory Size: {spec.memory_mb} MB\tMax Memory Used: {memory} MB\t"
        )
        if cold and inst.init_duration_ms is not None:
            report += f"Init Duration: {inst.init_duration_ms:.2f} ms\t"
            inst.reported_init = True
        lines = extra_log + f"END RequestId: {rid}\n".encode() + (report + "\n").encode()
        self._metric(spec.function_name, "Invocations", 1)
        self._metric(spec.function_name, "Duration", duration_ms)
        self._metric(spec.function_name, "Errors", 1 if function_error else 0)
        if cold and inst.init_duration_ms is not None:
            self._metric(spec.function_name, "InitDuration", inst.init_duration_ms)
        pool.log.write(lines)
        inv.log.extend(lines)
        log_result = base64.b64encode(bytes(inv.log[-TAIL_BYTES:])).decode() if tail else None
        return InvokeResult(200, body, function_error, LATEST, log_result)

    def stop(self) -> None:
        """Kill every instance; later invocations fail."""
        self._stopped = True
        with self._lock:
            pools = list(self._pools.values())
        for pool in pools:
            pool.stop()
        self._async.shutdown(wait=False, cancel_futures=True)
        for pool in pools:
            pool.log.close()

    def __enter__(self) -> FunctionHost:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _partial_arn(arn: str) -> str:
    """``arn:aws:lambda:region:account:function:name`` -> ``account:function:name``."""
    parts = arn.split(":")
    return ":".join(parts[4:7]) if len(parts) >= 7 else arn


def _new_trace_id() -> str:
    return f"Root=1-{int(time.time()):08x}-{uuid.uuid4().hex[:24]};Parent={uuid.uuid4().hex[:16]};Sampled=0"


def _exit_status(code: int | None) -> str:
    if code is None:
        return "exit status unknown"
    if code < 0:
        try:
            name = signal.Signals(-code).name.lower().removeprefix("sig")
        except ValueError:
            name = str(-code)
        return f"signal: {name}"
    return f"exit status {code}"


def _error_type(body: bytes) -> str | None:
    try:
        value = json.loads(body)
    except ValueError:
        return None
    if isinstance(value, dict) and isinstance(value.get("errorType"), str):
        return str(value["errorType"])
    return None
