"""Vehicles: VIN check and the two vehicle generations (MQTT topic layout + payload codec).

G1 (older): topic ``vw/g1/{vin}/rs/{service_lower}`` (uplink: ``.../res``), compact JSON payloads,
status words ``ACK | DONE | ERR | EVT``.
G2: topic ``vehicles/{vin}/v2/remote-services`` (uplink: ``.../status``), base64 of a binary frame:
``>BBBBQB`` = version 2, message type (1 command, 2 status), service wire id, status code, timestamp ms,
id length; then the event id (ASCII); commands then carry ``k=v;k=v`` parameters (UTF-8).
"""

from __future__ import annotations

from lambda_runtime import jsonlite

from . import catalog
from .errors import DecodeError, ValidationError
from .status import FailureReason, Status

TYPE_CHECKING = False
if TYPE_CHECKING:
    import struct
    from typing import Any

    from .typedefs import Command, Envelope, VehicleUpdate

G1 = "G1"
G2 = "G2"
GENERATIONS: tuple[str, ...] = (G1, G2)

_VIN_ALPHABET = frozenset("ABCDEFGHJKLMNPRSTUVWXYZ0123456789")


def check_vin(value: object) -> str:
    """Return `value` if it is a valid VIN (17 chars of A-Z/0-9 without I, O, Q), else ValidationError."""
    if not isinstance(value, str):
        raise ValidationError("vin", f"must be a string, got {type(value).__name__}")
    if len(value) != 17:
        raise ValidationError("vin", f"must be 17 characters, got {len(value)} ({value!r})")
    bad = sorted(set(value) - _VIN_ALPHABET)
    if bad:
        raise ValidationError(
            "vin", f"invalid character(s) {''.join(bad)!r} in {value!r} (A-Z and 0-9 without I, O, Q)"
        )
    return value


def normalise_vin(value: object) -> str:
    """Strip and upper-case a VIN, then check it."""
    if isinstance(value, str):
        value = value.strip().upper()
    return check_vin(value)


def check_generation(value: object) -> str:
    """Return `value` if it is a known generation, else ValidationError."""
    if value not in GENERATIONS:
        raise ValidationError("vehicle.generation", f"must be one of {', '.join(GENERATIONS)}, got {value!r}")
    return str(value)


def command_topic(generation: str, vin: str, service_type: str) -> str:
    """The MQTT topic the command for this vehicle is published on."""
    if check_generation(generation) == G1:
        return f"vw/g1/{vin}/rs/{service_type.lower()}"
    return f"vehicles/{vin}/v2/remote-services"


def uplink_topic(generation: str, vin: str, service_type: str) -> str:
    """The MQTT topic the vehicle reports on."""
    if check_generation(generation) == G1:
        return f"vw/g1/{vin}/rs/{service_type.lower()}/res"
    return f"vehicles/{vin}/v2/remote-services/status"


# ---------------------------------------------------------------------------------------------- G1
_G1_STATUS = {"ACK": Status.RUNNING, "DONE": Status.EXECUTED, "ERR": Status.FAILED, "EVT": Status.EXECUTED}
_G1_ERR = {
    "REJECTED": FailureReason.REJECTED_BY_VEHICLE,
    "UNSUPPORTED": FailureReason.UNSUPPORTED_BY_VEHICLE,
    "BUSY": FailureReason.VEHICLE_BUSY,
}
_G1_ERR_CODE = {v: k for k, v in _G1_ERR.items()}

# ---------------------------------------------------------------------------------------------- G2
_G2_VERSION = 2
_G2_COMMAND = 1
_G2_STATUS = 2
_g2_header_struct: struct.Struct | None = None


def _g2_header() -> struct.Struct:
    """The G2 frame header (version, type, wire id, code, ts, id length); made on first use.

    struct and binascii are imported lazily: only G2 frames need them, and each is an extension
    module load on every cold start of the native binary otherwise.
    """
    global _g2_header_struct
    if _g2_header_struct is None:
        import struct

        _g2_header_struct = struct.Struct(">BBBBQB")
    return _g2_header_struct
_G2_CODES = {
    0x10: (Status.RUNNING, None),
    0x20: (Status.EXECUTED, None),
    0x30: (Status.FAILED, FailureReason.REJECTED_BY_VEHICLE),
    0x31: (Status.FAILED, FailureReason.UNSUPPORTED_BY_VEHICLE),
    0x32: (Status.FAILED, FailureReason.VEHICLE_BUSY),
    0x40: (Status.EXECUTED, None),  # vehicle-initiated event (no event id)
}
_G2_CODE_OF = {
    (Status.RUNNING, None, True): 0x10,
    (Status.EXECUTED, None, True): 0x20,
    (Status.FAILED, FailureReason.REJECTED_BY_VEHICLE, True): 0x30,
    (Status.FAILED, FailureReason.UNSUPPORTED_BY_VEHICLE, True): 0x31,
    (Status.FAILED, FailureReason.VEHICLE_BUSY, True): 0x32,
    (Status.EXECUTED, None, False): 0x40,
}


def _b64(data: bytes) -> str:
    import binascii

    return binascii.b2a_base64(data, newline=False).decode("ascii")


def _unb64(text: str) -> bytes:
    import binascii

    try:
        return binascii.a2b_base64(text.encode("ascii"), strict_mode=True)
    except (binascii.Error, UnicodeEncodeError, ValueError) as exc:
        raise DecodeError(f"G2 payload is not base64: {exc}") from None


def _g2_params(service_type: str, parameters: dict[str, Any]) -> bytes:
    parts = []
    for key, value in sorted(parameters.items()):
        text = ("true" if value else "false") if isinstance(value, bool) else repr(value)
        parts.append(f"{key}={text}")
    return ";".join(parts).encode("utf-8")


def _g2_unparams(service_type: str, raw: bytes) -> dict[str, Any]:
    rules = catalog.spec(service_type)["parameters"]
    out: dict[str, Any] = {}
    if not raw:
        return out
    for part in raw.decode("utf-8").split(";"):
        key, sep, text = part.partition("=")
        if not sep or key not in rules:
            raise DecodeError(f"G2 command: bad parameter {part!r} for {service_type}")
        kind = rules[key]["type"]
        try:
            out[key] = (
                text == "true" if kind == "boolean" else int(text) if kind == "integer" else float(text)
            )
        except ValueError:
            raise DecodeError(f"G2 command: bad value {text!r} for {key}") from None
    return out


def _frame(msg_type: int, service_type: str, code: int, ts: int, event_id: str, tail: bytes = b"") -> str:
    ident = event_id.encode("ascii")
    if len(ident) > 255:
        raise ValidationError("eventId", "longer than 255 characters")
    header = _g2_header().pack(
        _G2_VERSION, msg_type, catalog.spec(service_type)["wireId"], code, ts, len(ident)
    )
    return _b64(header + ident + tail)


def _unframe(payload: str, want_type: int) -> tuple[str, int, int, str, bytes]:
    """-> (serviceType, code, ts, eventId, tail)"""
    raw = _unb64(payload)
    header = _g2_header()
    if len(raw) < header.size:
        raise DecodeError(f"G2 frame too short ({len(raw)} bytes)")
    version, msg_type, wire_id, code, ts, id_len = header.unpack_from(raw)
    if version != _G2_VERSION:
        raise DecodeError(f"G2 frame version {version} not supported (want {_G2_VERSION})")
    if msg_type != want_type:
        raise DecodeError(f"G2 frame type {msg_type}, want {want_type}")
    end = header.size + id_len
    if len(raw) < end:
        raise DecodeError("G2 frame truncated in the event id")
    try:
        event_id = raw[header.size : end].decode("ascii")
        service_type = catalog.by_wire_id(wire_id)
    except (UnicodeDecodeError, ValidationError) as exc:
        raise DecodeError(f"G2 frame: {exc}") from None
    return service_type, code, ts, event_id, raw[end:]


def _g1_json(payload: str) -> dict[str, Any]:
    try:
        data = jsonlite.loads(payload)
    except (ValueError, TypeError) as exc:
        raise DecodeError(f"G1 payload is not JSON: {exc}") from None
    if not isinstance(data, dict) or data.get("v") != 1:
        raise DecodeError('G1 payload must be a JSON object with "v": 1')
    return data


def _int(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise DecodeError(f"{what} must be a non-negative integer, got {value!r}")
    return value


def _parse_topic(topic: object) -> tuple[str, str, str | None, str]:
    """-> (generation, vin, service_lower or None, direction "down" | "up")"""
    if not isinstance(topic, str):
        raise DecodeError(f"topic must be a string, got {type(topic).__name__}")
    parts = topic.split("/")
    try:
        if parts[:2] == ["vw", "g1"] and len(parts) in (5, 6) and parts[3] == "rs":
            if len(parts) == 6 and parts[5] != "res":
                raise DecodeError(f"unknown G1 topic {topic!r}")
            return G1, check_vin(parts[2]), parts[4], "up" if len(parts) == 6 else "down"
        if parts[0] == "vehicles" and parts[2:4] == ["v2", "remote-services"] and len(parts) in (4, 5):
            if len(parts) == 5 and parts[4] != "status":
                raise DecodeError(f"unknown G2 topic {topic!r}")
            return G2, check_vin(parts[1]), None, "up" if len(parts) == 5 else "down"
    except (IndexError, ValidationError) as exc:
        raise DecodeError(f"bad topic {topic!r}: {exc}") from None
    raise DecodeError(f"topic {topic!r} matches no vehicle generation")


def _g1_service(service_lower: str | None) -> str:
    name = (service_lower or "").upper()
    try:
        catalog.spec(name)
    except ValidationError:
        raise DecodeError(f"G1 topic names unknown service {service_lower!r}") from None
    return name


# ------------------------------------------------------------------------------------------ our side
def encode_command(event: Envelope) -> tuple[str, str]:
    """Our side: the envelope (with `vehicle`) -> (topic, payload) for the vehicle's generation."""
    vehicle = event.get("vehicle")
    if not vehicle:
        raise ValidationError("vehicle", "missing: the event was not enriched")
    generation = check_generation(vehicle.get("generation"))
    vin, service_type = event["vin"], event["serviceType"]
    topic = command_topic(generation, vin, service_type)
    if generation == G1:
        body = {
            "v": 1,
            "id": event["eventId"],
            "cmd": service_type.lower(),
            "p": event["parameters"],
            "ts": event["updatedMs"],
        }
        return topic, jsonlite.dumps(body, separators=(",", ":"), sort_keys=True)
    tail = _g2_params(service_type, event["parameters"])
    return topic, _frame(_G2_COMMAND, service_type, 0, event["updatedMs"], event["eventId"], tail)


def decode_vehicle_message(topic: object, payload: object) -> VehicleUpdate:
    """Our side: an uplink MQTT message -> the update it reports. DecodeError if it cannot be decoded."""
    generation, vin, service_lower, direction = _parse_topic(topic)
    if direction != "up":
        raise DecodeError(f"topic {topic!r} is a command topic, not a vehicle report")
    if not isinstance(payload, str):
        raise DecodeError(f"payload must be a string, got {type(payload).__name__}")
    update: VehicleUpdate
    if generation == G1:
        service_type = _g1_service(service_lower)
        data = _g1_json(payload)
        word = data.get("st")
        if word not in _G1_STATUS:
            raise DecodeError(f"G1 status {word!r} unknown (ACK, DONE, ERR, EVT)")
        update = {
            "generation": G1,
            "vin": vin,
            "serviceType": service_type,
            "status": _G1_STATUS[word],
            "vehicleTs": _int(data.get("ts"), "G1 ts"),
        }
        event_id = data.get("id")
        if word == "ERR":
            err = data.get("err")
            if err not in _G1_ERR:
                raise DecodeError(f"G1 error code {err!r} unknown ({', '.join(_G1_ERR)})")
            update["failureReason"] = _G1_ERR[err]
    else:
        service_type, code, ts, event_id, _tail = _unframe(payload, _G2_STATUS)
        if code not in _G2_CODES:
            raise DecodeError(f"G2 status code 0x{code:02x} unknown")
        status, reason = _G2_CODES[code]
        update = {
            "generation": G2,
            "vin": vin,
            "serviceType": service_type,
            "status": status,
            "vehicleTs": ts,
        }
        if reason:
            update["failureReason"] = reason
        word = "EVT" if code == 0x40 else "CMD"
        event_id = event_id or None
    vehicle_initiated = catalog.spec(service_type)["initiator"] == catalog.VEHICLE
    if word == "EVT":
        if not vehicle_initiated:
            raise DecodeError(f"{service_type} is not a vehicle-initiated service")
    elif vehicle_initiated:
        raise DecodeError(f"{service_type} is vehicle-initiated: only event reports are valid")
    elif not isinstance(event_id, str) or not event_id:
        raise DecodeError(f"a {update['status']} report needs the event id")
    else:
        update["eventId"] = event_id
    return update


# ------------------------------------------------------------------------------------- vehicle side
def decode_command(topic: object, payload: object) -> Command:
    """Vehicle side (simulator): a command MQTT message -> the command. DecodeError if undecodable."""
    generation, vin, service_lower, direction = _parse_topic(topic)
    if direction != "down":
        raise DecodeError(f"topic {topic!r} is a vehicle report topic, not a command topic")
    if not isinstance(payload, str):
        raise DecodeError(f"payload must be a string, got {type(payload).__name__}")
    if generation == G1:
        service_type = _g1_service(service_lower)
        data = _g1_json(payload)
        if data.get("cmd") != service_lower:
            raise DecodeError(f"G1 command {data.get('cmd')!r} does not match the topic")
        event_id, params = data.get("id"), data.get("p")
        if not isinstance(event_id, str) or not isinstance(params, dict):
            raise DecodeError('G1 command needs a string "id" and an object "p"')
        ts = _int(data.get("ts"), "G1 ts")
    else:
        service_type, _code, ts, event_id, tail = _unframe(payload, _G2_COMMAND)
        params = _g2_unparams(service_type, tail)
    return {
        "generation": generation,
        "vin": vin,
        "serviceType": service_type,
        "eventId": event_id,
        "parameters": params,
        "sentMs": ts,
    }


def encode_vehicle_message(update: VehicleUpdate) -> tuple[str, str]:
    """Vehicle side (simulator): an update (ack RUNNING, done EXECUTED, FAILED + reason, or a
    vehicle-initiated EXECUTED without eventId) -> (topic, payload)."""
    generation = check_generation(update["generation"])
    service_type, status = update["serviceType"], update["status"]
    catalog.spec(service_type)
    event_id = update.get("eventId")
    reason = update.get("failureReason") if status == Status.FAILED else None
    topic = uplink_topic(generation, check_vin(update["vin"]), service_type)
    if generation == G1:
        if event_id is None:
            if status != Status.EXECUTED:
                raise ValidationError("status", "a vehicle-initiated report is EXECUTED")
            word = "EVT"
        else:
            word = {Status.RUNNING: "ACK", Status.EXECUTED: "DONE", Status.FAILED: "ERR"}.get(status, "")
            if not word:
                raise ValidationError("status", f"a vehicle cannot report {status}")
        body: dict[str, Any] = {"v": 1, "st": word, "ts": update["vehicleTs"]}
        if event_id is not None:
            body["id"] = event_id
        if word == "ERR":
            if reason not in _G1_ERR_CODE:
                raise ValidationError("failureReason", f"a vehicle cannot report {reason!r}")
            body["err"] = _G1_ERR_CODE[reason]
        return topic, jsonlite.dumps(body, separators=(",", ":"), sort_keys=True)
    code = _G2_CODE_OF.get((status, reason, event_id is not None))
    if code is None:
        raise ValidationError("status", f"a G2 vehicle cannot report {status}/{reason} here")
    return topic, _frame(_G2_STATUS, service_type, code, update["vehicleTs"], event_id or "")
