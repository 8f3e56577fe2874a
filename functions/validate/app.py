"""validate: in {"vin","serviceType","parameters"} -> the same, normalised; raises ValidationError."""

from __future__ import annotations

from remote_services import catalog
from remote_services.errors import ValidationError
from remote_services.obs.logger import Logger
from remote_services.vehicles import normalise_vin

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from remote_services.typedefs import LambdaContext

logger = Logger()


def validate(request: object) -> dict[str, Any]:
    """The domain check behind the handler."""
    if not isinstance(request, dict):
        raise ValidationError("request", f"must be an object, got {type(request).__name__}")
    vin = normalise_vin(request.get("vin"))
    service_type = request.get("serviceType")
    spec = catalog.spec(service_type if isinstance(service_type, str) else "")
    if spec["initiator"] != catalog.APP:
        raise ValidationError(
            "serviceType", f"{service_type} is raised by the vehicle and cannot be requested"
        )
    parameters = catalog.validate_parameters(str(service_type), request.get("parameters"))
    return {"vin": vin, "serviceType": service_type, "parameters": parameters}


def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    logger.inject_lambda_context(context)
    try:
        return validate(event)
    except ValidationError as exc:
        logger.warning(f"rejected: {exc}", field=exc.field)
        raise
