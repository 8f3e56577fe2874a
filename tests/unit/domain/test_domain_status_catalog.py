"""Status ranks and the service catalog."""

from __future__ import annotations

from typing import Any

import pytest

from remote_services import catalog
from remote_services.errors import ValidationError
from remote_services.status import FAILURE_REASONS, STATUSES, is_final, rank


def test_ranks_and_finals() -> None:
    assert [rank(s) for s in STATUSES] == [0, 1, 2, 3, 3]
    assert [s for s in STATUSES if is_final(s)] == ["EXECUTED", "FAILED"]
    assert (
        "TIMEOUT" in FAILURE_REASONS and "BROKER_UNAVAILABLE" in FAILURE_REASONS and len(FAILURE_REASONS) == 7
    )


def test_every_service_type_is_complete() -> None:
    expected = {
        "HORN_BLOW",
        "LIGHT_FLASH",
        "DOOR_LOCK",
        "DOOR_UNLOCK",
        "CLIMATE_START",
        "CLIMATE_STOP",
        "WINDOW_CLOSE",
        "VEHICLE_FINDER",
        "THEFT_ALARM",
    }
    assert set(catalog.SERVICES) == expected
    wire_ids = [s["wireId"] for s in catalog.SERVICES.values()]
    assert len(set(wire_ids)) == len(wire_ids)
    for name, spec in catalog.SERVICES.items():
        if spec["initiator"] == catalog.APP:
            assert set(spec["expectedMs"]) == {"CREATED", "PENDING", "RUNNING"}, name
        else:
            assert spec["expectedMs"] == {}, name


def test_expected_times() -> None:
    assert catalog.expected_ms("HORN_BLOW", "PENDING") == 10000
    assert catalog.expected_ms("CLIMATE_START", "RUNNING") > catalog.expected_ms("HORN_BLOW", "RUNNING")
    with pytest.raises(ValidationError, match="does not wait"):
        catalog.expected_ms("HORN_BLOW", "EXECUTED")
    with pytest.raises(ValidationError, match="unknown service type"):
        catalog.expected_ms("TELEPORT", "CREATED")


@pytest.mark.parametrize(
    ("service", "params", "out"),
    [
        ("CLIMATE_START", {"targetTemperatureC": 21.5}, {"targetTemperatureC": 21.5, "durationMin": 10}),
        (
            "CLIMATE_START",
            {"targetTemperatureC": 16, "durationMin": 30.0},
            {"targetTemperatureC": 16, "durationMin": 30},
        ),
        ("DOOR_LOCK", None, {}),
        ("VEHICLE_FINDER", {}, {}),
        ("HORN_BLOW", {"durationS": 3}, {"durationS": 3}),
    ],
)
def test_parameters_normalised(service: str, params: Any, out: dict[str, Any]) -> None:
    assert catalog.validate_parameters(service, params) == out


@pytest.mark.parametrize(
    ("service", "params", "field", "words"),
    [
        ("CLIMATE_START", {}, "parameters.targetTemperatureC", "required"),
        ("CLIMATE_START", {"targetTemperatureC": 29}, "parameters.targetTemperatureC", "between 16 and 28"),
        ("CLIMATE_START", {"targetTemperatureC": "warm"}, "parameters.targetTemperatureC", "number"),
        ("CLIMATE_START", {"targetTemperatureC": True}, "parameters.targetTemperatureC", "number"),
        (
            "CLIMATE_START",
            {"targetTemperatureC": 20, "durationMin": 2.5},
            "parameters.durationMin",
            "integer",
        ),
        ("CLIMATE_START", {"targetTemperatureC": float("nan")}, "parameters.targetTemperatureC", "finite"),
        ("DOOR_UNLOCK", {"force": True}, "parameters.force", "accepted: none"),
        ("HORN_BLOW", [1], "parameters", "object"),
    ],
)
def test_parameters_rejected(service: str, params: Any, field: str, words: str) -> None:
    with pytest.raises(ValidationError) as info:
        catalog.validate_parameters(service, params)
    assert info.value.field == field and words in str(info.value)
