"""Measure a ``bootstrap``: spawn -> first response against a tiny local Runtime API.

Usage::

    startup.py --bootstrap .aws-sam/build/NativeRuntimeLayer/bootstrap \\
        --task-root .aws-sam/build/ValidateFunction \\
        --handler functions.validate.app.handler --event events/validate/horn-blow.json --runs 20

Each run spawns the bootstrap with a fresh environment, serves one invocation (cold), then a
second one (warm), records what the runtime posted (response, invocation error, init error),
then kills the process and reads its max RSS and CPU time (user+sys: less sensitive than wall
time to other load on the machine). Prints one JSON document: per-run numbers,
min/median/p90, and the first run's posts (the tests use ``--runs 1`` to check behaviour).
A quick tool for the native toolchain; the project's benchmark is ``make bench-coldstart``.
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import signal
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

_PREFIX = "/2018-06-01/runtime"


@dataclass
class Post:
    """One thing the runtime posted: kind is ``response``, ``error`` or ``init_error``."""

    kind: str
    request_id: str
    at: float
    body: Any
    headers: dict[str, str]


@dataclass
class Session:
    """The invocations served to one process and what it posted back."""

    events: queue.Queue[tuple[str, bytes]] = field(default_factory=queue.Queue)
    posts: queue.Queue[Post] = field(default_factory=queue.Queue)
    served_at: dict[str, float] = field(default_factory=dict)


class _Server(ThreadingHTTPServer):
    """One server per spawned process, so that a killed process's late request cannot steal an event."""

    daemon_threads = True
    block_on_close = False

    def __init__(self, session: Session) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.session = session

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A killed process resets its connection: that is expected, not worth a traceback."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out at once (no 40 ms delayed-ACK stall)
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        """Silence the default request log."""

    def do_GET(self) -> None:
        """``/invocation/next``: hand out the next event (blocks while none is queued)."""
        if self.path != f"{_PREFIX}/invocation/next":
            self._reply(404, b'{"message":"not found"}')
            return
        try:
            request_id, body = self.server.session.events.get(timeout=60)
        except queue.Empty:
            request_id = ""
        if not request_id:
            self._reply(500, b'{"message":"no event queued"}')
            return
        self.server.session.served_at[request_id] = time.perf_counter()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Lambda-Runtime-Aws-Request-Id", request_id)
        self.send_header("Lambda-Runtime-Deadline-Ms", str(int(time.time() * 1000) + 30_000))
        self.send_header("Lambda-Runtime-Invoked-Function-Arn",
                         "arn:aws:lambda:eu-central-1:123456789012:function:startup-probe")
        self.send_header("Lambda-Runtime-Trace-Id", f"Root=1-00000000-{request_id[-24:]:0>24};Sampled=0")
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        """Record a response, an invocation error or an init error."""
        at = time.perf_counter()
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        parts = self.path.removeprefix(_PREFIX).strip("/").split("/")
        if parts == ["init", "error"]:
            kind, request_id = "init_error", ""
        elif len(parts) == 3 and parts[0] == "invocation" and parts[2] in ("response", "error"):
            kind, request_id = parts[2], parts[1]
        else:
            self._reply(404, b'{"message":"not found"}')
            return
        try:
            body: Any = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode("utf-8", "replace")
        self.server.session.posts.put(Post(kind, request_id, at, body, dict(self.headers.items())))
        self._reply(202, b'{"status":"OK"}')

    def _reply(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@dataclass
class Run:
    """One spawn: cold ms (spawn -> first post), warm ms, max RSS, and the posts."""

    cold_ms: float
    warm_ms: float | None
    max_rss_mb: float
    cpu_ms: float
    posts: list[Post]
    output: str


def run_once(bootstrap: Path, env: dict[str, str], event: bytes, warm: bool, timeout_s: float) -> Run:
    """Spawn the bootstrap, serve one (or two) invocations, kill it; return the measurements."""
    session = Session()
    session.events.put(("req-cold-0000", event))
    server = _Server(session)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    env = {**env, "AWS_LAMBDA_RUNTIME_API": f"127.0.0.1:{server.server_address[1]}"}
    try:
        return _spawn(session, bootstrap, env, event, warm, timeout_s)
    finally:
        server.shutdown()
        server.server_close()


def _spawn(session: Session, bootstrap: Path, env: dict[str, str], event: bytes, warm: bool,
           timeout_s: float) -> Run:
    started = time.perf_counter()
    # Lambda starts the bootstrap (/var/task/bootstrap, or /opt/bootstrap from a layer) in the task root
    process = subprocess.Popen([str(bootstrap)], env=env, cwd=env["LAMBDA_TASK_ROOT"],
                               stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    posts: list[Post] = []
    warm_ms: float | None = None
    try:
        first = session.posts.get(timeout=timeout_s)
        posts.append(first)
        cold_ms = (first.at - started) * 1000
        if warm and first.kind != "init_error":
            session.events.put(("req-warm-0001", event))
            second = session.posts.get(timeout=timeout_s)
            posts.append(second)
            warm_ms = (second.at - session.served_at["req-warm-0001"]) * 1000
    except queue.Empty:
        process.kill()
        output = process.communicate(timeout=10)[0].decode("utf-8", "replace")
        raise RuntimeError(f"{bootstrap} posted nothing within {timeout_s}s; its output:\n{output}") from None
    finally:
        # No poll() here: it would reap an exited process and leave nothing for wait4's rusage.
        # A SIGKILL to a not-yet-reaped (zombie) process is harmless.
        os.kill(process.pid, signal.SIGKILL)
    _pid, _status, usage = os.wait4(process.pid, 0)
    session.events.put(("", b""))  # releases a request the killed process left waiting
    output = process.stdout.read().decode("utf-8", "replace") if process.stdout else ""
    if process.stdout:
        process.stdout.close()
    process.returncode = 0  # reaped by wait4 above
    cpu_ms = (usage.ru_utime + usage.ru_stime) * 1000  # user+sys of the whole life: robust under load
    return Run(cold_ms, warm_ms, usage.ru_maxrss / 1024, cpu_ms, posts, output)


def summary(values: list[float]) -> dict[str, float]:
    """min / median / p90 in ms, rounded."""
    ordered = sorted(values)
    p90 = ordered[min(len(ordered) - 1, round(0.9 * (len(ordered) - 1)))]
    return {"min_ms": round(ordered[0], 2), "median_ms": round(statistics.median(ordered), 2),
            "p90_ms": round(p90, 2)}


def function_env(api: str, handler: str, task_root: Path, extra: dict[str, str]) -> dict[str, str]:
    """The environment Lambda gives a provided.al2023 function (the parts a runtime reads)."""
    env = {
        "PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "en_US.UTF-8", "TZ": ":UTC",
        "AWS_LAMBDA_RUNTIME_API": api, "_HANDLER": handler, "LAMBDA_TASK_ROOT": str(task_root),
        "LAMBDA_RUNTIME_DIR": str(task_root), "AWS_LAMBDA_FUNCTION_NAME": "startup-probe",
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "128",
        "AWS_LAMBDA_LOG_GROUP_NAME": "/aws/lambda/startup-probe", "AWS_LAMBDA_LOG_STREAM_NAME": "probe",
        "AWS_REGION": "eu-central-1", "AWS_DEFAULT_REGION": "eu-central-1",
        "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SESSION_TOKEN": "testing",
    }
    env.update(extra)
    return env


def main(argv: list[str] | None = None) -> int:
    """Command line entry: print a JSON report."""
    parser = argparse.ArgumentParser(description="Spawn -> first response of a bootstrap, local Runtime API.")
    parser.add_argument("--bootstrap", required=True, type=Path)
    parser.add_argument("--handler", required=True, help="_HANDLER, e.g. functions.validate.app.handler")
    parser.add_argument("--event", help="a JSON file (default: {})")
    parser.add_argument("--event-json", help="the event as JSON text")
    parser.add_argument("--task-root", type=Path,
                        help="LAMBDA_TASK_ROOT and working directory: the function's artifact when the "
                             "bootstrap is a layer's (default: the bootstrap's folder)")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--no-warm", action="store_true", help="only the cold invocation")
    parser.add_argument("--env", action="append", default=[], help="extra KEY=VALUE for the function")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds to wait for each post")
    args = parser.parse_args(argv)
    if args.event_json is not None:
        event = args.event_json.encode()
    elif args.event:
        event = Path(args.event).read_bytes()
    else:
        event = b"{}"
    bootstrap: Path = args.bootstrap.resolve()
    if not os.access(bootstrap, os.X_OK):
        print(f"startup: {bootstrap} is not an executable file", file=sys.stderr)
        return 2
    extra = dict(item.split("=", 1) for item in args.env)
    task_root: Path = (args.task_root or bootstrap.parent).resolve()
    env = function_env("", args.handler, task_root, extra)
    runs = [run_once(bootstrap, env, event, not args.no_warm, args.timeout) for _ in range(max(1, args.runs))]
    warm = [r.warm_ms for r in runs if r.warm_ms is not None]
    report = {
        "bootstrap": str(bootstrap), "handler": args.handler, "runs": len(runs),
        "cold": summary([r.cold_ms for r in runs]),
        "warm": summary(warm) if warm else None,
        "cpu": summary([r.cpu_ms for r in runs]),
        "max_rss_mb": round(max(r.max_rss_mb for r in runs), 1),
        "first_run": {
            "posts": [
                {"kind": p.kind, "requestId": p.request_id, "body": p.body,
                 "errorType": p.headers.get("Lambda-Runtime-Function-Error-Type")}
                for p in runs[0].posts
            ],
            "output": runs[0].output,
        },
    }
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
