"""Sales tax: the jurisdiction of a venue address and its named components (RULES §3).

Invariants: tax is charged on ``subtotal - discount``; every component is rounded on
its own through ``money.percent_of`` and the amounts are then summed. Zero-rate
components are never recorded.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from admitone.domain.errors import FieldError, InvalidVenueAddress
from admitone.domain.money import percent_of

TENNESSEE_STATE_BPS = 700
TENNESSEE_DEFAULT_LOCAL_BPS = 225
ENTERTAINMENT_BPS = 100
ENTERTAINMENT_TAX_CITIES = frozenset({"nashville", "memphis"})

# Local rates that differ from the 225 bps default, keyed by case-folded city name.
# Empty until finance confirms a rate; callers may pass their own table.
TENNESSEE_LOCAL_BPS: Mapping[str, int] = MappingProxyType({})

# RULES §3: state rate only, no local or special tax outside Tennessee.
STATE_SALES_TAX: Mapping[str, tuple[str, int]] = MappingProxyType(
    {
        "AL": ("Alabama", 400),
        "AK": ("Alaska", 0),
        "AZ": ("Arizona", 560),
        "AR": ("Arkansas", 650),
        "CA": ("California", 725),
        "CO": ("Colorado", 290),
        "CT": ("Connecticut", 635),
        "DE": ("Delaware", 0),
        "FL": ("Florida", 600),
        "GA": ("Georgia", 400),
        "HI": ("Hawaii", 400),
        "ID": ("Idaho", 600),
        "IL": ("Illinois", 625),
        "IN": ("Indiana", 700),
        "IA": ("Iowa", 600),
        "KS": ("Kansas", 650),
        "KY": ("Kentucky", 600),
        "LA": ("Louisiana", 445),
        "ME": ("Maine", 550),
        "MD": ("Maryland", 600),
        "MA": ("Massachusetts", 625),
        "MI": ("Michigan", 600),
        "MN": ("Minnesota", 688),
        "MS": ("Mississippi", 700),
        "MO": ("Missouri", 423),
        "MT": ("Montana", 0),
        "NE": ("Nebraska", 550),
        "NV": ("Nevada", 685),
        "NH": ("New Hampshire", 0),
        "NJ": ("New Jersey", 663),
        "NM": ("New Mexico", 513),
        "NY": ("New York", 400),
        "NC": ("North Carolina", 475),
        "ND": ("North Dakota", 500),
        "OH": ("Ohio", 575),
        "OK": ("Oklahoma", 450),
        "OR": ("Oregon", 0),
        "PA": ("Pennsylvania", 600),
        "RI": ("Rhode Island", 700),
        "SC": ("South Carolina", 600),
        "SD": ("South Dakota", 450),
        "TN": ("Tennessee", TENNESSEE_STATE_BPS),
        "TX": ("Texas", 625),
        "UT": ("Utah", 595),
        "VT": ("Vermont", 600),
        "VA": ("Virginia", 530),
        "WA": ("Washington", 650),
        "WV": ("West Virginia", 600),
        "WI": ("Wisconsin", 500),
        "WY": ("Wyoming", 400),
    }
)

# Valid US addresses that RULES §3 leaves untaxed: DC and the inhabited territories.
UNTAXED_US_REGIONS = frozenset({"DC", "PR", "GU", "VI", "AS", "MP"})


@dataclass(frozen=True)
class VenueAddress:
    """Where an event happens. ``country`` is ISO 3166-1 alpha-2; ``state`` a USPS code."""

    country: str
    state: str | None = None
    city: str | None = None


@dataclass(frozen=True)
class TaxComponent:
    name: str
    rate_bps: int

    def amount_on(self, taxable_cents: int) -> int:
        return percent_of(taxable_cents, self.rate_bps)


@dataclass(frozen=True)
class TaxLine:
    """One component as recorded on an order: its name, rate and amount in cents."""

    name: str
    rate_bps: int
    amount: int


@dataclass(frozen=True)
class TaxJurisdiction:
    components: tuple[TaxComponent, ...] = ()

    @property
    def rate_bps(self) -> int:
        return sum(component.rate_bps for component in self.components)

    def lines_for(self, taxable_cents: int) -> tuple[TaxLine, ...]:
        """Each component's amount on ``taxable_cents``, rounded on its own."""
        return tuple(
            TaxLine(component.name, component.rate_bps, component.amount_on(taxable_cents))
            for component in self.components
        )


NO_TAX = TaxJurisdiction()


def _collapse(text: str | None) -> str:
    return " ".join((text or "").split())


def _city_key(city: str) -> str:
    return _collapse(city).casefold()


def _invalid(field: str, message: str) -> InvalidVenueAddress:
    return InvalidVenueAddress(
        f"Venue address: {field} {message}.",
        errors=(FieldError(f"venue_address.{field}", message, InvalidVenueAddress.code),),
    )


def jurisdiction_for(
    address: VenueAddress, *, tennessee_local_bps: Mapping[str, int] = TENNESSEE_LOCAL_BPS
) -> TaxJurisdiction:
    """The tax components for a venue (RULES §3).

    Tennessee: state 700, local 225 unless ``tennessee_local_bps`` names the city
    (matched case- and whitespace-insensitively), plus entertainment 100 in Nashville
    and Memphis. Other states: their state rate. DC, territories, zero-rate states and
    non-US venues: no components. Raises ``InvalidVenueAddress`` for a malformed
    country, or a missing or unknown US state.
    """
    country = _collapse(address.country).upper()
    if len(country) != 2 or not country.isalpha():
        raise _invalid("country", "must be an ISO 3166-1 alpha-2 code such as US")
    if country != "US":
        return NO_TAX
    state = _collapse(address.state).upper()
    if state in UNTAXED_US_REGIONS:
        return NO_TAX
    if state not in STATE_SALES_TAX:
        raise _invalid("state", "must be a US state code such as TN")
    state_name, state_bps = STATE_SALES_TAX[state]
    if state == "TN":
        return _tennessee(address.city, tennessee_local_bps)
    if state_bps == 0:
        return NO_TAX
    return TaxJurisdiction((TaxComponent(f"{state_name} Sales Tax", state_bps),))


def _tennessee(city: str | None, local_bps: Mapping[str, int]) -> TaxJurisdiction:
    city_name = _collapse(city)
    key = city_name.casefold()
    overrides = {_city_key(name): bps for name, bps in local_bps.items()}
    local_name = f"{city_name} Local Tax" if city_name else "Local Tax"
    components = [
        TaxComponent("Tennessee Sales Tax", TENNESSEE_STATE_BPS),
        TaxComponent(local_name, overrides.get(key, TENNESSEE_DEFAULT_LOCAL_BPS)),
    ]
    if key in ENTERTAINMENT_TAX_CITIES:
        components.append(TaxComponent("Entertainment Tax", ENTERTAINMENT_BPS))
    return TaxJurisdiction(tuple(c for c in components if c.rate_bps > 0))
