"""Behaviour-preserving cost patches to moto's SQS (and its clock), applied in-process.

API::

    apply_moto_patches()   # idempotent; called by motoserver.speed_up_moto()

What they save (py-spy --gil on the bench, 3 commands/s: SQS was ~25% of moto's time):

- moto's clock: ``unix_time()`` / ``unix_time_millis()`` build two naive datetimes and subtract
  them for every call; SQS calls it twice per message of a queue for every scan
  (``Message.visible`` / ``Message.delayed`` in ``Queue.messages``, done on every receive, every
  send and every attribute read). With no argument it is ``time.time()`` truncated to the
  microsecond, as moto's ``datetime.now`` is.
- ``SQSBackend.is_message_valid_based_on_retention_period`` (run for every received message)
  computed all the queue's attributes, i.e. three more scans of the whole queue, to read one
  of them (``MessageRetentionPeriod``); it reads the queue's attribute directly now.
- ``method_names_from_class`` (``inspect.getmembers`` over the whole response class, ~0.3 ms)
  ran for every request to find the action's method; the names are kept per class (moto's
  response classes are not changed at run time).
- DynamoDB's ``UpdateExpressionParser.make`` tokenised and parsed the UpdateExpression twice per
  UpdateItem (the handler, then the backend); the parsed tree is kept per expression string.
  Nothing mutates it: the handler only reads it and the backend's validator works on a deep copy
  (``Validator.__init__``). Invalid expressions raise as before and are not kept.
"""

from __future__ import annotations

import importlib
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

_applied = False
_lock = threading.Lock()

# moto modules that import the clock by name and run on a command's path
_CLOCK_USERS = (
    "moto.sqs.models",
    "moto.sns.models",
    "moto.dynamodb.models",
    "moto.dynamodb.models.table",
    "moto.stepfunctions.models",
)


def apply_moto_patches() -> None:
    """Apply every patch of this module once."""
    global _applied
    with _lock:
        if _applied:
            return
        _applied = True
        _fast_clock()
        _fast_retention_check()
        _cached_method_names()
        _cached_update_expressions()


def _fast_clock() -> None:
    utils = importlib.import_module("moto.core.utils")
    original_time: Callable[..., float] = utils.unix_time
    original_millis: Callable[..., float] = utils.unix_time_millis

    def unix_time(dt: Any = None) -> float:
        if dt is None:  # moto: (datetime.now(UTC) - epoch) in seconds, microsecond resolution
            return int(time.time() * 1_000_000) / 1_000_000
        return original_time(dt)

    def unix_time_millis(dt: Any = None) -> float:
        if dt is None:
            return (int(time.time() * 1_000_000) / 1_000_000) * 1000.0
        return original_millis(dt)

    for name in _CLOCK_USERS:
        try:
            importlib.import_module(name)
        except ImportError:  # pragma: no cover - another moto layout
            continue
    replacements = {original_time: unix_time, original_millis: unix_time_millis}
    for name, module in list(sys.modules.items()):
        if module is None or not (name == "moto" or name.startswith("moto.")):
            continue
        for attr in ("unix_time", "unix_time_millis"):
            current = getattr(module, attr, None)
            if current is not None and current in replacements:
                setattr(module, attr, replacements[current])


def _fast_retention_check() -> None:
    try:
        models = importlib.import_module("moto.sqs.models")
    except ImportError:  # pragma: no cover - another moto layout
        return
    backend: Any = getattr(models, "SQSBackend", None)
    if backend is None or not hasattr(backend, "is_message_valid_based_on_retention_period"):
        return  # pragma: no cover - another moto layout

    def is_message_valid_based_on_retention_period(self: Any, queue_name: str, message: Any) -> bool:
        # moto: get_queue_attributes(queue_name, ["MessageRetentionPeriod"]) -> the same attribute
        retention_period = self.get_queue(queue_name).message_retention_period
        retain_until = retention_period + message.sent_timestamp / 1000
        return bool(retain_until > models.unix_time())

    backend.is_message_valid_based_on_retention_period = is_message_valid_based_on_retention_period


def _cached_method_names() -> None:
    responses = importlib.import_module("moto.core.responses")
    original: Callable[[object], list[str]] | None = getattr(responses, "method_names_from_class", None)
    if original is None:  # pragma: no cover - another moto layout
        return
    names: dict[object, frozenset[str]] = {}
    compute = original

    def method_names_from_class(clazz: object) -> Any:
        found = names.get(clazz)
        if found is None:
            found = names.setdefault(clazz, frozenset(compute(clazz)))
        return found  # moto only tests membership (``action in method_names``)

    setattr(responses, "method_names_from_class", method_names_from_class)  # noqa: B010 - a module


_EXPRESSION_CACHE_SIZE = 1024


def _cached_update_expressions() -> None:
    try:
        expressions = importlib.import_module("moto.dynamodb.parsing.expressions")
    except ImportError:  # pragma: no cover - another moto layout
        return
    parser: Any = getattr(expressions, "UpdateExpressionParser", None)
    if parser is None or "make" not in vars(parser):
        return  # pragma: no cover - another moto layout
    original = parser.make  # bound to the class
    cache: dict[str, Any] = {}
    lock = threading.Lock()

    def make(cls: Any, expression_str: str) -> Any:
        if cls is not parser:  # pragma: no cover - no subclass in moto today
            return original.__func__(cls, expression_str)
        tree = cache.get(expression_str)
        if tree is None:
            tree = original(expression_str)  # raises on an invalid expression: nothing kept
            with lock:
                if len(cache) >= _EXPRESSION_CACHE_SIZE:
                    cache.pop(next(iter(cache)))
                tree = cache.setdefault(expression_str, tree)
        return tree

    parser.make = classmethod(make)
