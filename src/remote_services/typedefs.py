"""Type definitions of the shared shapes.

Import this module only under ``if TYPE_CHECKING:`` (with ``TYPE_CHECKING = False`` at module level):
it imports `typing`, which the Lambda code avoids at run time to keep cold starts short.
"""

from __future__ import annotations

from typing import Any, NotRequired, Protocol, TypedDict


class VehicleInfo(TypedDict):
    """Added to the envelope by enrich."""

    generation: str
    country: str


class Envelope(TypedDict):
    """The one event format (specVersion 1.0), see docs/CONTRACTS.md."""

    specVersion: str
    eventId: str
    vin: str
    serviceType: str
    status: str
    source: str
    colour: str
    firstSeenMs: int
    updatedMs: int
    traceId: str
    parameters: dict[str, Any]
    owner: NotRequired[str]
    vehicle: NotRequired[VehicleInfo]
    failureReason: NotRequired[str]


class ParamSpec(TypedDict):
    """One accepted request parameter of a service type."""

    type: str  # "integer" | "number" | "boolean"
    minimum: NotRequired[float]
    maximum: NotRequired[float]
    required: bool
    default: NotRequired[Any]


class ServiceSpec(TypedDict):
    """One row of the service catalog."""

    initiator: str  # "APP" | "VEHICLE"
    capability: str
    wireId: int  # stable numeric id for compact vehicle codecs (G2)
    parameters: dict[str, ParamSpec]
    expectedMs: dict[str, int]  # per non-final status: max time until the next status change


class Command(TypedDict):
    """A command as the vehicle sees it (decoded from the MQTT message)."""

    generation: str
    vin: str
    serviceType: str
    eventId: str
    parameters: dict[str, Any]
    sentMs: int


class VehicleUpdate(TypedDict):
    """A status report from the vehicle (ack, done, failure, or a vehicle-initiated event)."""

    generation: str
    vin: str
    serviceType: str
    status: str
    vehicleTs: int
    eventId: NotRequired[str]
    failureReason: NotRequired[str]


class LambdaContext(Protocol):
    """The subset of the Lambda context object the handlers use."""

    @property
    def function_name(self) -> str: ...
    @property
    def memory_limit_in_mb(self) -> int | str: ...
    @property
    def invoked_function_arn(self) -> str: ...
    @property
    def aws_request_id(self) -> str: ...

    def get_remaining_time_in_millis(self) -> int: ...


class BatchItemFailure(TypedDict):
    itemIdentifier: str


class BatchResponse(TypedDict):
    """SQS partial batch response."""

    batchItemFailures: list[BatchItemFailure]
