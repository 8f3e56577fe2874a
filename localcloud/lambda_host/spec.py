"""What the function host is given and what it answers: `FunctionSpec`, `InvokeResult`, and the
two errors of the Invoke API (`FunctionNotFound`, `TooManyRequests`)."""

from __future__ import annotations

import json
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
    artifact_dir: Path  # LAMBDA_TASK_ROOT (/var/task) and the working directory
    handler: str
    environment: Mapping[str, str] = field(default_factory=dict)
    timeout_s: float = 3.0
    memory_mb: int = 128
    reserved_concurrency: int | None = None
    layer_dirs: tuple[Path, ...] = ()  # the built layers, in the function's order (/opt on Lambda)
    log_name: str | None = None  # its log file, <log dir>/<log_name>.log; None: the logical id

    @property
    def bootstrap(self) -> Path:
        """What provided.al2023 runs: ``/var/task/bootstrap`` if the function has one, else
        ``/opt/bootstrap``, from the layers merged in order (the last one that has it)."""
        for folder in (self.artifact_dir, *reversed(self.layer_dirs)):
            path = Path(folder) / "bootstrap"
            if path.is_file():
                return path
        return Path(self.artifact_dir) / "bootstrap"

    def not_runnable(self) -> str | None:
        """Why this function cannot start (no ``bootstrap``; a function packaged for another build
        of its layer: ``function.json`` against the layer's ``native-runtime.json``), or None."""
        bootstrap = self.bootstrap
        if not bootstrap.is_file():
            where = ", ".join(str(Path(d) / "bootstrap") for d in (self.artifact_dir, *self.layer_dirs))
            return f"no bootstrap ({where}): rebuild (sam build)"
        try:
            wanted = json.loads((Path(self.artifact_dir) / "function.json").read_text()).get("layerBuild")
            built = json.loads((bootstrap.parent / "native-runtime.json").read_text()).get("build")
        except (OSError, ValueError, AttributeError):
            return None  # not the layer layout of build/native/package.py: nothing to compare
        if wanted != built:
            return (
                f"{self.artifact_dir} was packaged for layer build {wanted}, but {bootstrap.parent} "
                f"is build {built}: rebuild (sam build)"
            )
        return None


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
