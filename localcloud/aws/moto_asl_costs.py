"""Patches to moto's ASL engine (its Step Functions interpreter) that change no behaviour, only cost
(`cheaper_asl_engine`, applied by `localcloud.aws.moto_speedups.speed_up_moto`).

- **JSON values copied as JSON.** The engine deep-copies the state's input, its result, the
  evaluation stack and event details at every state, with ``copy.deepcopy`` (a memo dict and a
  dispatch per object: ~20 % of the Step Functions process at saturation). Those values are JSON
  (dict, list, str, int, float, bool, None): `json_deepcopy` copies dicts and lists by recursion
  and returns the immutable leaves as they are; any other object (an event, a datetime, a dict
  subclass) still goes to ``copy.deepcopy``. What differs: two references to one dict inside a
  value become two equal copies instead of two references to one copy, which no ASL evaluation can
  tell apart (values are never compared by identity, and JSON has no shared references).
- **A pooled thread per state evaluation.** The engine starts a new thread for every execution
  state (Task, Parallel, Map), so that the state can be bounded by its TimeoutSeconds while the
  calling thread waits on an event. A worker of a thread pool runs it instead: the same
  concurrency (one worker per evaluation in flight, up to `POOL_WORKERS`) and the same timeout
  (the caller waits on the same event), without creating, starting and registering a thread each
  time. Past `POOL_WORKERS` evaluations in flight at once, a further one would wait for a worker
  (docs/local-cloud.md lists it).
"""

from __future__ import annotations

import copy
import importlib
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from typing import Any

POOL_WORKERS = 512

# the ASL engine's modules that deep-copy JSON values with ``copy.deepcopy``
_COPYING_MODULES = (
    "moto.stepfunctions.parser.asl.eval.states",
    "moto.stepfunctions.parser.asl.eval.event.event_manager",
    "moto.stepfunctions.parser.asl.component.common.string.string_expression",
    "moto.stepfunctions.parser.asl.component.common.path.result_path",
    "moto.stepfunctions.parser.asl.component.state.exec.execute_state",
    "moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service",
    "moto.stepfunctions.parser.asl.component.state.exec.state_parallel.state_parallel",
)
_EXECUTE_STATE = "moto.stepfunctions.parser.asl.component.state.exec.execute_state"

_ATOMIC = frozenset({str, int, float, bool, type(None)})
_applied = False
_lock = threading.Lock()


def _copy(value: Any) -> Any:
    kind = type(value)
    if kind in _ATOMIC:
        return value
    if kind is dict:
        return {key: _copy(item) for key, item in value.items()}
    if kind is list:
        return [_copy(item) for item in value]
    return copy.deepcopy(value)


def json_deepcopy(value: Any, *memo: Any) -> Any:
    """``copy.deepcopy`` for JSON values (see the module docstring); with a memo, deepcopy itself."""
    if memo:
        return copy.deepcopy(value, *memo)
    return _copy(value)


class _CopyModule:
    """What an ASL module sees as ``copy``: `json_deepcopy` as ``deepcopy``, the rest of ``copy``."""

    deepcopy = staticmethod(json_deepcopy)

    def __getattr__(self, name: str) -> Any:
        return getattr(copy, name)


_pool: ThreadPoolExecutor | None = None


def _state_pool() -> ThreadPoolExecutor:
    global _pool
    if _pool is None:
        with _lock:
            if _pool is None:
                _pool = ThreadPoolExecutor(max_workers=POOL_WORKERS, thread_name_prefix="asl-state")
    return _pool


class PooledThread:
    """The part of ``threading.Thread`` the engine uses for a state's evaluation (start, is_alive,
    join), run by a worker of a thread pool."""

    def __init__(
        self,
        target: Callable[..., Any],
        args: tuple[Any, ...] = (),
        kwargs: dict[str, Any] | None = None,
        daemon: bool = True,
        name: str | None = None,
    ) -> None:
        self._call = (target, args, dict(kwargs or {}))
        self._future: Future[Any] | None = None
        self.daemon = daemon
        self.name = name or "asl-state"

    def start(self) -> None:
        target, args, kwargs = self._call
        self._future = _state_pool().submit(target, *args, **kwargs)

    def is_alive(self) -> bool:
        return self._future is not None and not self._future.done()

    def join(self, timeout: float | None = None) -> None:
        if self._future is not None:
            wait([self._future], timeout)


def cheaper_asl_engine() -> None:
    """Apply both patches of the module docstring (idempotent; nothing if moto's layout differs)."""
    global _applied
    with _lock:
        if _applied:
            return
        _applied = True
    for name in _COPYING_MODULES:
        try:
            module = importlib.import_module(name)
        except ImportError:  # pragma: no cover - another moto layout
            continue
        if getattr(module, "copy", None) is copy:
            setattr(module, "copy", _CopyModule())  # noqa: B010 - a module
    try:
        execute_state = importlib.import_module(_EXECUTE_STATE)
    except ImportError:  # pragma: no cover - another moto layout
        return
    if getattr(execute_state, "Thread", None) is threading.Thread:
        setattr(execute_state, "Thread", PooledThread)  # noqa: B010 - a module
