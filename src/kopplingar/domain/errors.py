"""Domain errors: each has a stable ``code`` that the CLI and pages show and scripts can test."""

from __future__ import annotations


class DomainError(Exception):
    code = "domain_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidOrgNumberError(DomainError):
    code = "invalid_org_number"


class NotFoundError(DomainError):
    code = "not_found"


class AlreadyConnectedError(DomainError):
    code = "already_connected"


class NotConnectedError(DomainError):
    code = "not_connected"


class NotAllowedError(DomainError):
    code = "not_allowed"


class DigitalRouteClosedError(NotAllowedError):
    """The bureau or company must use the paper form (large bureaus, multi-company set-ups)."""

    code = "digital_route_closed"


class ConsentExpiredError(DomainError):
    code = "consent_expired"


class ConsentClosedError(DomainError):
    """The request was already accepted (by someone) or cancelled."""

    code = "consent_closed"


class InvalidTokenError(DomainError):
    code = "invalid_token"


class OperationKeyConflictError(DomainError):
    """The same operation key was used for a different operation."""

    code = "operation_key_conflict"
