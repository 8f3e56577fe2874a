"""One function's running instances: `Instance` (a ``bootstrap`` process and its Runtime API),
`InstancePool` (warm instances and the concurrency limit) and `FunctionLog` (the shared log file).
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import queue
import select
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path

from localcloud.lambda_host.runtime_api import Invocation, RuntimeApiHandler, RuntimeApiServer
from localcloud.lambda_host.spec import LATEST, FunctionSpec, TooManyRequests

#: the environment of a new instance: (spec, AWS_LAMBDA_RUNTIME_API) -> environ
EnvironmentFor = Callable[[FunctionSpec, str], dict[str, str]]


class FunctionLog:
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


class Instance:
    """One running ``bootstrap`` process and its Runtime API server."""

    def __init__(self, environment_for: EnvironmentFor, pool: InstancePool) -> None:
        self.spec = pool.spec
        self._pool = pool
        self._log = pool.log
        self._next: queue.Queue[Invocation | None] = queue.Queue()
        self._current: Invocation | None = None
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

        self.server = RuntimeApiServer(("127.0.0.1", 0), RuntimeApiHandler)
        self.server.instance = self
        self._server_thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True
        )
        self._server_thread.start()
        port = self.server.server_address[1]
        env = environment_for(self.spec, f"127.0.0.1:{port}")
        try:
            self.proc = subprocess.Popen(
                [str(self.spec.bootstrap)],  # the function's, or its layer's (/opt/bootstrap)
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
    def next_invocation(self) -> Invocation | None:
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

    def start_invocation(self, inv: Invocation) -> None:
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

    def busy(self) -> bool:
        """It holds an invocation that has not finished."""
        with self._lock:
            current = self._current
        return current is not None and not current.done.is_set()

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


class InstancePool:
    """Instances of one function: warm ones, and the concurrency limit."""

    def __init__(self, spec: FunctionSpec, limit: int, log: FunctionLog) -> None:
        self.spec = spec
        self.limit = limit
        self.log = log
        self.idle: list[Instance] = []
        self.total = 0
        self.cond = threading.Condition()
        self.cold_starts = 0
        self.invocations = 0
        self.all: set[Instance] = set()
        self.stopped = False

    def acquire(self, environment_for: EnvironmentFor, wait_s: float, count: bool = True) -> Instance:
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
            inst = Instance(environment_for, self)
        except BaseException:
            with self.cond:
                self.total -= 1
                self.cond.notify()
            raise
        with self.cond:
            self.all.add(inst)
        return inst

    def release(self, inst: Instance, healthy: bool) -> None:
        if not healthy:
            inst.kill()
        with self.cond:
            if healthy and not inst.dead and not self.stopped:
                self.idle.append(inst)
            else:
                self._forget(inst)
            self.cond.notify()

    def _forget(self, inst: Instance) -> None:
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
