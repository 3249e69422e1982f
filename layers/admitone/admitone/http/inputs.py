"""Request models and field types shared by several routes (each route's own model lives
in its handler).

Every input is bounded here or in its route's model: strings by ``max_length``, numbers
by ``ge``/``le``, lists by ``max_length``; path ids have their kind's shape, so a
malformed id is a 422 naming ``path.<name>`` and never becomes a table key.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Path
from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field
from pydantic_core import PydanticCustomError

from admitone.domain.accounts import EMAIL_MAX_LENGTH, canonical_email
from admitone.domain.catalog import (
    DEFAULT_ARTIST_ROYALTY_BPS,
    DEFAULT_VENUE_ROYALTY_BPS,
    MAX_ROYALTY_BPS,
    VOUCHER_CODE_PATTERN,
    Address,
    ResalePolicy,
    RoyaltyRates,
)
from admitone.domain.ids import Prefix, id_pattern
from admitone.domain.moments import DATE_OUT_OF_RANGE, OUT_OF_RANGE_MESSAGE, is_carried

# What the domain accepts as a voucher code, published as such (normalize_voucher_code).
VoucherCode = Annotated[str, Field(pattern=VOUCHER_CODE_PATTERN)]

# email-validator refuses IANA special-use domains (.local, .test, .invalid ...) with no
# switch: that is a judgement on deliverability, which the verification e-mail makes
# (SES answers such an address with a bounce, not an error), and the dev accounts live
# at admitone.local. Their syntax is checked under this stand-in for the reserved label.
_RESERVED_STAND_IN = "example"


def _syntax_probe(address: str, special_use_domains: Iterable[str]) -> str:
    local, _, domain = address.rpartition("@")
    for reserved in special_use_domains:
        if domain == reserved or domain.endswith(f".{reserved}"):
            return f"{local}@{domain[: -len(reserved)]}{_RESERVED_STAND_IN}"
    return address


def _sendable_address(value: str) -> str:
    # Imported on the first address checked, not at the cold start of every function
    # that imports this module (its RFC tables cost tens of milliseconds).
    import email_validator  # noqa: PLC0415

    # The canonical form accounts are keyed by: the key an address is stored under
    # stays what it always was.
    address = canonical_email(value)
    if len(address) > EMAIL_MAX_LENGTH:
        raise ValueError(f"an e-mail address has at most {EMAIL_MAX_LENGTH} characters")
    try:
        # Syntax only: no DNS, no display name ("Ada <a@x.com>"), no quoted local part,
        # no IP literal: commas, semicolons, quotes and angle brackets are refused here.
        email_validator.validate_email(
            _syntax_probe(address, email_validator.SPECIAL_USE_DOMAIN_NAMES),
            check_deliverability=False,
            allow_display_name=False,
            allow_quoted_local=False,
            allow_domain_literal=False,
            allow_empty_local=False,
        )
    except email_validator.EmailNotValidError as error:
        raise ValueError(f"not an e-mail address we can send to: {error}") from None
    return address


EmailAddress = Annotated[
    str,
    Field(max_length=EMAIL_MAX_LENGTH, json_schema_extra={"format": "email"}),
    AfterValidator(_sendable_address),
]
"""An address mail can be sent to (email-validator's syntax, as pydantic's ``EmailStr``,
without DNS), in the canonical form accounts are keyed by."""


def _path_id(prefix: Prefix) -> Path:
    return Path(pattern=id_pattern(prefix))


# Path parameters: ``def get_order(order_id: OrderIdPath)``.
UserIdPath = Annotated[str, _path_id(Prefix.USER)]
VenueIdPath = Annotated[str, _path_id(Prefix.VENUE)]
EventIdPath = Annotated[str, _path_id(Prefix.EVENT)]
TicketTypeIdPath = Annotated[str, _path_id(Prefix.TICKET_TYPE)]
OrderIdPath = Annotated[str, _path_id(Prefix.ORDER)]
TicketIdPath = Annotated[str, _path_id(Prefix.TICKET)]
ListingIdPath = Annotated[str, _path_id(Prefix.RESALE_LISTING)]
DeviceIdPath = Annotated[str, _path_id(Prefix.DEVICE)]
WebhookEndpointIdPath = Annotated[str, _path_id(Prefix.WEBHOOK_ENDPOINT)]
# A registration link's token is a credential: a malformed one is refused by the
# service like a forged one (401); only its length is bounded here.
REGISTRATION_TOKEN_MAX_LENGTH = 2048
RegistrationTokenPath = Annotated[str, Path(max_length=REGISTRATION_TOKEN_MAX_LENGTH)]


class AddressInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    line1: str = Field(min_length=1, max_length=200)
    line2: str | None = Field(default=None, max_length=200)
    city: str = Field(min_length=1, max_length=100)
    state: str | None = Field(default=None, min_length=2, max_length=3)
    postal_code: str = Field(min_length=1, max_length=20)
    country: str = Field(pattern=r"^[A-Z]{2}$")

    def to_domain(self) -> Address:
        return Address(**self.model_dump())


class RoyaltiesInput(BaseModel):
    """Resale royalty rates in basis points (RULES §13); both together at most
    ``MAX_ROYALTY_BPS``."""

    model_config = ConfigDict(extra="forbid")

    venue_bps: int = Field(default=DEFAULT_VENUE_ROYALTY_BPS, ge=0, le=MAX_ROYALTY_BPS)
    artist_bps: int = Field(default=DEFAULT_ARTIST_ROYALTY_BPS, ge=0, le=MAX_ROYALTY_BPS)

    def to_domain(self) -> RoyaltyRates:
        return RoyaltyRates(venue_bps=self.venue_bps, artist_bps=self.artist_bps)


class ResaleInput(BaseModel):
    """An event's resale policy, replaced whole: ``royalties`` absent or null leaves the
    event on its venue's rates."""

    model_config = ConfigDict(extra="forbid")

    allowed: bool = True
    min_pct: int = Field(default=50, ge=1, le=1000)
    max_pct: int = Field(default=150, ge=1, le=1000)
    royalties: RoyaltiesInput | None = None

    def to_domain(self) -> ResalePolicy:
        return ResalePolicy(
            allowed=self.allowed,
            min_pct=self.min_pct,
            max_pct=self.max_pct,
            royalties=self.royalties.to_domain() if self.royalties else None,
        )


def _carried(moment: datetime) -> datetime:
    if not is_carried(moment):
        raise PydanticCustomError(DATE_OUT_OF_RANGE.lower(), OUT_OF_RANGE_MESSAGE)
    return moment


# A time with its UTC offset ("2026-12-01T20:00:00Z") that the system can carry: a year
# 1 or 9999, or an offset that pushes it past one, is refused here, before any arithmetic.
Moment = Annotated[AwareDatetime, AfterValidator(_carried)]
