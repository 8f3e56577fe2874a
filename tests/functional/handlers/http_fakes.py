"""A real HTTP server on 127.0.0.1 (random port) standing in for the broker, the subscriber and the
disclosure authority: it records every JSON body and answers from a script (status codes or delays)."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class RecordingServer:
    """`with RecordingServer() as srv:` ... `srv.url`, `srv.bodies`; `srv.script = [503, 503]` answers the
    next requests with those statuses (then 200); an entry ("sleep", s) answers 200 after s seconds;
    `srv.default = 503` changes the answer once the script is used up."""

    def __init__(self) -> None:
        self.bodies: list[Any] = []
        self.requests = 0
        self.script: list[int | tuple[str, float]] = []
        self.default = 200
        self._lock = threading.Lock()
        self._stop = threading.Event()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                with outer._lock:
                    outer.requests += 1
                    step = outer.script.pop(0) if outer.script else outer.default
                status = 200
                if isinstance(step, tuple):
                    outer._stop.wait(step[1])
                else:
                    status = step
                if status < 300:
                    with outer._lock:
                        outer.bodies.append(json.loads(raw))
                reply = json.dumps({"ok": status < 300}).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(reply)))
                    self.end_headers()
                    self.wfile.write(reply)
                except OSError:
                    pass  # the client gave up (timeout)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/push"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05})

    def __enter__(self) -> RecordingServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def wait_for(self, count: int, timeout_s: float = 5.0) -> list[Any]:
        deadline = time.monotonic() + timeout_s
        while len(self.bodies) < count and time.monotonic() < deadline:
            time.sleep(0.01)
        return list(self.bodies)
