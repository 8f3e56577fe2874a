"""The vehicle registry's answer to "may this owner send this command to this vehicle?": the owner,
the vehicle's generation (its topic layout and codec), its country and capabilities."""

from __future__ import annotations

from . import catalog
from .attribute_values import from_item
from .errors import NotOwnerError, UnsupportedServiceError, ValidationError
from .vehicles import GENERATIONS, command_topic, normalise_vin

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


def registry_item(raw: object) -> dict[str, Any]:
    """The registry item (DynamoDB AttributeValue JSON) as plain values; ValidationError if malformed."""
    if not isinstance(raw, dict):
        raise ValidationError("registryItem", f"must be a DynamoDB item, got {type(raw).__name__}")
    try:
        return from_item(raw)
    except (TypeError, ValueError, AttributeError) as exc:
        raise ValidationError("registryItem", f"is not a DynamoDB item: {exc}") from None


def enrich(request: object) -> dict[str, str]:
    """In {"vin","serviceType","owner","registryItem"} (the registry's GetItem answer) -> {"generation",
    "country","topic"}; NotOwnerError for an unknown VIN or another owner, UnsupportedServiceError."""
    if not isinstance(request, dict):
        raise ValidationError("request", f"must be an object, got {type(request).__name__}")
    vin = normalise_vin(request.get("vin"))
    service_type = str(request.get("serviceType"))
    catalog.spec(service_type)
    raw = request.get("registryItem")
    if not raw:  # unknown VIN: answered like "not yours" so that existence is not leaked
        raise NotOwnerError(f"caller is not the owner of vehicle {vin}")
    item = registry_item(raw)
    owner = request.get("owner")
    if not owner or item.get("owner") != owner:
        raise NotOwnerError(f"caller is not the owner of vehicle {vin}")
    generation = item.get("generation")
    if generation not in GENERATIONS:
        raise ValidationError("registryItem.generation", f"unknown vehicle generation {generation!r}")
    if service_type not in (item.get("capabilities") or []):
        raise UnsupportedServiceError(f"vehicle {vin} does not support {service_type}")
    country = item.get("country")
    if not isinstance(country, str) or len(country) != 2:
        raise ValidationError("registryItem.country", f"must be an ISO 3166 alpha-2 code, got {country!r}")
    return {
        "generation": str(generation),
        "country": country.upper(),
        "topic": command_topic(str(generation), vin, service_type),
    }
