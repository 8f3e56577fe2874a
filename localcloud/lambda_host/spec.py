"""What the function host is given and what it answers: `FunctionSpec`, `InvokeResult`, and the
two errors of the Invoke API (`FunctionNotFound`, `TooManyRequests`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

LATEST = "$LATEST"


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
