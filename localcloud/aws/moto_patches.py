"""Patches to moto, applied in-process: one that makes it behave as AWS does, and behaviour-preserving
cost patches to its SQS (and its clock).

Fidelity:

- DynamoDB writes are atomic per item on AWS: a conditional write evaluates its condition and writes
  as one step. moto does not lock: two conditional UpdateItems on one item from two threads (the
  local front serves requests on threads) could both see the old item, both pass and both write,
  so the rank rule of docs/architecture.md ("Every command ends truthfully") could let RUNNING
  overwrite EXECUTED. Every DynamoDB request now runs under one lock, its response included (reads
  too, so that none sees or copies an item half updated).

Cost:

API::

    apply_moto_patches()   # idempotent; called by moto_speedups.speed_up_moto()

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
- That deep copy (``copy.deepcopy`` of the expression tree, every UpdateItem) goes through a
  copier specialised for the tree's nodes (their ``__dict__``, lists, dicts, immutables; the
  memo keeps the parent links and any sharing exactly as deepcopy does; anything else is handed
  to ``copy.deepcopy`` with the same memo): ~3x cheaper.
- moto's ASL engine names every Parallel branch's thread ``BranchWorker_$<repr of the branch
  program>``: the repr of the whole state tree (kilobytes) per branch per execution; the thread
  is named after the program's class instead (the name is only seen by debuggers).
- moto's SNS ``Topic`` appends every message it publishes to ``sent_notifications`` (read by no
  API: moto's internal inspection list for its own tests), for ever: ~9 objects kept per publish,
  ~35 per command, which every full pass of the garbage collector walks. It keeps the last
  `SENT_NOTIFICATIONS_KEPT` per topic instead.
"""

from __future__ import annotations

import collections
import copy
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

_applied = False
_lock = threading.Lock()
SENT_NOTIFICATIONS_KEPT = 1000


def apply_moto_patches() -> None:
    """Apply every patch of this module once."""
    global _applied
    with _lock:
        if _applied:
            return
        _applied = True
        _atomic_dynamodb()
        _fast_clock()
        _fast_retention_check()
        _cached_method_names()
        _cached_update_expressions()
        _fast_expression_copy()
        _cheap_branch_thread_names()
        _bounded_sent_notifications()


_DYNAMODB_OPERATIONS = (
    "put_item",
    "get_item",
    "update_item",
    "delete_item",
    "query",
    "scan",
    "batch_write_item",
    "batch_get_item",
    "transact_write_items",
    "transact_get_items",
)


def _atomic_dynamodb() -> None:
    from moto.dynamodb import models
    from moto.dynamodb.responses import DynamoHandler

    backend: Any = models.DynamoDBBackend
    lock = threading.RLock()

    def serialised(method: Callable[..., Any]) -> Callable[..., Any]:
        def run(*args: Any, **kwargs: Any) -> Any:
            with lock:
                return method(*args, **kwargs)

        run.__name__ = method.__name__
        run.__doc__ = method.__doc__
        return run

    for name in _DYNAMODB_OPERATIONS:
        method = getattr(backend, name, None)
        if method is not None:
            setattr(backend, name, serialised(method))
    # the response handler deep-copies the items it answers with: under the same lock, so that no
    # copy runs while another request changes the item ("dictionary changed size during iteration")
    handler: Any = DynamoHandler
    if hasattr(handler, "call_action"):
        handler.call_action = serialised(handler.call_action)


def _fast_clock() -> None:
    from moto.core import utils

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

    try:  # the moto modules that import the clock by name and run on a command's path
        import moto.dynamodb.models
        import moto.dynamodb.models.table
        import moto.sns.models
        import moto.sqs.models
        import moto.stepfunctions.models  # noqa: F401
    except ImportError:  # pragma: no cover - another moto layout
        pass
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
        from moto.sqs import models
    except ImportError:  # pragma: no cover - another moto layout
        return
    backend: Any = getattr(models, "SQSBackend", None)
    if backend is None or not hasattr(backend, "is_message_valid_based_on_retention_period"):
        return  # pragma: no cover - another moto layout

    def is_message_valid_based_on_retention_period(self: Any, queue_name: str, message: Any) -> bool:
        # moto: get_queue_attributes(queue_name, ["MessageRetentionPeriod"]) -> the same attribute
        retention_period = self.get_queue(queue_name).message_retention_period
        retain_until = retention_period + message.sent_timestamp / 1000
        return bool(retain_until > models.unix_time())  # type: ignore[attr-defined]

    backend.is_message_valid_based_on_retention_period = is_message_valid_based_on_retention_period


def _cached_method_names() -> None:
    from moto.core import responses

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
        from moto.dynamodb.parsing import expressions
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


_IMMUTABLE: frozenset[type] = frozenset({str, int, float, bool, type(None), bytes})


def _fast_expression_copy() -> None:
    try:
        from moto.dynamodb.parsing import ast_nodes, validators
    except ImportError:  # pragma: no cover - another moto layout
        return
    node_type: Any = getattr(ast_nodes, "Node", None)
    if node_type is None or getattr(validators, "deepcopy", None) is not copy.deepcopy:
        return  # pragma: no cover - another moto layout
    plain_nodes: dict[Any, bool] = {}

    def is_plain_node(cls: Any) -> bool:
        plain = plain_nodes.get(cls)
        if plain is None:
            plain = (
                issubclass(cls, node_type)
                and not hasattr(cls, "__deepcopy__")
                and not hasattr(cls, "__slots__")
                and cls.__reduce_ex__ is object.__reduce_ex__
                and getattr(cls, "__getstate__", object.__getstate__) is object.__getstate__
                and getattr(cls, "__setstate__", None) is None
            )
            plain_nodes[cls] = plain
        return plain

    def copy_tree(value: Any, memo: dict[int, Any] | None = None) -> Any:
        cls: Any = type(value)
        if cls in _IMMUTABLE:
            return value
        if memo is None:
            memo = {}
        found = memo.get(id(value))
        if found is not None:
            return found
        if cls is list:
            new_list: list[Any] = []
            memo[id(value)] = new_list
            _keep(memo, value)
            new_list.extend(copy_tree(item, memo) for item in value)
            return new_list
        if cls is dict:
            new_dict: dict[Any, Any] = {}
            memo[id(value)] = new_dict
            _keep(memo, value)
            for key, item in value.items():
                new_dict[copy_tree(key, memo)] = copy_tree(item, memo)
            return new_dict
        if is_plain_node(cls):
            node = cls.__new__(cls)
            memo[id(value)] = node
            _keep(memo, value)
            node.__dict__.update({key: copy_tree(item, memo) for key, item in value.__dict__.items()})
            return node
        return copy.deepcopy(value, memo)

    setattr(validators, "deepcopy", copy_tree)  # noqa: B010 - a module


def _keep(memo: dict[int, Any], value: Any) -> None:
    """As deepcopy does: keep the originals alive while the memo refers to them by id."""
    try:
        memo[id(memo)].append(value)
    except KeyError:
        memo[id(memo)] = [value]


def _cheap_branch_thread_names() -> None:
    try:
        from moto.stepfunctions.parser import utils
        from moto.stepfunctions.parser.asl.component.state.exec.state_parallel import (
            branch_worker as worker_module,
        )
    except ImportError:  # pragma: no cover - another moto layout
        return
    worker: Any = getattr(worker_module, "BranchWorker", None)
    if worker is None or not hasattr(worker, "_thread_routine"):
        return  # pragma: no cover - another moto layout

    def start(self: Any) -> None:
        if self._worker_thread is not None:
            raise RuntimeError(f"Attempted to rerun BranchWorker for program ${self._program}.")
        self._worker_thread = threading.Thread(
            target=self._thread_routine,
            name=f"BranchWorker_{type(self._program).__name__}",
            daemon=True,
        )
        utils.TMP_THREADS.append(self._worker_thread)
        self._worker_thread.start()

    worker.start = start


def _bounded_sent_notifications() -> None:
    try:
        from moto.sns.models import Topic
    except ImportError:  # pragma: no cover - another moto layout
        return
    original: Callable[..., None] = Topic.__init__

    def init(self: Any, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        self.sent_notifications = collections.deque(self.sent_notifications, maxlen=SENT_NOTIFICATIONS_KEPT)

    Topic.__init__ = init  # type: ignore[method-assign]
