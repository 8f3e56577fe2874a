"""One measured start: spawn a bootstrap against a fresh local Runtime API, two invocations, then stop.

Measures spawn -> first response posted (cold), the second invocation on the same process (warm,
from the moment ``/next`` handed it out to its response), and the process's peak RSS.

Peak RSS is ``VmHWM`` from ``/proc/<pid>/status``, read while the process waits for its third event.
``wait4``'s ``ru_maxrss`` is only a fallback: Linux carries the high-water mark across ``execve``,
so after a (v)fork it reports at least the RSS of the spawning benchmark process itself.
"""

from __future__ import annotations

import os
import signal
import subprocess
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from bench.coldstart_api import FakeRuntimeApi, Post


@dataclass(frozen=True)
class Sample:
    """One cold start of one variant."""

    cold_ms: float
    warm_ms: float
    max_rss_mb: float | None


class RunFailed(Exception):
    """The bootstrap did not answer both invocations with a response (the message says why)."""


def _describe(post: Post) -> str:
    try:
        data = post.json()
    except ValueError:
        return post.body[:300].decode(errors="replace")
    if isinstance(data, dict):
        return f"{data.get('errorType')}: {data.get('errorMessage')}"
    return str(data)[:300]


def _next_post(api: FakeRuntimeApi, proc: subprocess.Popen[bytes], timeout_s: float) -> Post:
    """The runtime's next post; ``RunFailed`` if the process exits first or nothing comes in time."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            return api.wait_post(0.05)
        except TimeoutError:
            pass
        code = proc.poll()
        if code is not None:
            try:  # it may have posted just before exiting
                return api.wait_post(0.2)
            except TimeoutError:
                raise RunFailed(f"the bootstrap exited with code {code} before answering") from None
        if time.monotonic() > deadline:
            raise RunFailed(f"no answer within {timeout_s:.0f} s")


def measure(
    command: Sequence[str],
    env: Mapping[str, str],
    cwd: Path,
    event: object,
    timeout_s: float = 30.0,
) -> Sample:
    """Spawn ``command`` with ``env`` (plus ``AWS_LAMBDA_RUNTIME_API``), invoke twice, stop it."""
    with FakeRuntimeApi() as api, tempfile.TemporaryFile() as output:
        first = api.push(event)
        second = api.push(event)
        full_env = dict(env)
        full_env["AWS_LAMBDA_RUNTIME_API"] = api.address
        started = time.perf_counter()
        proc = subprocess.Popen(
            list(command), cwd=cwd, env=full_env, stdin=subprocess.DEVNULL, stdout=output, stderr=output
        )
        rusage = None
        try:
            posts = []
            for _ in (first, second):
                post = _next_post(api, proc, timeout_s)
                if post.kind != "response":
                    raise RunFailed(f"{post.kind}: {_describe(post)}")
                posts.append(post)
            served = api.served_at(second)
            if served is None:  # cannot happen: the response for it arrived
                raise RunFailed("the second invocation was never handed out")
            peak_mb = peak_rss_mb(proc.pid)
        except RunFailed as failure:
            if proc.returncode is None:
                proc.kill()
                _, _, rusage = os.wait4(proc.pid, 0)
                proc.returncode = -signal.SIGKILL
            output.seek(0)
            tail = output.read()[-1500:].decode(errors="replace").strip()
            raise RunFailed(
                f"{failure}" + (f"\n--- output of the bootstrap ---\n{tail}" if tail else "")
            ) from None
        finally:
            if proc.returncode is None:
                proc.kill()
                _, _, rusage = os.wait4(proc.pid, 0)
                proc.returncode = -signal.SIGKILL
    return Sample(
        cold_ms=(posts[0].at - started) * 1000,
        warm_ms=(posts[1].at - served) * 1000,
        max_rss_mb=peak_mb if peak_mb is not None else (None if rusage is None else rusage.ru_maxrss / 1024),
    )


def peak_rss_mb(pid: int) -> float | None:
    """``VmHWM`` of a live process in MB (None where /proc is not available)."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def lambda_env(
    *,
    handler: str,
    function_name: str,
    memory_mb: int,
    task_root: Path,
    home: Path,
    extra: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The environment Lambda gives a function (no live credentials, an unreachable AWS endpoint)."""
    env = {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "LANG": "en_US.UTF-8",
        "TZ": ":UTC",
        "HOME": str(home),
        "LAMBDA_TASK_ROOT": str(task_root),
        "LAMBDA_RUNTIME_DIR": str(task_root),
        "_HANDLER": handler,
        "AWS_LAMBDA_FUNCTION_NAME": function_name,
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(memory_mb),
        "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{function_name}",
        "AWS_LAMBDA_LOG_STREAM_NAME": "2026/01/01/[$LATEST]bench",
        "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
        "AWS_REGION": "eu-west-1",
        "AWS_DEFAULT_REGION": "eu-west-1",
        "AWS_ACCESS_KEY_ID": "ASIABENCHBENCHBENCH0",
        "AWS_SECRET_ACCESS_KEY": "bench/secret/not/a/real/key/000000000000",
        "AWS_SESSION_TOKEN": "bench-session-token",
        "AWS_ENDPOINT_URL": "http://127.0.0.1:9",  # the discard port: a stray call fails fast, locally
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    env.update(extra or {})
    return env
