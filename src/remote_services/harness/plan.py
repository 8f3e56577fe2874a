"""What the vehicle sends back, and when: a command (decoded with the generation codec) and its VIN's
behaviour -> the broker messages, each with its delay after the broker accepted the command.

    plan_command(command, behaviour, now_ms, rand) -> [(delayMs, {"topic","payload","receivedMs"})]
    plan_raise(vin, generation, service_type, count, every_ms, now_ms) -> the same, for /raise

`rand()` is uniform in [0, 1) (random.random in the function; a fixed sequence in the tests). The
vehicle stamps `vehicleTs` (in the payload) and the broker `receivedMs` with the time the message is
due, i.e. when the car sends it and the broker takes it from MQTT.
"""

from __future__ import annotations

from .. import catalog
from ..errors import ValidationError
from ..status import Status
from ..vehicles import check_generation, check_vin, encode_vehicle_message, uplink_topic

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    from ..typedefs import Command, VehicleUpdate
    from .behaviour import Behaviour

    Planned = tuple[int, dict[str, Any]]

MAX_RAISE_COUNT = 100


def other_vin(vin: str) -> str:
    """A stand-in for "another vehicle" when the behaviour names none: the VIN with its last
    character changed (a valid VIN, usually not registered)."""
    last = "1" if vin[-1] != "1" else "2"
    return vin[:-1] + last


def _jittered(message: dict[str, Any], rand: Callable[[], float]) -> int:
    jitter = int(message["jitterMs"])
    return int(message["delayMs"]) + (int(rand() * (jitter + 1)) if jitter else 0)


def _broker_message(update: VehicleUpdate, due_ms: int, malformed: bool, topic_vin: str) -> dict[str, Any]:
    update["vehicleTs"] = due_ms
    if topic_vin != update["vin"]:  # reported on another vehicle's topic (G1/G2 payloads carry no VIN)
        update = {**update, "vin": topic_vin}
    topic, payload = encode_vehicle_message(update)
    if malformed:  # not the generation's format: undecodable for the decoder
        payload = "\x00not-a-" + update["generation"].lower() + "-payload:" + payload[:8]
    return {"topic": topic, "payload": payload, "receivedMs": due_ms}


def plan_command(
    command: Command, behaviour: Behaviour, now_ms: int, rand: Callable[[], float]
) -> list[Planned]:
    """The vehicle's answers to one command, in the order they are due (stable for equal delays)."""
    vehicle = behaviour["vehicle"]
    if not vehicle["connected"]:
        return []
    base: VehicleUpdate = {
        "generation": command["generation"],
        "vin": command["vin"],
        "serviceType": command["serviceType"],
        "status": Status.RUNNING,
        "vehicleTs": 0,
        "eventId": command["eventId"],
    }
    ack_spec, done_spec = vehicle["ack"], vehicle["done"]
    ack_ms, done_ms = _jittered(ack_spec, rand), _jittered(done_spec, rand)
    done_ms = max(done_ms, ack_ms) if ack_spec["send"] else done_ms
    done: VehicleUpdate = {**base, "status": done_spec["result"]}
    if done_spec["result"] == Status.FAILED:
        done["failureReason"] = done_spec["reason"]
    messages: list[tuple[int, VehicleUpdate]] = []
    if ack_spec["send"]:
        messages.append((ack_ms, base))
    if done_spec["send"]:
        messages.append((done_ms, done))
    if vehicle["order"] == "done-first" and len(messages) == 2:  # the done goes out first, then the ack
        (first_ms, first), (second_ms, second) = messages
        messages = [(first_ms, second), (second_ms, first)]
    topic_vin = command["vin"]
    if vehicle["topic"] == "other-vehicle":
        topic_vin = vehicle["otherVin"] or other_vin(command["vin"])
    malformed = vehicle["payload"] == "malformed"
    planned: list[Planned] = []
    for delay_ms, update in messages:
        # each repeat is a delivery of its own, stamped 1 ms after the previous one (as a car's resend
        # reaches the broker again); a byte-identical copy is SQS's redelivery, idempotent in the pipeline
        for k in range(int(vehicle["repeat"])):
            message = _broker_message(update.copy(), now_ms + delay_ms + k, malformed, topic_vin)
            planned.append((delay_ms, message))
    planned.sort(key=lambda p: p[0])
    return planned


def plan_raise(
    vin: object, generation: object, service_type: object, count: object, every_ms: object, now_ms: int
) -> list[Planned]:
    """A vehicle-initiated event (e.g. THEFT_ALARM), `count` times, `every_ms` apart, the first now.
    ValidationError for a VIN, generation, service or count that is not right."""
    vin = check_vin(vin)
    generation = check_generation(generation)
    if not isinstance(service_type, str):
        raise ValidationError("serviceType", f"must be a string, got {type(service_type).__name__}")
    if catalog.spec(service_type)["initiator"] != catalog.VEHICLE:
        raise ValidationError("serviceType", f"{service_type} is not a vehicle-initiated service")
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= MAX_RAISE_COUNT:
        raise ValidationError("count", f"must be an integer in [1, {MAX_RAISE_COUNT}], got {count!r}")
    if isinstance(every_ms, bool) or not isinstance(every_ms, int) or every_ms < 0:
        raise ValidationError("everyMs", f"must be a non-negative integer, got {every_ms!r}")
    uplink_topic(generation, vin, service_type)
    planned: list[Planned] = []
    for n in range(count):
        update: VehicleUpdate = {
            "generation": generation,
            "vin": vin,
            "serviceType": service_type,
            "status": Status.EXECUTED,
            "vehicleTs": 0,
        }
        planned.append((n * every_ms, _broker_message(update, now_ms + n * every_ms, False, vin)))
    return planned
