"""The sample task inputs of the event-creation workflow's Lambda tasks: validate (the request) and
enrich (the registry item as DynamoDB GetItem returns it). Written by make_events.py."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.functional.handlers.aws_events import VIN_FR, VIN_G1, VIN_G2


def task_input_events(write: Callable[[str, str, Any], None]) -> None:
    # ---- validate (task input from the event-creation workflow)
    write("validate", "horn-blow", {"vin": VIN_G2, "serviceType": "HORN_BLOW", "parameters": {}})
    write(
        "validate",
        "climate-start",
        {"vin": VIN_G1, "serviceType": "CLIMATE_START", "parameters": {"targetTemperatureC": 21.5}},
    )
    write("validate", "door-lock-lowercase-vin", {"vin": " wvwzzz1jzxw000001", "serviceType": "DOOR_LOCK"})
    write(
        "validate", "invalid-vin", {"vin": "WVWZZZ1JZXW00000O", "serviceType": "HORN_BLOW", "parameters": {}}
    )
    write(
        "validate",
        "invalid-climate-temperature",
        {"vin": VIN_G1, "serviceType": "CLIMATE_START", "parameters": {"targetTemperatureC": 35}},
    )
    write(
        "validate",
        "invalid-unknown-parameter",
        {"vin": VIN_G1, "serviceType": "DOOR_UNLOCK", "parameters": {"force": True}},
    )
    write(
        "validate",
        "invalid-unknown-service",
        {"vin": VIN_G1, "serviceType": "SUNROOF_OPEN", "parameters": {}},
    )
    write("validate", "invalid-theft-alarm-requested", {"vin": VIN_G1, "serviceType": "THEFT_ALARM"})

    # ---- enrich (task input: registry item as DynamoDB GetItem returns it)
    owner = "3f1c8a52-7d2b-4c1e-9f00-0a1b2c3d4e5f"

    def registry(
        vin: str, generation: str, country: str, caps: list[str], who: str = owner
    ) -> dict[str, Any]:
        return {
            "vin": {"S": vin},
            "owner": {"S": who},
            "generation": {"S": generation},
            "country": {"S": country},
            "capabilities": {"SS": caps},
        }

    all_caps = [
        "CLIMATE_START",
        "CLIMATE_STOP",
        "DOOR_LOCK",
        "DOOR_UNLOCK",
        "HORN_BLOW",
        "LIGHT_FLASH",
        "VEHICLE_FINDER",
        "WINDOW_CLOSE",
    ]
    write(
        "enrich",
        "g1-horn-blow",
        {
            "vin": VIN_G1,
            "serviceType": "HORN_BLOW",
            "owner": owner,
            "registryItem": registry(VIN_G1, "G1", "DE", ["HORN_BLOW", "LIGHT_FLASH"]),
        },
    )
    write(
        "enrich",
        "g2-climate-start",
        {
            "vin": VIN_G2,
            "serviceType": "CLIMATE_START",
            "owner": owner,
            "registryItem": registry(VIN_G2, "G2", "DE", all_caps),
        },
    )
    write(
        "enrich",
        "invalid-not-owner",
        {
            "vin": VIN_G2,
            "serviceType": "DOOR_UNLOCK",
            "owner": owner,
            "registryItem": registry(VIN_G2, "G2", "DE", all_caps, "someone-else"),
        },
    )
    write(
        "enrich",
        "invalid-unknown-vin",
        {"vin": VIN_FR, "serviceType": "HORN_BLOW", "owner": owner, "registryItem": None},
    )
    write(
        "enrich",
        "invalid-unsupported-service",
        {
            "vin": VIN_G1,
            "serviceType": "CLIMATE_START",
            "owner": owner,
            "registryItem": registry(VIN_G1, "G1", "DE", ["HORN_BLOW"]),
        },
    )

