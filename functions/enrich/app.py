"""enrich: in {"vin","serviceType","owner","registryItem"} -> {"generation","country","topic"};
raises NotOwnerError (not the owner, or unknown VIN) or UnsupportedServiceError."""

from __future__ import annotations

from remote_services import catalog
from remote_services.errors import NotOwnerError, UnsupportedServiceError, ValidationError
from remote_services.obs.logger import Logger
from remote_services.vehicles import GENERATIONS, command_topic, normalise_vin

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from remote_services.typedefs import LambdaContext

logger = Logger()


def _plain(raw: object) -> dict[str, Any]:
    """The registry item's S / SS attributes as plain values (importing the AWS client would cost ~30 ms)."""
    if not isinstance(raw, dict):
        raise ValidationError("registryItem", f"must be a DynamoDB item, got {type(raw).__name__}")
    out: dict[str, Any] = {}
    for name, av in raw.items():
        if isinstance(av, dict) and isinstance(av.get("S"), str):
            out[name] = av["S"]
        elif isinstance(av, dict) and isinstance(av.get("SS"), list):
            out[name] = [v for v in av["SS"] if isinstance(v, str)]
        elif isinstance(av, dict) and isinstance(av.get("L"), list):
            out[name] = [v.get("S") for v in av["L"] if isinstance(v, dict)]
    return out


def enrich(request: object) -> dict[str, str]:
    """The domain check behind the handler."""
    if not isinstance(request, dict):
        raise ValidationError("request", f"must be an object, got {type(request).__name__}")
    vin = normalise_vin(request.get("vin"))
    service_type = str(request.get("serviceType"))
    catalog.spec(service_type)
    raw = request.get("registryItem")
    if not raw:  # unknown VIN: answered like "not yours" so that existence is not leaked
        raise NotOwnerError(f"caller is not the owner of vehicle {vin}")
    item = _plain(raw)
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


def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, str]:
    logger.inject_lambda_context(context)
    try:
        return enrich(event)
    except (NotOwnerError, UnsupportedServiceError, ValidationError) as exc:
        logger.warning(f"rejected: {exc}", error=type(exc).__name__)
        raise
