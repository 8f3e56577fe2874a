"""moto, in-process, as an HTTP server on 127.0.0.1.

API::

    moto = MotoServer(host="127.0.0.1", port=0).start()   # port 0: a free port
    moto.url      # "http://127.0.0.1:<port>"
    moto.app      # moto's WSGI application (the endpoint calls it directly)
    MotoServer.running_at(url) -> MotoServer | None   # a started server of this process
    moto.port
    moto.configure({"stepfunctions": {"execute_state_machine": True}})  # done by start()
    moto.stop()

`start()` enables moto's ASL interpreter (Step Functions executions run for real), which
must happen before any state machine is created. moto's Step Functions engine calls other
services at ``http://localhost:$MOTO_PORT`` (the variable is read at each call): point it at
the `AwsEndpoint` (see `localcloud.aws.endpoint.AwsEndpoint.start`), never at moto itself, so
that Lambda tasks reach the function host.
"""

from __future__ import annotations

import json
import logging
import socket
import threading
import urllib.request
from typing import Any

from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import BaseWSGIServer, make_server

from localcloud.aws.moto_apigateway_canary import apply_canary_patch
from localcloud.aws.moto_executions import forget_ended_express_executions
from localcloud.aws.moto_speedups import speed_up_moto

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
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        execute_state_machines: bool = True,
        quiet: bool = True,
        express_retention_s: float = 60.0,
        janitor_every_s: float = 10.0,
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
        self.express_retention_s = express_retention_s
        self.janitor_every_s = janitor_every_s
        self._janitor_stop = threading.Event()
        self._janitor: threading.Thread | None = None

    def start(self) -> MotoServer:
        """Start the server, enable Step Functions execution; returns self."""
        if self._server is not None:
            return self
        speed_up_moto()
        apply_canary_patch()  # API Gateway stage canary settings (the router between the colours)
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
        """What moto keeps and a long run must not: the finished worker threads its ASL engine keeps
        in a module-level list (`TMP_THREADS`), and the Express executions that ended more than
        `express_retention_s` ago (`localcloud.aws.moto_executions`: AWS keeps none)."""
        try:
            from moto.stepfunctions.parser.utils import TMP_THREADS
        except ImportError:  # pragma: no cover - another moto layout
            TMP_THREADS = []
        while not self._janitor_stop.wait(self.janitor_every_s):
            TMP_THREADS[:] = [t for t in list(TMP_THREADS) if t.is_alive()]
            forget_ended_express_executions(self.express_retention_s)
