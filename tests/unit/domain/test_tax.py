"""Sales tax: jurisdiction from the venue address, components rounded one by one."""

from __future__ import annotations

import pytest

from admitone.domain.errors import InvalidVenueAddress
from admitone.domain.tax import (
    NO_TAX,
    STATE_SALES_TAX,
    TaxComponent,
    TaxJurisdiction,
    TaxLine,
    VenueAddress,
    jurisdiction_for,
)


def tennessee(city: str | None) -> TaxJurisdiction:
    return jurisdiction_for(VenueAddress(country="US", state="TN", city=city))


def test_nashville_pays_state_local_and_entertainment_tax() -> None:
    jurisdiction = tennessee("Nashville")

    assert jurisdiction.lines_for(10000) == (
        TaxLine("Tennessee Sales Tax", 700, 700),
        TaxLine("Nashville Local Tax", 225, 225),
        TaxLine("Entertainment Tax", 100, 100),
    )
    assert sum(line.amount for line in jurisdiction.lines_for(10000)) == 1025
    assert jurisdiction.rate_bps == 1025


def test_memphis_pays_entertainment_tax_too() -> None:
    assert [c.name for c in tennessee("Memphis").components] == [
        "Tennessee Sales Tax",
        "Memphis Local Tax",
        "Entertainment Tax",
    ]


@pytest.mark.parametrize("city", ["nashville", "  NASHVILLE ", "NashVille\t"])
def test_the_entertainment_city_match_ignores_case_and_whitespace(city: str) -> None:
    assert tennessee(city).rate_bps == 1025


def test_other_tennessee_cities_pay_state_and_default_local_tax() -> None:
    assert tennessee("Franklin").components == (
        TaxComponent("Tennessee Sales Tax", 700),
        TaxComponent("Franklin Local Tax", 225),
    )


def test_a_tennessee_venue_without_a_city_still_pays_default_local_tax() -> None:
    assert tennessee(None).components == (
        TaxComponent("Tennessee Sales Tax", 700),
        TaxComponent("Local Tax", 225),
    )


def test_the_local_tax_name_keeps_the_city_as_given_with_whitespace_collapsed() -> None:
    assert tennessee("  Pigeon   Forge ").components[1].name == "Pigeon Forge Local Tax"


def test_a_city_table_overrides_the_default_local_rate() -> None:
    address = VenueAddress(country="US", state="TN", city=" knoxville ")

    jurisdiction = jurisdiction_for(address, tennessee_local_bps={"Knoxville": 250})

    assert jurisdiction.components[1] == TaxComponent("knoxville Local Tax", 250)


def test_a_city_table_override_also_applies_in_entertainment_cities() -> None:
    address = VenueAddress(country="US", state="TN", city="Memphis")

    jurisdiction = jurisdiction_for(address, tennessee_local_bps={"memphis": 275})

    assert [c.rate_bps for c in jurisdiction.components] == [700, 275, 100]


def test_a_zero_local_rate_is_not_recorded() -> None:
    address = VenueAddress(country="US", state="TN", city="Nowhere")

    jurisdiction = jurisdiction_for(address, tennessee_local_bps={"nowhere": 0})

    assert jurisdiction.components == (TaxComponent("Tennessee Sales Tax", 700),)


def test_each_component_is_rounded_on_its_own() -> None:
    # 2599 @ 700 = 181.93 -> 182; @ 225 = 58.48 -> 58; @ 100 = 25.99 -> 26
    assert [line.amount for line in tennessee("Nashville").lines_for(2599)] == [182, 58, 26]


@pytest.mark.parametrize(
    ("state", "taxable", "expected"),
    [("CA", 10000, 725), ("MN", 999, 69), ("NY", 1050, 42), ("tx", 10000, 625)],
)
def test_other_states_pay_their_state_rate_only(state: str, taxable: int, expected: int) -> None:
    jurisdiction = jurisdiction_for(VenueAddress(country="US", state=state, city="Anywhere"))

    (line,) = jurisdiction.lines_for(taxable)
    assert line.amount == expected
    assert line.name == f"{STATE_SALES_TAX[state.upper()][0]} Sales Tax"


@pytest.mark.parametrize("state", ["OR", "AK", "DE", "MT", "NH"])
def test_zero_rate_states_have_no_tax_components(state: str) -> None:
    assert jurisdiction_for(VenueAddress(country="US", state=state)) == NO_TAX


@pytest.mark.parametrize("state", ["DC", "dc", "PR"])
def test_dc_and_territories_have_no_tax(state: str) -> None:
    assert jurisdiction_for(VenueAddress(country="US", state=state)) == NO_TAX


@pytest.mark.parametrize("country", ["CA", "gb", " DE "])
def test_venues_outside_the_us_have_no_tax(country: str) -> None:
    jurisdiction = jurisdiction_for(VenueAddress(country=country, state="ON", city="Toronto"))

    assert jurisdiction == NO_TAX
    assert jurisdiction.lines_for(10000) == ()
    assert jurisdiction.rate_bps == 0


def test_the_state_table_matches_rules_section_three() -> None:
    rates = {state: bps for state, (_, bps) in STATE_SALES_TAX.items()}

    assert len(rates) == 50
    assert rates["TN"] == 700
    assert rates["MO"] == 423
    assert rates["NJ"] == 663


@pytest.mark.parametrize(
    ("address", "field"),
    [
        (VenueAddress(country="USA", state="TN"), "venue_address.country"),
        (VenueAddress(country="1X"), "venue_address.country"),
        (VenueAddress(country="US"), "venue_address.state"),
        (VenueAddress(country="US", state="Tennessee"), "venue_address.state"),
        (VenueAddress(country="US", state="ZZ"), "venue_address.state"),
    ],
)
def test_an_address_that_names_no_jurisdiction_is_rejected(
    address: VenueAddress, field: str
) -> None:
    with pytest.raises(InvalidVenueAddress) as raised:
        jurisdiction_for(address)

    assert raised.value.code == "VENUE_ADDRESS_INVALID"
    assert raised.value.errors[0].field == field
