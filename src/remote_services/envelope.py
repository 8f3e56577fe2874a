"""The one event format (specVersion "1.0"): build, parse/validate, serialise, SNS attributes."""

from __future__ import annotations

from lambda_runtime import jsonlite

from . import catalog
from .errors import ValidationError
from .status import FAILURE_REASONS, RANKS, Status, is_final
from .vehicles import GENERATIONS, check_vin

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from .typedefs import Envelope, VehicleInfo

SPEC_VERSION = "1.0"
SOURCES: tuple[str, ...] = ("APP", "VEHICLE")
COLOURS: tuple[str, ...] = ("blue", "green")
_REQUIRED = (
    "specVersion",
    "eventId",
    "vin",
    "serviceType",
    "status",
    "source",
    "colour",
    "firstSeenMs",
    "updatedMs",
    "traceId",
    "parameters",
)
_OPTIONAL = ("owner", "vehicle", "failureReason")
FIELDS: tuple[str, ...] = _REQUIRED + _OPTIONAL
_ID_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.:")


def new_event(
    *,
    event_id: str,
    vin: str,
    service_type: str,
    status: str,
    colour: str,
    first_seen_ms: int,
    updated_ms: int | None = None,
    trace_id: str = "",
    source: str = "APP",
    parameters: dict[str, Any] | None = None,
    owner: str | None = None,
    vehicle: VehicleInfo | None = None,
    failure_reason: str | None = None,
) -> Envelope:
    """Build a valid envelope (ValidationError if a field is wrong)."""
    event: dict[str, Any] = {
        "specVersion": SPEC_VERSION,
        "eventId": event_id,
        "vin": vin,
        "serviceType": service_type,
        "status": status,
        "source": source,
        "colour": colour,
        "firstSeenMs": first_seen_ms,
        "updatedMs": first_seen_ms if updated_ms is None else updated_ms,
        "traceId": trace_id,
        "parameters": {} if parameters is None else parameters,
    }
    if owner is not None:
        event["owner"] = owner
    if vehicle is not None:
        event["vehicle"] = vehicle
    if failure_reason is not None:
        event["failureReason"] = failure_reason
    return parse_event(event)


def with_status(event: Envelope, status: str, updated_ms: int, failure_reason: str | None = None) -> Envelope:
    """A copy of `event` in a new status (failureReason set for FAILED, dropped otherwise)."""
    copy: dict[str, Any] = dict(event)
    copy["status"], copy["updatedMs"] = status, updated_ms
    copy.pop("failureReason", None)
    if failure_reason is not None:
        copy["failureReason"] = failure_reason
    return parse_event(copy)


def _str(data: dict[str, Any], field: str, max_len: int = 256, allow_empty: bool = False) -> str:
    value = data.get(field)
    if not isinstance(value, str):
        raise ValidationError(field, f"must be a string, got {type(value).__name__}")
    if (not value and not allow_empty) or len(value) > max_len:
        raise ValidationError(field, f"must be 1..{max_len} characters, got {len(value)}")
    return value


def _one_of(data: dict[str, Any], field: str, allowed: tuple[str, ...]) -> str:
    value = data.get(field)
    if value not in allowed:
        raise ValidationError(field, f"must be one of {', '.join(allowed)}, got {value!r}")
    return str(value)


def _ms(data: dict[str, Any], field: str) -> int:
    value = data.get(field)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValidationError(field, f"must be a non-negative integer (epoch ms), got {value!r}")
    return value


def parse_event(data: object) -> Envelope:
    """Validate an envelope (a dict, or JSON text) and return it; ValidationError says what is wrong."""
    if isinstance(data, str | bytes | bytearray):
        data = loads(data)
    if not isinstance(data, dict):
        raise ValidationError("event", f"must be a JSON object, got {type(data).__name__}")
    unknown = sorted(set(data) - set(FIELDS))
    if unknown:
        raise ValidationError(unknown[0], "unknown field in the event envelope")
    missing = [f for f in _REQUIRED if f not in data]
    if missing:
        raise ValidationError(missing[0], "is required")
    if data["specVersion"] != SPEC_VERSION:
        raise ValidationError("specVersion", f"must be {SPEC_VERSION!r}, got {data['specVersion']!r}")
    event_id = _str(data, "eventId", 128)
    if not set(event_id) <= _ID_CHARS:
        raise ValidationError("eventId", f"has characters outside [A-Za-z0-9-_.:]: {event_id!r}")
    check_vin(data["vin"])
    catalog.spec(data["serviceType"])
    status = _one_of(data, "status", tuple(RANKS))
    _one_of(data, "source", SOURCES)
    _one_of(data, "colour", COLOURS)
    _ms(data, "firstSeenMs")
    _ms(data, "updatedMs")  # may precede firstSeenMs by clock skew (broker vs API clocks): accepted
    _str(data, "traceId", 512, allow_empty=True)
    if not isinstance(data["parameters"], dict):
        raise ValidationError("parameters", f"must be an object, got {type(data['parameters']).__name__}")
    if "owner" in data:
        _str(data, "owner")
    if "vehicle" in data:
        vehicle = data["vehicle"]
        if not isinstance(vehicle, dict) or set(vehicle) != {"generation", "country"}:
            raise ValidationError("vehicle", f'must be {{"generation", "country"}}, got {vehicle!r}')
        if vehicle["generation"] not in GENERATIONS:
            raise ValidationError("vehicle.generation", f"must be one of {', '.join(GENERATIONS)}")
        country = vehicle["country"]
        if not (isinstance(country, str) and len(country) == 2 and country.isascii() and country.isupper()):
            raise ValidationError("vehicle.country", f"must be an ISO 3166 alpha-2 code, got {country!r}")
    if status == Status.FAILED:
        if data.get("failureReason") not in FAILURE_REASONS:
            raise ValidationError(
                "failureReason",
                f"a FAILED event needs one of {', '.join(sorted(FAILURE_REASONS))}, "
                f"got {data.get('failureReason')!r}",
            )
    elif "failureReason" in data:
        raise ValidationError("failureReason", f"only allowed on FAILED, status is {status}")
    return data  # type: ignore[return-value]


def loads(text: str | bytes | bytearray) -> Any:
    """json.loads with a ValidationError on bad JSON."""
    try:
        return jsonlite.loads(text)
    except RecursionError:
        raise ValidationError("body", "is nested too deeply") from None
    except (ValueError, TypeError) as exc:
        raise ValidationError("body", f"is not valid JSON: {exc}") from None


def dumps(event: Envelope) -> str:
    """Serialise compactly (the SNS message / SQS body)."""
    return jsonlite.dumps(event, separators=(",", ":"), ensure_ascii=False)


def sns_attributes(event: Envelope) -> dict[str, str]:
    """The String message attributes the subscription filters use. ``push`` is "false" only on the
    refusals the creation workflow publishes (the caller already has its 4xx: no push)."""
    return {
        "status": event["status"],
        "serviceType": event["serviceType"],
        "source": event["source"],
        "colour": event["colour"],
        "final": "true" if is_final(event["status"]) else "false",
        "push": "true",
    }


def from_sqs_record(record: object) -> Envelope:
    """The envelope carried by an SQS record (raw SNS delivery: the body is the envelope; an SNS
    notification wrapper is unwrapped too). ValidationError if the body is not a valid envelope."""
    if not isinstance(record, dict) or not isinstance(record.get("body"), str):
        raise ValidationError("body", "the SQS record has no string body")
    data = loads(record["body"])
    if isinstance(data, dict) and data.get("Type") == "Notification" and isinstance(data.get("Message"), str):
        data = loads(data["Message"])
    return parse_event(data)
