"""Fixtures: a fake Runtime API on 127.0.0.1 and a helper to start ``python -m lambda_runtime`` against it."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bench.coldstart_api import FakeRuntimeApi

ROOT = Path(__file__).resolve().parents[3]
FIXTURES = "tests.unit.runtime.fixtures"

Spawn = Callable[..., subprocess.Popen[bytes]]


@pytest.fixture
def api() -> Iterator[FakeRuntimeApi]:
    with FakeRuntimeApi() as server:
        yield server


def runtime_env(api_address: str | None, handler: str, **extra: str) -> dict[str, str]:
    """A Lambda-like environment for the runtime subprocess."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONPATH": os.pathsep.join(str(ROOT / p) for p in ("src", ".")),
        "_HANDLER": handler,
        "AWS_LAMBDA_FUNCTION_NAME": "runtime-test",
        "AWS_LAMBDA_FUNCTION_VERSION": "7",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256",
        "AWS_LAMBDA_LOG_GROUP_NAME": "/aws/lambda/runtime-test",
        "AWS_LAMBDA_LOG_STREAM_NAME": "2026/11/24/[7]abcdef",
        "AWS_REGION": "eu-west-1",
    }
    if api_address is not None:
        env["AWS_LAMBDA_RUNTIME_API"] = api_address
    env.update(extra)
    return env


@pytest.fixture
def spawn(api: FakeRuntimeApi) -> Iterator[Spawn]:
    """Start the runtime with a handler; every process is stopped at the end of the test."""
    procs: list[subprocess.Popen[bytes]] = []

    def start(handler: str, *, address: str | None = api.address, **extra: str) -> subprocess.Popen[bytes]:
        proc = subprocess.Popen(
            [sys.executable, "-m", "lambda_runtime"],
            cwd=ROOT,
            env=runtime_env(address, handler, **extra),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        procs.append(proc)
        return proc

    yield start
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
        proc.communicate(timeout=10)
