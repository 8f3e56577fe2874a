"""Patches to moto, in this process, that change no behaviour, only cost (`speed_up_moto`).

`localcloud.aws.moto_server.MotoServer.start` applies them; each is described in
`speed_up_moto`'s docstring, and `localcloud.aws.moto_patches` holds the rest.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable
from typing import Any

from localcloud.aws.botocore_hook import route_in_process
from localcloud.aws.moto_asl_costs import cheaper_asl_engine
from localcloud.aws.moto_patches import apply_moto_patches

_sped_up = False
_speed_lock = threading.Lock()


def speed_up_moto() -> None:
    """Two in-process patches that change no behaviour, only cost (idempotent):

    - moto lists its own package directory (``os.listdir`` + ~150 ``isdir``) twice per request
      to route it; the list never changes, so it is computed once.
    - moto's ASL engine builds a new boto3 client for every Task state (~10-20 ms each); clients
      are thread-safe, so one is kept per (region, service, endpoint).
    - moto's ASL engine parses the state machine's definition again for every execution (ANTLR:
      130-600 ms for this project's machines, the largest cost of a command); the parsed program
      is kept per definition. The program tree holds no execution state (every execution has
      its own Environment); the one lazily set attribute (``heap_key``) is set before sharing.
    - moto's ASL engine builds a new JSONPath parser (ply yacc tables) for every path it
      evaluates; parsed paths are kept (they are immutable).
    - moto looks every backend up through ``BackendDict.__getitem__``, which takes a global lock
      and scans the list of all backends (~25% of moto's time under load); an account already
      there is returned at once.
    - moto answers a Query on a table's own key by sorting every item of the table and keeping
      those of the hash key (a Query slows down as the table grows: the local cloud's ceiling in a
      long run); it reads that one partition instead, sorted by the range key as moto sorts it.
    - moto's ASL engine logs every failed state (a routine Catch too) at ERROR with the repr of
      the whole state tree (kilobytes, built even when nobody listens); it logs one line at DEBUG
      instead. The failure itself is unchanged (DescribeExecution / the history keep it).
    - those clients reach an `AwsEndpoint` of this process through
      `localcloud.aws.botocore_hook.route_in_process` (``AwsEndpoint.handle`` called directly: no
      socket, HTTP parsing or server thread per Task).
    - moto's ``BaseModel.__new__`` appends every model instance it ever makes to a class-level
      list (``instances_tracked``, read only by moto's own web dashboard and S3's reset): every
      DynamoDB item (and the deep copy of it that every GetItem, Query and Scan answers with), every
      SQS message and its received copies, every Step Functions execution. Nothing ever left it:
      the process grew by ~2 MB a command, and the garbage collector's full passes over that heap
      grew with it (0.2 s -> 2.3 s per pass over a 5-minute run at 3 commands/s, stopping every
      thread). Instances are no longer tracked (S3's still are, for its reset); moto's dashboard
      shows no models. Live objects are kept alive by moto's backends as before.
    - `localcloud.moto_patches.apply_moto_patches`: moto's clock and SQS's retention check.
    - `localcloud.aws.moto_asl_costs.cheaper_asl_engine`: the ASL engine copies JSON values as JSON
      and evaluates each state on a pooled thread.
    """
    global _sped_up
    with _speed_lock:
        if _sped_up:
            return
        _sped_up = True
        from moto import backends, settings

        modules = tuple(backends.list_of_moto_modules())
        backends.list_of_moto_modules = lambda: modules
        try:
            from moto.stepfunctions.parser.asl.utils import boto_client
        except ImportError:  # pragma: no cover - another moto layout
            return
        original: Callable[..., Any] = boto_client.boto_client_for
        cache: dict[tuple[str, str, str, bool], Any] = {}
        cache_lock = threading.Lock()

        def cached_client_for(region: str, service: str, state_credentials: Any = None) -> Any:
            stubbed = bool(boto_client.botocore_stubber.enabled)  # type: ignore[attr-defined]
            key = (region, service, str(settings.moto_server_port()), stubbed)
            client = cache.get(key)
            if client is None:
                client = original(region=region, service=service, state_credentials=state_credentials)
                if not stubbed:  # calls for the endpoint of this process skip HTTP
                    route_in_process(client)
                with cache_lock:
                    cache.setdefault(key, client)
            return client

        setattr(boto_client, "boto_client_for", cached_client_for)  # noqa: B010 - a module
        _untracked_models()
        _quiet_asl_failures()
        _cache_parsed_programs()
        _cache_json_paths()
        _fast_backend_lookup()
        _partition_queries()
        apply_moto_patches()
        cheaper_asl_engine()
        for module in _sfn_client_users():
            if getattr(module, "boto_client_for", None) is original:
                setattr(module, "boto_client_for", cached_client_for)  # noqa: B010 - a module


def _quiet_asl_failures() -> None:
    try:
        from moto.stepfunctions.parser.asl.component import eval_component
    except ImportError:  # pragma: no cover - another moto layout
        return
    component = getattr(eval_component, "EvalComponent", None)
    if component is None:  # pragma: no cover
        return
    log = logging.getLogger("localcloud.asl")

    def log_failure_event(self: Any, failure_event_exception: Any) -> None:
        if log.isEnabledFor(logging.DEBUG):
            name = getattr(failure_event_exception.failure_event.error_name, "error_name", None)
            log.debug("ASL state %s failed: %s", type(self).__name__, name)

    def log_exception(self: Any, exception: Exception) -> None:
        log.debug("ASL state %s raised %r", type(self).__name__, exception)

    component._log_failure_event_exception = log_failure_event
    component._log_exception = log_exception


_PROGRAM_CACHE_SIZE = 64


def _cache_parsed_programs() -> None:
    try:
        from moto.stepfunctions.parser import models as models_module
        from moto.stepfunctions.parser.asl.component import eval_component as eval_module
        from moto.stepfunctions.parser.backend import execution_worker as worker_module
    except ImportError:  # pragma: no cover - another moto layout
        return
    parser: Any = getattr(worker_module, "AmazonStateLanguageParser", None)
    component: Any = getattr(eval_module, "EvalComponent", None)
    if (
        parser is None
        or component is None
        or getattr(models_module, "AmazonStateLanguageParser", None) is not parser
    ):
        return  # pragma: no cover - another moto layout
    eval_component: type = component
    cache: dict[str, Any] = {}
    lock = threading.Lock()

    class CachedParser:
        """AmazonStateLanguageParser with a memory: creation (which validates the definition by
        parsing it) fills the cache, so that even the first execution finds its program."""

        @staticmethod
        def parse(definition: str) -> Any:
            parsed = cache.get(definition)
            if parsed is None:
                parsed = parser.parse(definition)  # raises on a bad definition: nothing cached
                _set_heap_keys(parsed[0], eval_component)
                with lock:
                    if len(cache) >= _PROGRAM_CACHE_SIZE:
                        cache.pop(next(iter(cache)))
                    parsed = cache.setdefault(definition, parsed)
            return parsed

    for module in (worker_module, models_module):
        setattr(module, "AmazonStateLanguageParser", CachedParser)  # noqa: B010 - a module


def _set_heap_keys(root: Any, eval_component: type) -> None:
    """Touch ``heap_key`` on every component of the tree (it is set lazily, racily, on first use)."""
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, eval_component):
            _ = getattr(node, "heap_key", None)
        if isinstance(node, list | tuple | set | frozenset):
            stack.extend(node)
        elif isinstance(node, dict):
            stack.extend(node.values())
        elif hasattr(node, "__dict__") and type(node).__module__.startswith("moto.stepfunctions"):
            stack.extend(vars(node).values())


def _cache_json_paths() -> None:
    try:
        from moto.stepfunctions.parser.asl.component.common.path import result_path
        from moto.stepfunctions.parser.asl.utils import json_path
    except ImportError:  # pragma: no cover - another moto layout
        return
    for module in (json_path, result_path):
        parse = getattr(module, "parse", None)
        if callable(parse):
            setattr(module, "parse", functools.lru_cache(maxsize=4096)(parse))  # noqa: B010 - a module


def _fast_backend_lookup() -> None:
    try:
        from moto.core import base_backend
    except ImportError:  # pragma: no cover - another moto layout
        return
    backend_dict: Any = getattr(base_backend, "BackendDict", None)
    if backend_dict is None:  # pragma: no cover
        return
    original = backend_dict.__getitem__

    def getitem(self: Any, account_id: str) -> Any:
        # an account is only ever added (and its dict registered for reset) by the original
        if dict.__contains__(self, account_id):
            return dict.__getitem__(self, account_id)
        return original(self, account_id)

    backend_dict.__getitem__ = getitem


def _sfn_client_users() -> list[Any]:
    """The modules of moto's ASL engine that imported ``boto_client_for`` by name."""
    try:
        from moto.stepfunctions.parser.asl.component.state.exec.state_task import lambda_eval_utils
        from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (
            state_task_service_aws_sdk,
            state_task_service_dynamodb,
            state_task_service_events,
            state_task_service_sfn,
            state_task_service_sns,
            state_task_service_sqs,
            state_task_service_unsupported,
        )
    except ImportError:  # pragma: no cover - another moto layout
        return []
    return [
        lambda_eval_utils,
        state_task_service_dynamodb,
        state_task_service_sqs,
        state_task_service_sns,
        state_task_service_sfn,
        state_task_service_events,
        state_task_service_aws_sdk,
        state_task_service_unsupported,
    ]


def _partition_queries() -> None:
    """A Query on the table's own key (no index) reads the hash key's partition only: the same items,
    in the same order, as moto's `all_items()` filtered on the hash key, without sorting the table."""
    from moto.dynamodb.models.table import Table

    original_all_items: Callable[..., Any] = Table.all_items
    original_query: Callable[..., Any] = Table.query
    hint = threading.local()

    def all_items(self: Any) -> list[Any]:
        partition = getattr(hint, "partition", None)
        if partition is None or partition[0] is not self:
            return list(original_all_items(self))
        found = self.items.get(partition[1])  # a defaultdict: .get adds no empty partition
        if not found:
            return []
        if self.range_key_attr:
            return sorted(found.values(), key=lambda item: item.range_key)
        return [found]

    def query(self: Any, hash_key: Any, *args: Any, **kwargs: Any) -> Any:
        index_name = args[6] if len(args) > 6 else kwargs.get("index_name")
        if index_name or hash_key is None:
            return original_query(self, hash_key, *args, **kwargs)
        hint.partition = (self, hash_key)
        try:
            return original_query(self, hash_key, *args, **kwargs)
        finally:
            hint.partition = None

    setattr(Table, "all_items", all_items)  # noqa: B010 - moto's class
    setattr(Table, "query", query)  # noqa: B010 - moto's class


def _untracked_models() -> None:
    """moto's ``BaseModel.__new__`` without the class-level list of every instance (S3's kept)."""
    try:
        from moto.core import common_models, model_instances
    except ImportError:  # pragma: no cover - another moto layout
        return
    base: Any = getattr(common_models, "BaseModel", None)
    if base is None or "__new__" not in vars(base):
        return  # pragma: no cover - another moto layout

    def __new__(cls: Any, *args: Any, **kwargs: Any) -> Any:
        instance = super(base, cls).__new__(cls)
        if cls.__module__.startswith("moto.s3."):  # S3's reset closes its keys' buffers through it
            cls.instances_tracked.append(instance)
        return instance

    base.__new__ = __new__
    for service, models in model_instances.model_data.items():
        if service != "s3":
            for model in models.values():
                model.instances_tracked = []  # type: ignore[attr-defined]
