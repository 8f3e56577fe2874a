"""moto, in-process, as an HTTP server on 127.0.0.1.

API::

    moto = MotoServer(host="127.0.0.1", port=0).start()   # port 0: a free port
    moto.url      # "http://127.0.0.1:<port>"
    moto.app      # moto's WSGI application (the front calls it directly)
    MotoServer.running_at(url) -> MotoServer | None   # a started server of this process
    moto.port
    moto.configure({"stepfunctions": {"execute_state_machine": True}})  # done by start()
    moto.stop()

`start()` enables moto's ASL interpreter (Step Functions executions run for real), which
must happen before any state machine is created. moto's Step Functions engine calls other
services at ``http://localhost:$MOTO_PORT`` (the variable is read at each call): point it at
the `Front` (see `front.Front.start`), never at moto itself, so that Lambda tasks reach
the function host.
"""

from __future__ import annotations

import functools
import importlib
import json
import logging
import socket
import threading
import urllib.request
from collections.abc import Callable
from typing import Any

from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import BaseWSGIServer, make_server

from localcloud.moto_patches import apply_moto_patches

_running: dict[str, MotoServer] = {}
_running_lock = threading.Lock()


class _NoDelayHandler(MotoRequestHandler):
    """moto's request handler with TCP_NODELAY: werkzeug writes headers and body separately,
    and Nagle + delayed ACK would add ~40 ms to many responses."""

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class MotoServer:
    """A moto server running in this process, in a daemon thread."""

    def __init__(
        self, host: str = "127.0.0.1", port: int = 0, execute_state_machines: bool = True, quiet: bool = True
    ) -> None:
        if quiet:  # werkzeug logs one line per request to stderr
            logging.getLogger("werkzeug").setLevel(logging.ERROR)
        self._host = host
        self._requested_port = port
        self._execute = execute_state_machines
        self._server: BaseWSGIServer | None = None
        self.app: Any = None
        self._thread: threading.Thread | None = None
        self._port = 0
        self._janitor_stop = threading.Event()
        self._janitor: threading.Thread | None = None

    def start(self) -> MotoServer:
        """Start the server, enable Step Functions execution; returns self."""
        if self._server is not None:
            return self
        speed_up_moto()
        # what moto's ThreadedMotoServer does, with our request handler
        app = DomainDispatcherApplication(create_backend_app)
        self.app = app
        server: BaseWSGIServer = make_server(
            self._host, self._requested_port, app, threaded=True, request_handler=_NoDelayHandler
        )
        self._server = server
        self._port = int(server.server_address[1])
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.1}, name="moto", daemon=True
        )
        self._thread.start()
        with _running_lock:
            _running[self.url] = self
        if self._execute:
            self.configure({"stepfunctions": {"execute_state_machine": True}})
        self._janitor = threading.Thread(target=self._prune_threads, name="moto-janitor", daemon=True)
        self._janitor.start()
        return self

    @staticmethod
    def running_at(url: str) -> MotoServer | None:
        """The started MotoServer of this process serving `url`, if any."""
        with _running_lock:
            return _running.get(url.rstrip("/"))

    @property
    def host(self) -> str:
        return self._host

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("MotoServer is not started")
        return self._port

    @property
    def url(self) -> str:
        return f"http://{self._host}:{self.port}"

    def configure(self, config: dict[str, Any]) -> dict[str, Any]:
        """POST /moto-api/config; returns moto's whole configuration."""
        req = urllib.request.Request(
            self.url + "/moto-api/config",
            data=json.dumps(config).encode(),
            method="POST",
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(req, timeout=10) as resp:
            result: dict[str, Any] = json.loads(resp.read())
        return result

    def reset(self) -> None:
        """Forget every resource (POST /moto-api/reset); the configuration stays."""
        req = urllib.request.Request(self.url + "/moto-api/reset", data=b"", method="POST")
        with urllib.request.urlopen(req, timeout=10):
            pass

    def stop(self) -> None:
        """Stop the server (idempotent)."""
        self._janitor_stop.set()
        if self._janitor is not None:
            self._janitor.join(timeout=5)
            self._janitor = None
        with _running_lock:
            if self._server is not None and _running.get(self.url) is self:
                del _running[self.url]
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> MotoServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _prune_threads(self) -> None:
        """moto's ASL engine keeps every worker thread it ever started in a module-level
        list (`TMP_THREADS`); drop the finished ones so a long run does not grow without end."""
        try:
            from moto.stepfunctions.parser.utils import TMP_THREADS
        except ImportError:  # pragma: no cover - another moto layout
            return
        while not self._janitor_stop.wait(10.0):
            TMP_THREADS[:] = [t for t in list(TMP_THREADS) if t.is_alive()]


_SFN_CLIENT_USERS = (
    "moto.stepfunctions.parser.asl.component.state.exec.state_task.lambda_eval_utils",
    "moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_dynamodb",
    "moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_sqs",
    "moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_sns",
    "moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_sfn",
    "moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_events",
    "moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_aws_sdk",
    "moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_unsupported",
)
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
    - moto's ASL engine logs every failed state (a routine Catch too) at ERROR with the repr of
      the whole state tree (kilobytes, built even when nobody listens); it logs one line at DEBUG
      instead. The failure itself is unchanged (DescribeExecution / the history keep it).
    - those clients reach a `front.Front` of this process through `front.route_in_process`
      (``Front.handle`` called directly: no socket, HTTP parsing or server thread per Task).
    - `localcloud.moto_patches.apply_moto_patches`: moto's clock and SQS's retention check.
    """
    global _sped_up
    with _speed_lock:
        if _sped_up:
            return
        _sped_up = True
        from moto import backends

        modules = tuple(backends.list_of_moto_modules())
        backends.list_of_moto_modules = lambda: modules
        try:
            boto_client = importlib.import_module("moto.stepfunctions.parser.asl.utils.boto_client")
        except ImportError:  # pragma: no cover - another moto layout
            return
        original: Callable[..., Any] = boto_client.boto_client_for
        settings = importlib.import_module("moto.settings")
        cache: dict[tuple[str, str, str, bool], Any] = {}
        cache_lock = threading.Lock()

        def cached_client_for(region: str, service: str, state_credentials: Any = None) -> Any:
            stubbed = bool(boto_client.botocore_stubber.enabled)
            key = (region, service, str(settings.moto_server_port()), stubbed)
            client = cache.get(key)
            if client is None:
                client = original(region=region, service=service, state_credentials=state_credentials)
                if not stubbed:  # calls for the front of this process skip HTTP
                    importlib.import_module("localcloud.front").route_in_process(client)
                with cache_lock:
                    cache.setdefault(key, client)
            return client

        setattr(boto_client, "boto_client_for", cached_client_for)  # noqa: B010 - a module
        _quiet_asl_failures()
        _cache_parsed_programs()
        _cache_json_paths()
        _fast_backend_lookup()
        apply_moto_patches()
        for name in _SFN_CLIENT_USERS:
            try:
                module = importlib.import_module(name)
            except ImportError:  # pragma: no cover - another moto layout
                continue
            if getattr(module, "boto_client_for", None) is original:
                setattr(module, "boto_client_for", cached_client_for)  # noqa: B010 - a module


def _quiet_asl_failures() -> None:
    try:
        eval_component = importlib.import_module("moto.stepfunctions.parser.asl.component.eval_component")
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
        worker_module = importlib.import_module("moto.stepfunctions.parser.backend.execution_worker")
        models_module = importlib.import_module("moto.stepfunctions.parser.models")
        eval_module = importlib.import_module("moto.stepfunctions.parser.asl.component.eval_component")
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
    for name in (
        "moto.stepfunctions.parser.asl.utils.json_path",
        "moto.stepfunctions.parser.asl.component.common.path.result_path",
    ):
        try:
            module = importlib.import_module(name)
        except ImportError:  # pragma: no cover - another moto layout
            continue
        parse = getattr(module, "parse", None)
        if callable(parse):
            setattr(module, "parse", functools.lru_cache(maxsize=4096)(parse))  # noqa: B010 - a module


def _fast_backend_lookup() -> None:
    try:
        base_backend = importlib.import_module("moto.core.base_backend")
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
