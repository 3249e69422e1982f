"""Domain errors: each has a stable ``code``; http/problems.py maps them to HTTP.

Raise the most specific subclass. Callers never match on message text, only on the
class or its ``code``. ``fields`` names the offending inputs (they become the
problem's ``errors[]``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar


@dataclass(frozen=True)
class FieldError:
    """One offending input: a dotted/indexed location, what is wrong, a stable code."""

    field: str
    message: str
    code: str = "INVALID"


class DomainError(Exception):
    """Base of every expected, user-facing failure."""

    code: ClassVar[str] = "DOMAIN_ERROR"
    title: ClassVar[str] = "The request could not be completed"

    def __init__(self, detail: str, *, errors: tuple[FieldError, ...] = ()) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors


class ValidationFailed(DomainError):
    """Input is well-formed but breaks a rule (out of range, unknown currency, ...)."""

    code = "VALIDATION_FAILED"
    title = "The request is not valid"


class NotFound(DomainError):
    """The resource does not exist, or the caller may not know it exists."""

    code = "NOT_FOUND"
    title = "Not found"


class Conflict(DomainError):
    """The resource's current state does not allow the change."""

    code = "CONFLICT"
    title = "Conflict with the current state"


class Unauthenticated(DomainError):
    """No valid credentials were presented."""

    code = "UNAUTHENTICATED"
    title = "Authentication required"


class Forbidden(DomainError):
    """Authenticated, but not allowed to do this."""

    code = "FORBIDDEN"
    title = "Not allowed"


class DependencyUnavailable(DomainError):
    """A dependency the request needs is down; the client may retry later."""

    code = "DEPENDENCY_UNAVAILABLE"
    title = "A dependency is unavailable"
