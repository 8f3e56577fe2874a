"""A case's vehicle and broker sides -> the concrete behaviour record of docs/test-harness.md
section 1 (every default filled, every symbol resolved with the catalog's expected times)."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

from remote_services import catalog
from remote_services.errors import ValidationError
from remote_services.outgoing import BROKER_TIMEOUT_S
from remote_services.status import FAILURE_REASONS, FailureReason, Status
from remote_services.vehicles import GENERATIONS, encode_vehicle_message

# The lifecycle checker decides TIMEOUT at the deadline, or up to this much later while our own queues
# hold messages (template: LIFECYCLE_MAX_SLACK_MS): a report in that window may still be applied.
TIMEOUT_SLACK_MS = 30_000
SYMBOL_OFFSET_MS = 3_000  # "after-timeout" / "before-timeout": this far past / before the deadline
DEFAULT_VEHICLE_REASON = FailureReason.REJECTED_BY_VEHICLE


class CaseFault(Exception):
    """A semantic error in one case: `field` (dotted) and `message`; the loader adds file and case."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field, self.message = field, message


@cache
def vehicle_reasons() -> tuple[str, ...]:
    """The failure reasons a vehicle can report: those every generation's codec can carry."""
    out = []
    for reason in sorted(FAILURE_REASONS):
        try:
            for generation in GENERATIONS:
                encode_vehicle_message(
                    {
                        "generation": generation,
                        "vin": "WVWZZZ1JZXW000001",
                        "serviceType": "HORN_BLOW",
                        "status": Status.FAILED,
                        "failureReason": reason,
                        "vehicleTs": 0,
                        "eventId": "e",
                    }
                )
        except ValidationError:
            continue
        out.append(reason)
    return tuple(out)


def window_ms(service_type: str, status: str) -> int | None:
    """The catalog's expected time in `status` (None: the service type never waits in it)."""
    return catalog.spec(service_type)["expectedMs"].get(status)


def _window(service_type: str, status: str, field: str) -> int:
    got = window_ms(service_type, status)
    if got is None:
        raise CaseFault(field, f"{service_type} has no expected time in {status}: use a number")
    return got


def _delay(raw: Any, default: int, symbol_base: tuple[int, int] | None, jitter: int, field: str) -> int:
    """A delay: a number, or a symbol relative to (earliest start, window) of the status it waits in."""
    if raw is None:
        return default
    if isinstance(raw, int):
        return raw
    if symbol_base is None:
        raise CaseFault(field, f"{raw!r} needs a status with a deadline")
    start, window = symbol_base
    if raw == "after-timeout":  # past the latest TIMEOUT decision (the checker's slack included)
        return start + window + TIMEOUT_SLACK_MS + SYMBOL_OFFSET_MS
    value = start + window - SYMBOL_OFFSET_MS - jitter
    if value < 0:
        raise CaseFault(field, f"before-timeout resolves to {value} ms (a window of {window} ms)")
    return value


def resolve_behaviour(fields: Mapping[str, Any], service_type: str) -> dict[str, Any]:
    """The behaviour record (plain JSON) of a merged case."""
    vehicle = fields.get("vehicle") or {}
    ack_raw, done_raw = vehicle.get("ack") or {}, vehicle.get("done") or {}
    order = vehicle.get("order", "ack-first")
    ack_send, done_send = bool(ack_raw.get("send", True)), bool(done_raw.get("send", True))
    ack_jitter, done_jitter = int(ack_raw.get("jitterMs", 0)), int(done_raw.get("jitterMs", 0))
    app = catalog.spec(service_type)["initiator"] == catalog.APP
    pending = (0, _window(service_type, Status.PENDING, "vehicle.ack.delayMs")) if app else None
    ack_delay = _delay(ack_raw.get("delayMs"), 0, pending, ack_jitter, "vehicle.ack.delayMs")
    done_base = pending
    if app and ack_send and order == "ack-first" and pending is not None and ack_delay < pending[1]:
        done_base = (ack_delay + ack_jitter, _window(service_type, Status.RUNNING, "vehicle.done.delayMs"))
        if done_raw.get("delayMs") == "before-timeout":
            done_base = (ack_delay, done_base[1])
    done_delay = _delay(done_raw.get("delayMs"), ack_delay, done_base, done_jitter, "vehicle.done.delayMs")
    result = done_raw.get("result", Status.EXECUTED)
    reason = done_raw.get("reason")
    if result == Status.EXECUTED and reason is not None:
        raise CaseFault("vehicle.done.reason", "a reason goes with result FAILED only")
    if result == Status.FAILED:
        reason = reason or DEFAULT_VEHICLE_REASON
        if reason not in vehicle_reasons():
            known = ", ".join(vehicle_reasons())
            raise CaseFault("vehicle.done.reason", f"{reason!r} is not a reason a vehicle reports ({known})")
    if ack_send and done_send and order == "ack-first" and done_delay < ack_delay:
        raise CaseFault(
            "vehicle.done.delayMs",
            f"{done_delay} ms is before the ack ({ack_delay} ms): "
            "the done is never sent before the ack's slot (order: done-first swaps them)",
        )
    broker = fields.get("broker") or {}
    mode, slow_ms = broker.get("mode", "accept"), int(broker.get("slowMs", 0))
    if mode == "slow" and slow_ms <= BROKER_TIMEOUT_S * 1000:
        raise CaseFault(
            "broker.slowMs",
            f"must exceed the connector's {BROKER_TIMEOUT_S:g} s timeout for mode slow, got {slow_ms}",
        )
    if mode != "slow" and slow_ms:
        raise CaseFault("broker.slowMs", f"only with mode slow (mode is {mode})")
    return {
        "vehicle": {
            "connected": bool(vehicle.get("connected", True)),
            "ack": {"send": ack_send, "delayMs": ack_delay, "jitterMs": ack_jitter},
            "done": {
                "send": done_send,
                "delayMs": done_delay,
                "jitterMs": done_jitter,
                "result": result,
                "reason": reason,
            },
            "repeat": int(vehicle.get("repeat", 1)),
            "order": order,
            "payload": vehicle.get("payload", "valid"),
            "topic": vehicle.get("topic", "own"),
        },
        "broker": {"mode": mode, "times": int(broker.get("times", 0)), "slowMs": slow_ms},
    }
