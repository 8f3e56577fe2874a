"""The behaviour record of one VIN (HarnessTable item attribute ``behaviour``, docs/test-harness.md
section 1): parsed, defaults filled in, checked. Bad input raises BehaviourError (a ValidationError
whose field names the offending path, e.g. ``vehicle.ack.delayMs``).

    parse_behaviour(text_or_dict) -> Behaviour (plain dicts, every field present)
    DEFAULT_BEHAVIOUR                # no item for the VIN: ack after 0 ms, done EXECUTED after 0 ms
"""

from __future__ import annotations

from lambda_runtime import jsonlite

from ..errors import ValidationError
from ..status import FailureReason, Status

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    Behaviour = dict[str, Any]

ORDERS = ("ack-first", "done-first")
PAYLOADS = ("valid", "malformed")
TOPICS = ("own", "other-vehicle")
MODES = ("accept", "error", "slow", "refuse")
RESULTS = (Status.EXECUTED, Status.FAILED)
# The reasons a vehicle can report (the generations' codecs know no others).
VEHICLE_REASONS = (
    FailureReason.REJECTED_BY_VEHICLE,
    FailureReason.UNSUPPORTED_BY_VEHICLE,
    FailureReason.VEHICLE_BUSY,
)
MAX_REPEAT = 20
MAX_DELAY_MS = 7 * 24 * 3600 * 1000  # a week: past it a scenario is a mistake
MAX_SLOW_MS = 60_000


class BehaviourError(ValidationError):
    """A behaviour record that is not the contract's (-> the broker mock answers 500 and logs it)."""


def _default() -> Behaviour:
    return {
        "vehicle": {
            "connected": True,
            "ack": {"send": True, "delayMs": 0, "jitterMs": 0},
            "done": {
                "send": True,
                "delayMs": 0,
                "jitterMs": 0,
                "result": Status.EXECUTED,
                "reason": None,
            },
            "repeat": 1,
            "order": "ack-first",
            "payload": "valid",
            "topic": "own",
            "otherVin": None,
        },
        "broker": {"mode": "accept", "times": 0, "slowMs": 0},
    }


DEFAULT_BEHAVIOUR: Behaviour = _default()


def _object(value: object, field: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise BehaviourError(field, f"must be an object, got {type(value).__name__}")
    return value


def _unknown(given: dict[str, Any], known: dict[str, Any], field: str) -> None:
    extra = sorted(set(given) - set(known))
    if extra:
        raise BehaviourError(f"{field}.{extra[0]}" if field else extra[0], "unknown field")


def _int(value: object, field: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise BehaviourError(field, f"must be an integer in [{low}, {high}], got {value!r}")
    return value


def _bool(value: object, field: str) -> bool:
    if not isinstance(value, bool):
        raise BehaviourError(field, f"must be true or false, got {value!r}")
    return value


def _choice(value: object, field: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise BehaviourError(field, f"must be one of {', '.join(allowed)}, got {value!r}")
    return str(value)


def _message(given: dict[str, Any], default: dict[str, Any], field: str) -> dict[str, Any]:
    _unknown(given, default, field)
    out = {**default, **given}
    out["send"] = _bool(out["send"], f"{field}.send")
    out["delayMs"] = _int(out["delayMs"], f"{field}.delayMs", 0, MAX_DELAY_MS)
    out["jitterMs"] = _int(out["jitterMs"], f"{field}.jitterMs", 0, MAX_DELAY_MS)
    return out


def parse_behaviour(raw: object) -> Behaviour:
    """The behaviour record (JSON text or the decoded object) with every field present."""
    if isinstance(raw, (str, bytes)):
        try:
            raw = jsonlite.loads(raw)
        except ValueError as exc:
            raise BehaviourError("behaviour", f"is not JSON: {exc}") from None
    top = _object(raw, "behaviour")
    default = _default()
    _unknown(top, default, "")
    vehicle = _object(top.get("vehicle"), "vehicle")
    _unknown(vehicle, default["vehicle"], "vehicle")
    v: dict[str, Any] = {**default["vehicle"], **vehicle}
    v["connected"] = _bool(v["connected"], "vehicle.connected")
    v["ack"] = _message(_object(vehicle.get("ack"), "vehicle.ack"), default["vehicle"]["ack"], "vehicle.ack")
    done = _message(_object(vehicle.get("done"), "vehicle.done"), default["vehicle"]["done"], "vehicle.done")
    done["result"] = _choice(done["result"], "vehicle.done.result", RESULTS)
    if done["result"] == Status.FAILED:
        done["reason"] = _choice(
            done["reason"] or FailureReason.REJECTED_BY_VEHICLE, "vehicle.done.reason", VEHICLE_REASONS
        )
    elif done["reason"] is not None:
        raise BehaviourError("vehicle.done.reason", "only a FAILED result has a reason")
    v["done"] = done
    v["repeat"] = _int(v["repeat"], "vehicle.repeat", 1, MAX_REPEAT)
    v["order"] = _choice(v["order"], "vehicle.order", ORDERS)
    v["payload"] = _choice(v["payload"], "vehicle.payload", PAYLOADS)
    v["topic"] = _choice(v["topic"], "vehicle.topic", TOPICS)
    if v["otherVin"] is not None:
        from ..vehicles import check_vin

        try:
            check_vin(v["otherVin"])
        except ValidationError as exc:
            raise BehaviourError("vehicle.otherVin", exc.detail) from None
    broker = _object(top.get("broker"), "broker")
    _unknown(broker, default["broker"], "broker")
    b: dict[str, Any] = {**default["broker"], **broker}
    b["mode"] = _choice(b["mode"], "broker.mode", MODES)
    b["times"] = _int(b["times"], "broker.times", 0, 1_000_000)
    b["slowMs"] = _int(b["slowMs"], "broker.slowMs", 0, MAX_SLOW_MS)
    return {"vehicle": v, "broker": b}


def broker_answer(broker: dict[str, Any], call_number: int) -> str:
    """The broker side's decision for this VIN's `call_number`-th misbehaving-mode call (1-based,
    counted atomically in HarnessTable): the mode while `times` is 0 or not used up, else "accept"."""
    mode = str(broker["mode"])
    if mode == "accept":
        return mode
    times = int(broker["times"])
    return mode if times == 0 or call_number <= times else "accept"
