"""enrich: in {"vin","serviceType","owner","registryItem"} -> {"generation","country","topic"};
raises NotOwnerError (not the owner, or unknown VIN) or UnsupportedServiceError (remote_services.registry)."""

from __future__ import annotations

from remote_services.errors import NotOwnerError, UnsupportedServiceError, ValidationError
from remote_services.obs.logger import Logger
from remote_services.registry import enrich

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from remote_services.typedefs import LambdaContext

logger = Logger()


def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, str]:
    logger.inject_lambda_context(context)
    try:
        return enrich(event)
    except (NotOwnerError, UnsupportedServiceError, ValidationError) as exc:
        logger.warning(f"rejected: {exc}", error=type(exc).__name__)
        raise
