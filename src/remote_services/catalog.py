"""Service types as data: one table row per service type.

Adding a service type = adding one row to `SERVICES` (and, if the vehicle needs it, a codec entry).
"""

from __future__ import annotations

from .errors import ValidationError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from .typedefs import ParamSpec, ServiceSpec

APP = "APP"
VEHICLE = "VEHICLE"

# expectedMs: the longest time we wait in that status for the next status change (before TIMEOUT).
# CREATED is longer than the creation workflow may run (its TimeoutSeconds, 25 s, under API Gateway's
# 29 s integration timeout): a CREATED check never races a live workflow, so its TIMEOUT means the
# workflow died before PENDING (and a slow but healthy creation is never timed out).
CREATED_MS = 30_000
_QUICK = {"CREATED": CREATED_MS, "PENDING": 10000, "RUNNING": 15000}
_DOORS = {"CREATED": CREATED_MS, "PENDING": 10000, "RUNNING": 20000}
_SLOW = {"CREATED": CREATED_MS, "PENDING": 15000, "RUNNING": 60000}

SERVICES: dict[str, ServiceSpec] = {
    "HORN_BLOW": {
        "initiator": APP,
        "capability": "horn",
        "wireId": 1,
        "expectedMs": _QUICK,
        "parameters": {"durationS": {"type": "integer", "minimum": 1, "maximum": 10, "required": False}},
    },
    "LIGHT_FLASH": {
        "initiator": APP,
        "capability": "lights",
        "wireId": 2,
        "expectedMs": _QUICK,
        "parameters": {"durationS": {"type": "integer", "minimum": 1, "maximum": 30, "required": False}},
    },
    "DOOR_LOCK": {
        "initiator": APP,
        "capability": "doors",
        "wireId": 3,
        "expectedMs": _DOORS,
        "parameters": {},
    },
    "DOOR_UNLOCK": {
        "initiator": APP,
        "capability": "doors",
        "wireId": 4,
        "expectedMs": _DOORS,
        "parameters": {},
    },
    "CLIMATE_START": {
        "initiator": APP,
        "capability": "climate",
        "wireId": 5,
        "expectedMs": _SLOW,
        "parameters": {
            "targetTemperatureC": {"type": "number", "minimum": 16, "maximum": 28, "required": True},
            "durationMin": {"type": "integer", "minimum": 1, "maximum": 30, "required": False, "default": 10},
        },
    },
    "CLIMATE_STOP": {
        "initiator": APP,
        "capability": "climate",
        "wireId": 6,
        "expectedMs": _SLOW,
        "parameters": {},
    },
    "WINDOW_CLOSE": {
        "initiator": APP,
        "capability": "windows",
        "wireId": 7,
        "expectedMs": {"CREATED": 2000, "PENDING": 10000, "RUNNING": 30000},
        "parameters": {},
    },
    "VEHICLE_FINDER": {
        "initiator": APP,
        "capability": "location",
        "wireId": 8,
        "expectedMs": _QUICK,
        "parameters": {},
    },
    # Vehicle-initiated: published once, as EXECUTED; never waits for a next status.
    "THEFT_ALARM": {
        "initiator": VEHICLE,
        "capability": "alarm",
        "wireId": 64,
        "expectedMs": {},
        "parameters": {},
    },
}

SERVICE_TYPES: tuple[str, ...] = tuple(SERVICES)
_BY_WIRE_ID: dict[int, str] = {spec["wireId"]: name for name, spec in SERVICES.items()}


def spec(service_type: str) -> ServiceSpec:
    """The catalog row of `service_type`; ValidationError if unknown."""
    try:
        return SERVICES[service_type]
    except (KeyError, TypeError):
        raise ValidationError(
            "serviceType", f"unknown service type {service_type!r}; known: {', '.join(SERVICE_TYPES)}"
        ) from None


def by_wire_id(wire_id: int) -> str:
    """The service type with this numeric wire id; ValidationError if unknown."""
    try:
        return _BY_WIRE_ID[wire_id]
    except KeyError:
        raise ValidationError("serviceType", f"unknown service wire id {wire_id}") from None


def expected_ms(service_type: str, status: str) -> int:
    """Max time (ms) we wait in `status` for the next status change; ValidationError if none applies."""
    times = spec(service_type)["expectedMs"]
    if status not in times:
        raise ValidationError("status", f"{service_type} does not wait for a status after {status}")
    return times[status]


def _check_param(service_type: str, name: str, rule: ParamSpec, value: Any) -> Any:
    field = f"parameters.{name}"
    kind = rule["type"]
    if kind == "boolean":
        if not isinstance(value, bool):
            raise ValidationError(field, f"must be a boolean, got {value!r}")
        return value
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValidationError(field, f"must be a number, got {value!r}")
    if kind == "integer":
        if isinstance(value, float):
            if not value.is_integer():
                raise ValidationError(field, f"must be an integer, got {value!r}")
            value = int(value)
    elif value != value or value in (float("inf"), float("-inf")):
        raise ValidationError(field, f"must be a finite number, got {value!r}")
    low, high = rule.get("minimum"), rule.get("maximum")
    if (low is not None and value < low) or (high is not None and value > high):
        raise ValidationError(field, f"must be between {low} and {high} for {service_type}, got {value!r}")
    return value


def validate_parameters(service_type: str, parameters: object) -> dict[str, Any]:
    """Check and normalise request parameters (unknown keys, types, ranges, required, defaults)."""
    rules = spec(service_type)["parameters"]
    if parameters is None:
        parameters = {}
    if not isinstance(parameters, dict):
        raise ValidationError("parameters", f"must be an object, got {type(parameters).__name__}")
    unknown = sorted(set(parameters) - set(rules))
    if unknown:
        accepted = ", ".join(sorted(rules)) or "none"
        raise ValidationError(
            f"parameters.{unknown[0]}", f"not accepted by {service_type} (accepted: {accepted})"
        )
    out: dict[str, Any] = {}
    for name, rule in rules.items():
        if name in parameters:
            out[name] = _check_param(service_type, name, rule, parameters[name])
        elif rule["required"]:
            raise ValidationError(f"parameters.{name}", f"is required for {service_type}")
        elif "default" in rule:
            out[name] = rule["default"]
    return out
