"""The vehicle simulator: answers the broker's commands as the fleet's behaviours say, by putting the
vehicle's messages on the IncomingQueue as the broker would (`{"topic","payload","receivedMs"}`).

    sim = VehicleSimulator(fleet, send=lambda body: sqs.send_message(QueueUrl=url, MessageBody=body),
                           time_scale=0.05).start()
    broker = BrokerMock(on_command=sim.on_command)
    sim.raise_event(vin, "THEFT_ALARM")        # a vehicle-initiated event
    sim.log                                    # what it received / sent (SimEntry)
    sim.stop()

Commands are decoded with the generation codec (`remote_services.vehicles.decode_command`); a command
that cannot be decoded, or for a VIN outside the fleet, is recorded and left unanswered (as a car that
does not understand it would). Delays (ackMs/doneMs) are multiplied by `time_scale`.
"""

from __future__ import annotations

import heapq
import itertools
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from remote_services.errors import DomainError
from remote_services.vehicles import decode_command, encode_vehicle_message
from simulator.fleet import Fleet

if TYPE_CHECKING:
    from remote_services.typedefs import Command, VehicleUpdate

Sender = Callable[[str], None]


@dataclass(frozen=True)
class SimEntry:
    """One thing the simulator saw or did."""

    at_ms: int
    kind: str  # "command" | "undecodable" | "unknown-vin" | "sent" | "send-failed"
    vin: str
    detail: str
    event_id: str | None = None


def _now_ms() -> int:
    return int(time.time() * 1000)


class VehicleSimulator:
    """Schedules the vehicles' answers on a timer thread and sends them with `send(body_json)`."""

    def __init__(self, fleet: Fleet, send: Sender, time_scale: float = 1.0) -> None:
        self.fleet = fleet
        self.time_scale = time_scale
        self._send = send
        self._heap: list[tuple[float, int, str, str]] = []
        self._seq = itertools.count()
        self._cond = threading.Condition()
        self._log: list[SimEntry] = []
        self._stopped = False
        self._thread: threading.Thread | None = None

    # lifecycle ----------------------------------------------------------------------------------
    def start(self) -> VehicleSimulator:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="vehicle-sim", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        with self._cond:
            self._stopped = True
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    @property
    def log(self) -> list[SimEntry]:
        with self._cond:
            return list(self._log)

    def pending(self) -> int:
        """Messages scheduled and not yet sent."""
        with self._cond:
            return len(self._heap)

    def _record(self, entry: SimEntry) -> None:
        with self._cond:
            self._log.append(entry)
            if len(self._log) > 100_000:
                del self._log[:50_000]

    # input --------------------------------------------------------------------------------------
    def on_command(self, topic: str, payload: str, correlation_id: str) -> None:
        """Called by the broker mock for every accepted command (does not block)."""
        try:
            cmd: Command = decode_command(topic, payload)
        except DomainError as exc:
            self._record(SimEntry(_now_ms(), "undecodable", "", f"{topic}: {exc.message}"))
            return
        vehicle = self.fleet.vehicles.get(cmd["vin"])
        if vehicle is None:
            self._record(SimEntry(_now_ms(), "unknown-vin", cmd["vin"], topic, cmd["eventId"]))
            return
        if vehicle.generation != cmd["generation"]:
            self._record(
                SimEntry(
                    _now_ms(),
                    "undecodable",
                    cmd["vin"],
                    f"{cmd['generation']} command for a {vehicle.generation} vehicle",
                    cmd["eventId"],
                )
            )
            return
        self._record(SimEntry(_now_ms(), "command", cmd["vin"], cmd["serviceType"], cmd["eventId"]))
        b = vehicle.behaviour
        if b.kind == "silent":
            return
        base: VehicleUpdate = {
            "generation": vehicle.generation,
            "vin": vehicle.vin,
            "serviceType": cmd["serviceType"],
            "status": "RUNNING",
            "vehicleTs": 0,
            "eventId": cmd["eventId"],
        }
        ack = dict(base)
        final: dict[str, Any] = {**base, "status": "EXECUTED"}
        if b.kind == "reject":
            final = {**base, "status": "FAILED", "failureReason": b.reason}
        plan: list[tuple[float, dict[str, Any]]] = [(b.ack_ms, ack), (max(b.done_ms, b.ack_ms), final)]
        if b.kind == "out_of_order":
            plan = [(b.ack_ms, final), (max(b.done_ms, b.ack_ms), ack)]
        if b.kind == "duplicate":
            plan = [plan[0], plan[0], plan[1], plan[1]]
        for delay_ms, update in plan:
            self._schedule(delay_ms, update)

    def raise_event(self, vin: str, service_type: str = "THEFT_ALARM", delay_ms: float = 0) -> None:
        """A vehicle-initiated event (published once, EXECUTED, without event id)."""
        vehicle = self.fleet.vehicles[vin]
        self._schedule(
            delay_ms,
            {
                "generation": vehicle.generation,
                "vin": vin,
                "serviceType": service_type,
                "status": "EXECUTED",
                "vehicleTs": 0,
            },
        )

    def send_raw(self, topic: str, payload: str) -> None:
        """Put any (possibly malformed) message on the incoming queue, as the broker would."""
        self._send(json.dumps({"topic": topic, "payload": payload, "receivedMs": _now_ms()}))

    def _schedule(self, delay_ms: float, update: dict[str, Any]) -> None:
        due = time.monotonic() + max(0.0, delay_ms) * self.time_scale / 1000.0
        with self._cond:
            heapq.heappush(self._heap, (due, next(self._seq), update["vin"], json.dumps(update)))
            self._cond.notify_all()

    # the timer thread ---------------------------------------------------------------------------
    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._stopped and (not self._heap or self._heap[0][0] > time.monotonic()):
                    wait = self._heap[0][0] - time.monotonic() if self._heap else None
                    self._cond.wait(wait)
                if self._stopped:
                    return
                _, _, vin, raw = heapq.heappop(self._heap)
            update = json.loads(raw)
            update["vehicleTs"] = _now_ms()
            try:
                topic, payload = encode_vehicle_message(update)
                self.send_raw(topic, payload)
                self._record(
                    SimEntry(
                        _now_ms(),
                        "sent",
                        vin,
                        f"{update['serviceType']} {update['status']}",
                        update.get("eventId"),
                    )
                )
            except Exception as exc:  # a send failure must not kill the simulator
                self._record(SimEntry(_now_ms(), "send-failed", vin, repr(exc), update.get("eventId")))
