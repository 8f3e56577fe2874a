"""Customer traffic while the weights move: commands without the override header, so the router's
weights choose their colour, one vehicle after the other (each free again long before its turn).

    traffic = CustomerTraffic(api_url, token, vins, rate_per_s=1.0).start()
    ...                                   # shift the weights
    sent = traffic.stop()                 # [SentCommand]: HTTP status, event id, when

A 429 (the stage's throttle) is counted, not retried: such a command was never accepted.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass
class SentCommand:
    vin: str
    sent_ms: int
    status: int
    event_id: str = ""


class CustomerTraffic:
    """One thread sending HORN_BLOW commands at `rate_per_s` (see the module docstring)."""

    def __init__(self, api_url: str, token: str, vins: Sequence[str], rate_per_s: float = 1.0) -> None:
        if not vins:
            raise ValueError("customer traffic needs at least one vehicle")
        self.api_url = api_url.rstrip("/")
        self.token = token
        self.vins = list(vins)
        self.period_s = 1.0 / rate_per_s
        self.sent: list[SentCommand] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="customers", daemon=True)

    def start(self) -> CustomerTraffic:
        self._thread.start()
        return self

    def stop(self) -> list[SentCommand]:
        self._stop.set()
        self._thread.join(timeout=30)
        return list(self.sent)

    def _run(self) -> None:
        for vin in itertools.cycle(self.vins):
            if self._stop.is_set():
                return
            started = time.monotonic()
            self.sent.append(self._post(vin))
            self._stop.wait(max(0.0, self.period_s - (time.monotonic() - started)))

    def _post(self, vin: str) -> SentCommand:
        sent_ms = int(time.time() * 1000)
        request = urllib.request.Request(
            f"{self.api_url}/v1/vehicles/{vin}/services/HORN_BLOW",
            data=b'{"parameters": {"durationS": 2}}',
            method="POST",
            headers={"Authorization": self.token, "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                status, raw = int(response.status), response.read()
        except urllib.error.HTTPError as exc:
            status, raw = int(exc.code), exc.read()
        except OSError:
            return SentCommand(vin, sent_ms, 0)
        try:
            body = json.loads(raw)
        except ValueError:
            body = {}
        event_id = str(body.get("eventId", "")) if status == 202 and isinstance(body, dict) else ""
        return SentCommand(vin, sent_ms, status, event_id)
