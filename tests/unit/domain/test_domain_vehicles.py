"""VIN check and the two vehicle generations: table-driven round trips and clear decode errors."""

from __future__ import annotations

import base64
import json
import struct
from typing import Any

import pytest

from remote_services.envelope import new_event
from remote_services.errors import DecodeError, ValidationError
from remote_services.typedefs import VehicleUpdate
from remote_services.vehicles import (
    check_vin,
    decode_command,
    decode_vehicle_message,
    encode_command,
    encode_vehicle_message,
    normalise_vin,
)

VIN = "WVWZZZ1JZXW000001"
EVENT_ID = "8b0c3c9e-0d2f-4b4e-9b61-3f0e0c9d1a01"


@pytest.mark.parametrize("vin", [VIN, "1HGCM82633A004352", "WAUZZZ8V5KA000123"])
def test_valid_vins(vin: str) -> None:
    assert check_vin(vin) == vin


@pytest.mark.parametrize(
    ("vin", "words"),
    [
        ("WVWZZZ1JZXW00000", "17 characters"),
        ("WVWZZZ1JZXW0000001", "17 characters"),
        ("WVWZZZ1JZXW00000O", "'O'"),
        ("WVWZZZ1JZXQ00000I", "'IQ'"),
        ("wvwzzz1jzxw000001", "invalid character"),
        (12345678901234567, "string"),
    ],
)
def test_invalid_vins(vin: Any, words: str) -> None:
    with pytest.raises(ValidationError, match=words):
        check_vin(vin)


def test_normalise_vin() -> None:
    assert normalise_vin("  wvwzzz1jzxw000001 ") == VIN


def command(generation: str, service: str, params: dict[str, Any]) -> Any:
    return new_event(
        event_id=EVENT_ID,
        vin=VIN,
        service_type=service,
        status="PENDING",
        colour="green",
        first_seen_ms=1764000000000,
        updated_ms=1764000000150,
        parameters=params,
        vehicle={"generation": generation, "country": "DE"},
    )


COMMANDS = [
    ("G1", "HORN_BLOW", {}, "vw/g1/WVWZZZ1JZXW000001/rs/horn_blow"),
    (
        "G1",
        "CLIMATE_START",
        {"targetTemperatureC": 21.5, "durationMin": 10},
        "vw/g1/WVWZZZ1JZXW000001/rs/climate_start",
    ),
    ("G1", "DOOR_UNLOCK", {}, "vw/g1/WVWZZZ1JZXW000001/rs/door_unlock"),
    ("G2", "HORN_BLOW", {"durationS": 2}, "vehicles/WVWZZZ1JZXW000001/v2/remote-services"),
    (
        "G2",
        "CLIMATE_START",
        {"targetTemperatureC": 22.0, "durationMin": 5},
        "vehicles/WVWZZZ1JZXW000001/v2/remote-services",
    ),
    ("G2", "VEHICLE_FINDER", {}, "vehicles/WVWZZZ1JZXW000001/v2/remote-services"),
]


@pytest.mark.parametrize(("generation", "service", "params", "topic"), COMMANDS)
def test_command_round_trip(generation: str, service: str, params: dict[str, Any], topic: str) -> None:
    got_topic, payload = encode_command(command(generation, service, params))
    assert got_topic == topic
    assert decode_command(got_topic, payload) == {
        "generation": generation,
        "vin": VIN,
        "serviceType": service,
        "eventId": EVENT_ID,
        "parameters": params,
        "sentMs": 1764000000150,
    }


def test_generations_really_differ() -> None:
    _, g1 = encode_command(command("G1", "HORN_BLOW", {}))
    _, g2 = encode_command(command("G2", "HORN_BLOW", {}))
    assert json.loads(g1)["cmd"] == "horn_blow"
    raw = base64.b64decode(g2)
    assert raw[0] == 2 and raw[1] == 1 and raw[2] == 1  # version 2, command, HORN_BLOW's wire id
    assert struct.unpack(">Q", raw[4:12])[0] == 1764000000150


def test_encode_command_needs_vehicle() -> None:
    event = command("G1", "HORN_BLOW", {})
    del event["vehicle"]
    with pytest.raises(ValidationError, match="not enriched"):
        encode_command(event)


def updates() -> list[VehicleUpdate]:
    out: list[VehicleUpdate] = []
    for g in ("G1", "G2"):
        out.append(
            {
                "generation": g,
                "vin": VIN,
                "serviceType": "HORN_BLOW",
                "status": "RUNNING",
                "eventId": EVENT_ID,
                "vehicleTs": 5,
            }
        )
        out.append(
            {
                "generation": g,
                "vin": VIN,
                "serviceType": "DOOR_LOCK",
                "status": "EXECUTED",
                "eventId": EVENT_ID,
                "vehicleTs": 9,
            }
        )
        for reason in ("REJECTED_BY_VEHICLE", "UNSUPPORTED_BY_VEHICLE", "VEHICLE_BUSY"):
            out.append(
                {
                    "generation": g,
                    "vin": VIN,
                    "serviceType": "CLIMATE_START",
                    "status": "FAILED",
                    "eventId": EVENT_ID,
                    "failureReason": reason,
                    "vehicleTs": 7,
                }
            )
        out.append(
            {
                "generation": g,
                "vin": VIN,
                "serviceType": "THEFT_ALARM",
                "status": "EXECUTED",
                "vehicleTs": 1764000000999,
            }
        )
    return out


UPDATES = updates()


@pytest.mark.parametrize(
    "update", UPDATES, ids=lambda u: f"{u['generation']}-{u['serviceType']}-{u['status']}"
)
def test_vehicle_message_round_trip(update: VehicleUpdate) -> None:
    topic, payload = encode_vehicle_message(update)
    assert topic.startswith("vw/g1/" if update["generation"] == "G1" else "vehicles/")
    assert decode_vehicle_message(topic, payload) == update


@pytest.mark.parametrize(
    ("topic", "payload", "words"),
    [
        ("vw/g1/WVWZZZ1JZXW000001/rs/horn_blow/res", "not json", "not JSON"),
        (
            "vw/g1/WVWZZZ1JZXW000001/rs/horn_blow/res",
            '{"v":1,"st":"MAYBE","ts":1,"id":"x"}',
            "status 'MAYBE'",
        ),
        ("vw/g1/WVWZZZ1JZXW000001/rs/horn_blow/res", '{"v":1,"st":"ACK","ts":1}', "needs the event id"),
        (
            "vw/g1/WVWZZZ1JZXW000001/rs/horn_blow/res",
            '{"v":1,"st":"ERR","ts":1,"id":"x","err":"E42"}',
            "error code",
        ),
        ("vw/g1/WVWZZZ1JZXW000001/rs/horn_blow/res", '{"v":1,"st":"EVT","ts":1}', "not a vehicle-initiated"),
        (
            "vw/g1/WVWZZZ1JZXW000001/rs/theft_alarm/res",
            '{"v":1,"st":"ACK","ts":1,"id":"x"}',
            "vehicle-initiated",
        ),
        ("vw/g1/WVWZZZ1JZXW000001/rs/teleport/res", '{"v":1,"st":"ACK","ts":1,"id":"x"}', "unknown service"),
        ("vw/g1/WVWZZZ1JZXW000001/rs/horn_blow", '{"v":1,"st":"ACK","ts":1,"id":"x"}', "command topic"),
        ("vw/g1/BADVIN/rs/horn_blow/res", '{"v":1,"st":"ACK","ts":1,"id":"x"}', "bad topic"),
        ("mqtt/elsewhere", "x", "matches no vehicle generation"),
        ("vehicles/WVWZZZ1JZXW000001/v2/remote-services/status", "***", "not base64"),
        ("vehicles/WVWZZZ1JZXW000001/v2/remote-services/status", "AgI=", "too short"),
        (
            "vehicles/WVWZZZ1JZXW000001/v2/remote-services/status",
            base64.b64encode(struct.pack(">BBBBQB", 3, 2, 1, 0x10, 1, 0)).decode(),
            "version 3",
        ),
        (
            "vehicles/WVWZZZ1JZXW000001/v2/remote-services/status",
            base64.b64encode(struct.pack(">BBBBQB", 2, 2, 1, 0x99, 1, 1) + b"x").decode(),
            "status code 0x99",
        ),
        (
            "vehicles/WVWZZZ1JZXW000001/v2/remote-services/status",
            base64.b64encode(struct.pack(">BBBBQB", 2, 2, 200, 0x10, 1, 1) + b"x").decode(),
            "wire id 200",
        ),
        (
            "vehicles/WVWZZZ1JZXW000001/v2/remote-services/status",
            base64.b64encode(struct.pack(">BBBBQB", 2, 2, 1, 0x10, 1, 9) + b"x").decode(),
            "truncated",
        ),
    ],
)
def test_undecodable_vehicle_messages(topic: str, payload: str, words: str) -> None:
    with pytest.raises(DecodeError, match=words):
        decode_vehicle_message(topic, payload)


def test_vehicle_cannot_report_timeout() -> None:
    with pytest.raises(ValidationError, match="cannot report"):
        encode_vehicle_message(
            {
                "generation": "G1",
                "vin": VIN,
                "serviceType": "HORN_BLOW",
                "status": "FAILED",
                "eventId": "x",
                "failureReason": "TIMEOUT",
                "vehicleTs": 1,
            }
        )
    with pytest.raises(ValidationError, match="cannot report"):
        encode_vehicle_message(
            {
                "generation": "G2",
                "vin": VIN,
                "serviceType": "HORN_BLOW",
                "status": "PENDING",
                "eventId": "x",
                "vehicleTs": 1,
            }
        )


def test_decode_command_rejects_report_topic() -> None:
    with pytest.raises(DecodeError, match="not a command topic"):
        decode_command("vehicles/WVWZZZ1JZXW000001/v2/remote-services/status", "AA==")
