"""Domain exceptions. The class names are part of the contract: Step Functions sees them as `errorType`."""

from __future__ import annotations


class DomainError(Exception):
    """Base of every expected, well-described failure of the domain."""

    code = "INTERNAL"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ValidationError(DomainError):
    """Bad input: `field` says where, `message` says what is wrong (-> HTTP 400 VALIDATION_FAILED)."""

    code = "VALIDATION_FAILED"

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}" if field else message)
        self.field = field
        self.detail = message


class UnsupportedServiceError(DomainError):
    """The vehicle does not offer this service type (-> HTTP 400 UNSUPPORTED_BY_VEHICLE)."""

    code = "UNSUPPORTED_BY_VEHICLE"


class NotOwnerError(DomainError):
    """The caller does not own the vehicle, or the VIN is unknown (-> HTTP 403 NOT_OWNER)."""

    code = "NOT_OWNER"


class DecodeError(DomainError):
    """A vehicle or broker message that cannot be decoded."""

    code = "UNDECODABLE"
