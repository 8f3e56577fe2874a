"""The function host: runs each built ``bootstrap`` behind its own Lambda Runtime API.

API::

    spec = FunctionSpec(logical_id="PersisterFunction", function_name="rs-dev-persister",
                        arn="arn:aws:lambda:us-east-1:123456789012:function:rs-dev-persister",
                        artifact_dir=Path(".aws-sam/build/PersisterFunction"),   # holds `bootstrap`
                        handler="functions.persister.app.handler",
                        environment={"EVENTS_TABLE": "..."}, timeout_s=10, memory_mb=256,
                        reserved_concurrency=None)
    host = FunctionHost(endpoint_url=None, log_dir=Path(".localcloud/logs"), region="us-east-1",
                        default_concurrency=4, extra_env=None)
    host.endpoint_url = front.url          # AWS_ENDPOINT_URL given to every instance started after
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
import contextlib
import datetime as dt
import json
import math
import os
import queue
import select
import signal
import socket
import subprocess
import threading
import time
import uuid
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

RUNTIME_PREFIX = "/2018-06-01/runtime"
LATEST = "$LATEST"
INIT_TIMEOUT_S = 10.0
TAIL_BYTES = 4096


@dataclass(frozen=True)
class FunctionSpec:
    """One function as the template describes it."""

    logical_id: str
    function_name: str
    arn: str
    artifact_dir: Path
    handler: str
    environment: Mapping[str, str] = field(default_factory=dict)
    timeout_s: float = 3.0
    memory_mb: int = 128
    reserved_concurrency: int | None = None


@dataclass(frozen=True)
class InvokeResult:
    """What the Lambda Invoke API answers."""

    status_code: int
    payload: bytes
    function_error: str | None = None
    executed_version: str = LATEST
    log_result: str | None = None


class FunctionNotFound(KeyError):
    """No function of that name or ARN is registered."""


class TooManyRequests(Exception):
    """The function's concurrency is exhausted (Lambda answers 429)."""


@dataclass
class _Invocation:
    request_id: str
    payload: bytes
    timeout_s: float
    trace_id: str
    client_context: str | None
    delivered = False
    delivered_at = 0.0
    deadline_ms = 0
    done: threading.Event = field(default_factory=threading.Event)
    #: "response" | "error" | "exit" | "init_error"
    outcome: str = ""
    body: bytes = b""
    finished_at: float = 0.0
    delivered_event: threading.Event = field(default_factory=threading.Event)
    log: bytearray = field(default_factory=bytearray)

    def finish(self, outcome: str, body: bytes) -> bool:
        """Record the first outcome only; returns whether this call set it."""
        if self.done.is_set():
            return False
        self.outcome = outcome
        self.body = body
        self.finished_at = time.monotonic()
        self.done.set()
        self.delivered_event.set()
        return True


class _RuntimeApiServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    instance: _Instance

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A runtime that went away mid-request (killed instance): nothing to report."""


class _RuntimeApiHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def setup(self) -> None:
        super().setup()
        # headers and body go out in separate writes: without this, Nagle + delayed ACK add ~40 ms
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    server: _RuntimeApiServer

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _send(self, status: int, body: bytes = b"", headers: Mapping[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        if body:
            self.wfile.write(body)

    def do_GET(self) -> None:
        if self.path != RUNTIME_PREFIX + "/invocation/next":
            self._send(404, b'{"errorType":"NotFound","errorMessage":"unknown path"}')
            return
        inv = self.server.instance.next_invocation()
        if inv is None:  # the instance is being stopped
            self._send(500, b'{"errorType":"ShuttingDown","errorMessage":"instance stopped"}')
            self.close_connection = True
            return
        headers = {
            "Lambda-Runtime-Aws-Request-Id": inv.request_id,
            "Lambda-Runtime-Deadline-Ms": str(inv.deadline_ms),
            "Lambda-Runtime-Invoked-Function-Arn": self.server.instance.spec.arn,
            "Lambda-Runtime-Trace-Id": inv.trace_id,
        }
        if inv.client_context:
            headers["Lambda-Runtime-Client-Context"] = inv.client_context
        self._send(200, inv.payload, headers)

    def do_POST(self) -> None:
        body = self._body()
        path = self.path
        instance = self.server.instance
        if path == RUNTIME_PREFIX + "/init/error":
            instance.init_error(body, self.headers.get("Lambda-Runtime-Function-Error-Type"))
            self._send(202, b'{"status":"OK"}')
            return
        prefix = RUNTIME_PREFIX + "/invocation/"
        if path.startswith(prefix):
            request_id, _, kind = path[len(prefix) :].partition("/")
            if kind in ("response", "error"):
                if instance.complete(request_id, kind, body):
                    self._send(202, b'{"status":"OK"}')
                else:
                    self._send(
                        400,
                        b'{"errorType":"InvalidRequestID","errorMessage":"unknown or finished request id"}',
                    )
                return
        self._send(404, b'{"errorType":"NotFound","errorMessage":"unknown path"}')


class _FunctionLog:
    """The per-function log file (shared by its instances)."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._file = open(path, "ab", buffering=0)  # noqa: SIM115 - closed in close()
        self._lock = threading.Lock()

    def write(self, data: bytes) -> None:
        with self._lock:
            if not self._file.closed:  # an invocation still finishing after stop()
                self._file.write(data)

    def close(self) -> None:
        with self._lock:
            self._file.close()


class _Instance:
    """One running ``bootstrap`` process and its Runtime API server."""

    def __init__(self, host: FunctionHost, pool: _Pool) -> None:
        self.spec = pool.spec
        self._pool = pool
        self._log = pool.log
        self._next: queue.Queue[_Invocation | None] = queue.Queue()
        self._current: _Invocation | None = None
        self._lock = threading.Lock()
        self._io_lock = threading.Lock()
        self._output_closed = False
        self.dead = False
        self.exit_code: int | None = None
        self.init_done = threading.Event()
        self.init_error_body: bytes | None = None
        self.init_duration_ms: float | None = None
        self.reported_init = False
        self.started_at = time.monotonic()

        self.server = _RuntimeApiServer(("127.0.0.1", 0), _RuntimeApiHandler)
        self.server.instance = self
        self._server_thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True
        )
        self._server_thread.start()
        port = self.server.server_address[1]
        env = host.environment_for(self.spec, f"127.0.0.1:{port}")
        bootstrap = Path(self.spec.artifact_dir) / "bootstrap"
        try:
            self.proc = subprocess.Popen(
                [str(bootstrap)],
                cwd=str(self.spec.artifact_dir),
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        except OSError:
            self._close_server()
            raise
        assert self.proc.stdout is not None
        self._stdout_fd = self.proc.stdout.fileno()
        threading.Thread(target=self._pump_output, daemon=True).start()
        threading.Thread(target=self._watch_exit, daemon=True).start()

    # --- called by the Runtime API handler -------------------------------------------
    def next_invocation(self) -> _Invocation | None:
        if not self.init_done.is_set():
            self.init_duration_ms = (time.monotonic() - self.started_at) * 1000.0
            self.init_done.set()
        inv = self._next.get()
        if inv is None:
            return None
        # Lambda writes START when the invocation begins, after the init phase's output
        self.drain_output()
        start_line = f"START RequestId: {inv.request_id} Version: {LATEST}\n".encode()
        self._log.write(start_line)
        inv.log.extend(start_line)
        with self._lock:
            inv.delivered_at = time.monotonic()
            inv.deadline_ms = int(time.time() * 1000 + inv.timeout_s * 1000)
            inv.delivered = True
        inv.delivered_event.set()
        return inv

    def complete(self, request_id: str, kind: str, body: bytes) -> bool:
        with self._lock:
            inv = self._current
        if inv is None or inv.request_id != request_id or not inv.delivered:
            return False
        return inv.finish(kind, body)

    def init_error(self, body: bytes, error_type: str | None) -> None:
        if not body:
            body = json.dumps({"errorType": error_type or "Runtime.Unknown", "errorMessage": ""}).encode()
        self.init_error_body = body
        self.dead = True
        self.init_done.set()
        with self._lock:
            inv = self._current
        if inv is not None:
            inv.finish("init_error", body)

    # --- process side ----------------------------------------------------------------
    def _pump_output(self) -> None:
        fd = self._stdout_fd
        while True:
            try:
                select.select([fd], [], [])
            except (OSError, ValueError):
                return
            with self._io_lock:
                try:
                    chunk = os.read(fd, 65536)
                except OSError:
                    chunk = b""
                if not chunk:
                    self._output_closed = True
                    return
                self._log.write(chunk)
                inv = self._current
                if inv is not None:
                    inv.log.extend(chunk)

    def drain_output(self, max_wait_s: float = 0.05) -> None:
        """Wait until the output the process wrote so far is in the log file."""
        end = time.monotonic() + max_wait_s
        while time.monotonic() < end:
            with self._io_lock:
                if self._output_closed:
                    return
                try:
                    readable, _, _ = select.select([self._stdout_fd], [], [], 0)
                except (OSError, ValueError):
                    return
                if not readable:
                    return
            time.sleep(0.0005)

    def _watch_exit(self) -> None:
        code = self.proc.wait()
        self.exit_code = code
        self.dead = True
        self.init_done.set()
        with self._lock:
            inv = self._current
        if inv is not None:
            inv.finish("exit", b"")
        else:  # died while idle: nobody will reuse it
            self._next.put(None)
            self._close_server()

    def start_invocation(self, inv: _Invocation) -> None:
        with self._lock:
            self._current = inv
        if self.init_error_body is not None:
            inv.finish("init_error", self.init_error_body)
        elif self.dead:
            inv.finish("exit", b"")
        else:
            self._next.put(inv)

    def end_invocation(self) -> None:
        with self._lock:
            self._current = None

    def max_memory_mb(self) -> int:
        try:
            with open(f"/proc/{self.proc.pid}/status") as status:
                for line in status:
                    if line.startswith("VmHWM:"):
                        return math.ceil(int(line.split()[1]) / 1024)
        except (OSError, ValueError, IndexError):
            pass
        return 0

    def kill(self) -> None:
        self.dead = True
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.proc.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=5)
        self._next.put(None)
        self._close_server()
        if self.proc.stdout is not None:
            # let the pump read what is left before the pipe goes
            self.drain_output(0.2)

    def _close_server(self) -> None:
        server = self.server

        def close() -> None:
            server.shutdown()
            server.server_close()

        threading.Thread(target=close, daemon=True).start()


class _Pool:
    """Instances of one function: warm ones, and the concurrency limit."""

    def __init__(self, spec: FunctionSpec, limit: int, log: _FunctionLog) -> None:
        self.spec = spec
        self.limit = limit
        self.log = log
        self.idle: list[_Instance] = []
        self.total = 0
        self.cond = threading.Condition()
        self.cold_starts = 0
        self.invocations = 0
        self.all: set[_Instance] = set()
        self.stopped = False

    def acquire(self, host: FunctionHost, wait_s: float, count: bool = True) -> _Instance:
        deadline = time.monotonic() + wait_s
        with self.cond:
            while True:
                if self.stopped:
                    raise TooManyRequests("the function host is stopped")
                while self.idle:
                    inst = self.idle.pop()
                    if not inst.dead:
                        self.invocations += int(count)
                        return inst
                    self._forget(inst)
                if self.total < self.limit:
                    self.total += 1
                    self.cold_starts += 1
                    self.invocations += int(count)
                    break
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TooManyRequests(
                        f"Rate Exceeded: {self.spec.function_name}: {self.limit} concurrent executions busy"
                    )
                self.cond.wait(remaining)
        try:
            inst = _Instance(host, self)
        except BaseException:
            with self.cond:
                self.total -= 1
                self.cond.notify()
            raise
        with self.cond:
            self.all.add(inst)
        return inst

    def release(self, inst: _Instance, healthy: bool) -> None:
        if not healthy:
            inst.kill()
        with self.cond:
            if healthy and not inst.dead and not self.stopped:
                self.idle.append(inst)
            else:
                self._forget(inst)
            self.cond.notify()

    def _forget(self, inst: _Instance) -> None:
        if inst in self.all:
            self.all.discard(inst)
            self.total -= 1

    def stop(self) -> None:
        with self.cond:
            self.stopped = True
            instances = list(self.all)
            self.all.clear()
            self.idle.clear()
            self.total = 0
            self.cond.notify_all()
        for inst in instances:
            inst.kill()


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
        self._pools: dict[str, _Pool] = {}
        self._lock = threading.Lock()
        self._async = ThreadPoolExecutor(max_workers=async_workers, thread_name_prefix="lambda-event")
        self._stopped = False

    # --- registry ----------------------------------------------------------------------
    def register(self, spec: FunctionSpec) -> None:
        """Add (or replace) a function."""
        limit = self.default_concurrency if spec.reserved_concurrency is None else spec.reserved_concurrency
        with self._lock:
            old = self._pools.get(spec.function_name)
            self._specs[spec.function_name] = spec
            for alias in (spec.function_name, spec.arn, spec.logical_id, _partial_arn(spec.arn)):
                self._aliases[alias] = spec.function_name
            log = old.log if old else _FunctionLog(self.log_dir / f"{spec.logical_id}.log")
            self._pools[spec.function_name] = _Pool(spec, limit, log)
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
        out: list[tuple[int, bool]] = []
        for inst in instances:
            with inst._lock:
                current = inst._current
            out.append((inst.proc.pid, current is not None and not current.done.is_set()))
        return out

    def _pool(self, name_or_arn: str) -> _Pool:
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
        started: list[_Instance] = []
        for _ in range(count):
            with pool.cond:
                if pool.total >= pool.limit:
                    break
            try:
                started.append(pool.acquire(self, 0.0, count=False))
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
        if pool.limit <= 0:
            raise TooManyRequests(f"Rate Exceeded: {pool.spec.function_name} has reserved concurrency 0")
        if invocation_type == "Event":
            self._async.submit(self._invoke_quietly, pool, payload, trace_id)
            return InvokeResult(202, b"")
        return self._invoke(pool, payload, log_type == "Tail", client_context, trace_id)

    def _invoke_quietly(self, pool: _Pool, payload: bytes, trace_id: str | None) -> None:
        try:
            self._invoke(pool, payload, False, None, trace_id)
        except Exception as exc:  # the caller is gone: leave a trace in the function's log
            pool.log.write(f"localcloud: asynchronous invocation failed: {exc!r}\n".encode())

    def _invoke(
        self, pool: _Pool, payload: bytes, tail: bool, client_context: str | None, trace_id: str | None
    ) -> InvokeResult:
        spec = pool.spec
        inst = pool.acquire(self, self.max_queue_wait_s)
        inv = _Invocation(
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
        self, pool: _Pool, inst: _Instance, inv: _Invocation, cold: bool, tail: bool
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
