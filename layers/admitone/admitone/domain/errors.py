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


class Gone(DomainError):
    """The resource existed, but its time is over (a closed registration, ...)."""

    code = "GONE"
    title = "Gone"


class UnsupportedMediaType(DomainError):
    """The request body is in a media type the route does not read (it reads JSON)."""

    code = "UNSUPPORTED_MEDIA_TYPE"
    title = "The body's media type is not supported"


class DependencyUnavailable(DomainError):
    """A dependency the request needs is down; the client may retry later."""

    code = "DEPENDENCY_UNAVAILABLE"
    title = "A dependency is unavailable"


class UnsupportedCurrency(ValidationFailed):
    """The currency is not one of USD, EUR, GBP, CAD."""

    code = "CURRENCY_UNSUPPORTED"
    title = "The currency is not supported"


class AmountOutOfRange(ValidationFailed):
    """An amount falls outside 1..99,999,999 cents."""

    code = "AMOUNT_OUT_OF_RANGE"
    title = "The amount is out of range"


class BelowMinimumCharge(ValidationFailed):
    """A total above zero but below the smallest charge Stripe makes in its currency."""

    code = "BELOW_MINIMUM_CHARGE"
    title = "The total is below the minimum charge"


class InvalidVenueAddress(ValidationFailed):
    """The venue address cannot be placed in a tax jurisdiction."""

    code = "VENUE_ADDRESS_INVALID"
    title = "The venue address is not valid"


class InvalidCart(ValidationFailed):
    """The cart is empty, or a line has a bad price or quantity."""

    code = "CART_INVALID"
    title = "The cart is not valid"


class InvalidVoucher(ValidationFailed):
    """The voucher's percentage or amount is out of range."""

    code = "VOUCHER_INVALID"
    title = "The voucher is not valid"


class VoucherNotApplicable(ValidationFailed):
    """No ticket in the cart is eligible for the voucher."""

    code = "VOUCHER_NOT_APPLICABLE"
    title = "The voucher does not apply to this cart"


class InvalidOrderNumber(ValidationFailed):
    """The text is not an order number of the form A1-{year}-{6 digits}."""

    code = "ORDER_NUMBER_INVALID"
    title = "The order number is not valid"


class InvalidTicketCode(ValidationFailed):
    """The text is not a ticket code of the form TKT-{12 characters}."""

    code = "TICKET_CODE_INVALID"
    title = "The ticket code is not valid"


class InvalidId(ValidationFailed):
    """The text is not an id of the expected kind, ``<prefix>_<26-char ULID>`` (domain/ids.py)."""

    code = "ID_INVALID"
    title = "The id is not valid"


class InvalidToken(Unauthenticated):
    """A presented token (access JWT, link token, queue token or ticket QR token) failed
    verification.

    ``reason`` is machine-readable (a ``domain.tokens.TokenRejection`` value) for logs,
    metrics and gate devices; ``detail`` stays generic so that a forger learns little
    from the HTTP response. Neither ever contains the token itself.
    """

    code = "TOKEN_INVALID"
    title = "The token is not valid"

    def __init__(self, reason: str, detail: str = "The token is not valid.") -> None:
        super().__init__(detail)
        self.reason = reason


class Locked(DomainError):
    """The resource is locked for a while; ``retry_after_seconds`` says how long."""

    code = "LOCKED"
    title = "Locked"

    def __init__(
        self, detail: str, *, retry_after_seconds: int, errors: tuple[FieldError, ...] = ()
    ) -> None:
        super().__init__(detail, errors=errors)
        self.retry_after_seconds = max(1, retry_after_seconds)


# ---------------------------------------------------------------- accounts
class InvalidEmail(ValidationFailed):
    code = "EMAIL_INVALID"


class WeakPassword(ValidationFailed):
    code = "PASSWORD_POLICY"


class InvalidCredentials(Unauthenticated):
    code = "INVALID_CREDENTIALS"
    title = "The e-mail address or password is wrong"


class Throttled(Locked):
    """Too many attempts lately: refused for ``retry_after_seconds`` (429, not 423:
    nothing is locked, the wait grows with the attempts and wears off)."""

    code = "THROTTLED"
    title = "Too many attempts"


class LoginThrottled(Throttled):
    """The same answer for every address, with an account or without."""

    code = "LOGIN_THROTTLED"
    title = "Too many login attempts"


class EmailNotVerified(Forbidden):
    code = "EMAIL_NOT_VERIFIED"
    title = "Verify your e-mail address first"


class RefreshTokenInvalid(Unauthenticated):
    code = "REFRESH_TOKEN_INVALID"
    title = "The refresh token is not valid"


class RefreshTokenReused(Unauthenticated):
    """An already-rotated refresh token came back: its whole family is revoked."""

    code = "REFRESH_TOKEN_REUSED"
    title = "The refresh token was already used"


class TokenAlreadyUsed(Conflict):
    code = "TOKEN_ALREADY_USED"
    title = "This link was already used"


class ResetLinkSuperseded(TokenAlreadyUsed):
    """A password-reset link sent for a password that has changed since (another link,
    or any other change, came first): as spent as a used link, and answered the same."""

    def __init__(self) -> None:
        super().__init__("This reset link no longer works: the password changed after it was sent.")


class AccountSuspended(Forbidden):
    """An admin suspended the account: it cannot sign in or refresh until reinstated.
    Said only to someone who proved the password (or holds a session)."""

    code = "ACCOUNT_SUSPENDED"
    title = "The account is suspended"


class CannotSuspendSelf(Conflict):
    """An admin may not suspend their own account (nobody could reinstate a lone admin)."""

    code = "CANNOT_SUSPEND_SELF"
    title = "You cannot suspend your own account"


class EmailRejected(DomainError):
    """SES refused an e-mail: an unverified sender, or an address it will not deliver to.

    Sending the same message again will not help (unlike ``DependencyUnavailable``).
    ``reason`` is SES's error code, for logs and metrics; neither it nor ``detail`` ever
    contains an address.
    """

    code = "EMAIL_REJECTED"
    title = "The e-mail could not be sent"

    def __init__(self, reason: str, detail: str = "The e-mail could not be sent.") -> None:
        super().__init__(detail)
        self.reason = reason


# ----------------------------------------------------------------- catalog
class InvalidTransition(Conflict):
    """The entity is not in a state that allows this change."""

    code = "INVALID_TRANSITION"
    title = "Not allowed in the current state"


class SoldOut(Conflict):
    """Not enough inventory left; ``ticket_type_id`` names what ran out."""

    code = "SOLD_OUT"
    title = "Sold out"

    def __init__(self, detail: str, *, ticket_type_id: str) -> None:
        super().__init__(detail, errors=(FieldError("ticket_type_id", ticket_type_id, "SOLD_OUT"),))
        self.ticket_type_id = ticket_type_id


class CapacityBelowCommitted(Conflict):
    code = "CAPACITY_BELOW_COMMITTED"
    title = "Capacity cannot drop below what is sold and held"


class PriceFrozen(Conflict):
    code = "PRICE_FROZEN"
    title = "The price of a ticket type with sales cannot change"


class VoucherExhausted(Conflict):
    code = "VOUCHER_EXHAUSTED"
    title = "The voucher has no uses or budget left"


class AlreadyExists(Conflict):
    code = "ALREADY_EXISTS"
    title = "It already exists"


class EventAlreadyEnded(Conflict):
    """The event is over: it can no longer be cancelled (its tickets were used, its
    money may be paid out); refunds by amount remain."""

    code = "EVENT_ENDED"
    title = "The event has ended"


# ---------------------------------------------------------------- browsing
class CursorInvalid(DomainError):
    """A pagination cursor was altered, truncated, signed with another key or issued for
    other filters (domain/cursors.py). 400, not 422: the request is malformed, and the
    client's only remedy is to start again from the first page."""

    code = "CURSOR_INVALID"
    title = "The cursor is not valid"


# ---------------------------------------------------------------- checkout
class SalesClosed(Conflict):
    """The event or ticket type is not on sale at this moment."""

    code = "SALES_CLOSED"
    title = "Not on sale"


class LimitExceeded(ValidationFailed):
    """A purchase limit (per order, per ticket type) is exceeded."""

    code = "PURCHASE_LIMIT_EXCEEDED"


class VoucherAttemptsExceeded(Throttled):
    """The client tried too many wrong voucher codes for this event; no code is looked up
    until ``retry_after_seconds`` have passed."""

    code = "VOUCHER_ATTEMPTS_EXCEEDED"
    title = "Too many voucher codes tried"


class Contention(DependencyUnavailable):
    """Another writer changed the same items at the same moment (or the store throttled):
    nothing was written, and the same change may simply be tried again. Unretried, it
    reaches the client as the 503 it is."""
