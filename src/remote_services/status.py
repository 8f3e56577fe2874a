"""Statuses, failure reasons and their ranks (a status replaces another only if its rank is higher:
the rule is applied where STATE is written, remote_services.events_table and the workflows)."""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Final


class Status:
    """The status names (plain string constants)."""

    CREATED: Final = "CREATED"
    PENDING: Final = "PENDING"
    RUNNING: Final = "RUNNING"
    EXECUTED: Final = "EXECUTED"
    FAILED: Final = "FAILED"


class FailureReason:
    """Why an event ended FAILED."""

    TIMEOUT: Final = "TIMEOUT"
    REJECTED_BY_VEHICLE: Final = "REJECTED_BY_VEHICLE"
    BROKER_UNAVAILABLE: Final = "BROKER_UNAVAILABLE"
    VALIDATION_FAILED: Final = "VALIDATION_FAILED"
    NOT_OWNER: Final = "NOT_OWNER"
    VEHICLE_BUSY: Final = "VEHICLE_BUSY"
    UNSUPPORTED_BY_VEHICLE: Final = "UNSUPPORTED_BY_VEHICLE"


RANKS: dict[str, int] = {
    Status.CREATED: 0,
    Status.PENDING: 1,
    Status.RUNNING: 2,
    Status.EXECUTED: 3,
    Status.FAILED: 3,
}
STATUSES: tuple[str, ...] = tuple(RANKS)
FINAL_STATUSES: frozenset[str] = frozenset({Status.EXECUTED, Status.FAILED})
FAILURE_REASONS: frozenset[str] = frozenset(
    v for k, v in vars(FailureReason).items() if not k.startswith("_") and isinstance(v, str)
)


def rank(status: str) -> int:
    """The rank of `status`; KeyError for an unknown status."""
    return RANKS[status]


def is_final(status: str) -> bool:
    """True for EXECUTED and FAILED."""
    return status in FINAL_STATUSES

