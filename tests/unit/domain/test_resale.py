"""Resale rules (RULES §13, §18): price bounds, the split, escrow moves, listings, 1099-DA."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from admitone.domain.catalog import (
    MAX_ROYALTY_BPS,
    Address,
    Category,
    Event,
    EventStatus,
    ResalePolicy,
    RoyaltyRates,
    Venue,
    check_royalty_rates,
)
from admitone.domain.errors import Forbidden, InvalidTransition, ValidationFailed
from admitone.domain.money import BPS_PER_WHOLE, Currency
from admitone.domain.resale import (
    PLATFORM_SHARE_BPS,
    Escrow,
    EscrowStatus,
    Listing,
    ListingEnd,
    ListingStatus,
    ListingUnavailable,
    ResaleNotAllowed,
    ResaleSale,
    Royalties,
    TicketNotListable,
    all_in_price,
    as_of,
    check_escrow_move,
    check_listable,
    check_listing_price,
    check_purchasable,
    ended,
    ended_reserved,
    escrow_moved,
    mask_tin,
    price_range,
    purchase_amount,
    releasable_at,
    reopened,
    reserved,
    royalties_for,
    sale_stopped,
    seller_payable_at,
    sold,
    split_resale,
    tax_form,
    why_not_transferable,
    withdrawn,
)
from admitone.domain.tickets import Ticket, TicketStatus

DEFAULT = ResalePolicy()
T0 = datetime(2026, 3, 1, 20, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("price", "ok"), [(15000, True), (15001, False), (5000, True), (4999, False)]
)
def test_the_default_policy_allows_half_to_one_and_a_half_times_face_value(price: int, ok: bool):
    if ok:
        check_listing_price(price, 10000, DEFAULT, charity=False)
        return
    with pytest.raises(ValidationFailed) as refused:
        check_listing_price(price, 10000, DEFAULT, charity=False)
    [error] = refused.value.errors
    assert (error.field, error.code) == ("price_cents", "RESALE_PRICE_OUT_OF_RANGE")
    assert error.message == "must be $50.00 to $150.00"


def test_a_charity_event_caps_resale_at_face_value():
    check_listing_price(10000, 10000, DEFAULT, charity=True)
    with pytest.raises(ValidationFailed):
        check_listing_price(10001, 10000, DEFAULT, charity=True)
    # A policy already below face value keeps its own, lower cap.
    assert price_range(10000, ResalePolicy(min_pct=50, max_pct=90), charity=True).high == 9000


def test_a_charity_cap_below_the_policys_floor_leaves_only_face_value():
    assert price_range(10000, ResalePolicy(min_pct=120, max_pct=200), charity=True) == (
        price_range(10000, ResalePolicy(min_pct=100, max_pct=100), charity=False)
    )


def test_bounds_on_an_odd_face_value_keep_only_prices_inside_the_exact_percentages():
    bounds = price_range(3333, DEFAULT, charity=False)
    assert (bounds.low, bounds.high) == (1667, 4999)  # 1666.5 and 4999.5 exactly


def test_an_event_that_forbids_resale_refuses_every_price():
    with pytest.raises(ResaleNotAllowed) as refused:
        check_listing_price(10000, 10000, ResalePolicy(allowed=False), charity=False)
    assert refused.value.code == "RESALE_NOT_ALLOWED"


def test_the_rules_example_split():
    split = split_resale(15000, Royalties())
    assert (split.venue_royalty, split.artist_royalty, split.platform_share) == (1500, 0, 750)
    assert split.seller_proceeds == 12750


@given(
    price=st.integers(min_value=0, max_value=99_999_999),
    venue=st.integers(min_value=0, max_value=5000),
    artist=st.integers(min_value=0, max_value=3000),
    platform=st.integers(min_value=0, max_value=2000),
)
def test_a_split_always_sums_to_the_price_each_share_within_a_cent(
    price: int, venue: int, artist: int, platform: int
):
    split = split_resale(price, Royalties(venue, artist, platform))
    assert split.total == price
    seller_bps = BPS_PER_WHOLE - venue - artist - platform
    for share, bps in (
        (split.venue_royalty, venue),
        (split.artist_royalty, artist),
        (split.platform_share, platform),
        (split.seller_proceeds, seller_bps),
    ):
        assert abs(share * BPS_PER_WHOLE - price * bps) < BPS_PER_WHOLE


@pytest.mark.parametrize("shares", [(-1, 0, 0), (6000, 3000, 1001)])
def test_royalties_beyond_the_whole_price_are_a_bug(shares: tuple[int, int, int]):
    with pytest.raises(ValueError, match="royalties"):
        Royalties(*shares)


def test_an_events_royalty_rates_replace_its_venues_and_the_venues_apply_otherwise():
    venue = _venue(RoyaltyRates(venue_bps=1500, artist_bps=250))
    on_venue_rates = _event(resale=ResalePolicy())
    on_own_rates = _event(resale=ResalePolicy(royalties=RoyaltyRates(venue_bps=0, artist_bps=700)))

    assert royalties_for(venue, on_venue_rates) == Royalties(1500, 250, PLATFORM_SHARE_BPS)
    assert royalties_for(venue, on_own_rates) == Royalties(0, 700, PLATFORM_SHARE_BPS)
    assert royalties_for(_venue(RoyaltyRates()), on_venue_rates) == Royalties()


@pytest.mark.parametrize(
    ("rates", "fields"),
    [
        (RoyaltyRates(venue_bps=5001, artist_bps=0), {"royalties.venue_bps", "royalties"}),
        (RoyaltyRates(venue_bps=0, artist_bps=-1), {"royalties.artist_bps"}),
        (RoyaltyRates(venue_bps=2500, artist_bps=2501), {"royalties"}),
    ],
)
def test_royalty_rates_beyond_their_bound_are_refused_naming_the_field(
    rates: RoyaltyRates, fields: set[str]
):
    with pytest.raises(ValidationFailed) as refused:
        check_royalty_rates(rates, "royalties")
    assert {error.field for error in refused.value.errors} == fields
    assert {error.code for error in refused.value.errors} == {"ROYALTY_OUT_OF_RANGE"}


@given(
    price=st.integers(min_value=0, max_value=99_999_999),
    venue=st.integers(min_value=0, max_value=MAX_ROYALTY_BPS),
    artist=st.integers(min_value=0, max_value=MAX_ROYALTY_BPS),
)
def test_any_rates_within_the_bound_split_with_the_seller_keeping_at_least_45_percent(
    price: int, venue: int, artist: int
):
    rates = RoyaltyRates(venue_bps=venue, artist_bps=artist)
    try:
        check_royalty_rates(rates, "royalties")
    except ValidationFailed:
        assert venue + artist > MAX_ROYALTY_BPS
        return
    split = split_resale(price, royalties_for(_venue(rates), _event(resale=ResalePolicy())))
    assert split.total == price
    assert split.seller_proceeds * 100 >= price * 45 - 100


def test_seller_proceeds_wait_48_hours_after_the_event_ends():
    assert seller_payable_at(T0) == T0 + timedelta(hours=48)


def test_an_escrow_is_released_only_after_funding_and_cancelled_only_before_release():
    check_escrow_move(EscrowStatus.CREATED, EscrowStatus.FUNDED)
    check_escrow_move(EscrowStatus.FUNDED, EscrowStatus.RELEASED)
    check_escrow_move(EscrowStatus.FUNDED, EscrowStatus.CANCELLED)
    check_escrow_move(EscrowStatus.RELEASED, EscrowStatus.REFUNDED)
    for current, target in (
        (EscrowStatus.CREATED, EscrowStatus.RELEASED),
        (EscrowStatus.RELEASED, EscrowStatus.CANCELLED),
        (EscrowStatus.CANCELLED, EscrowStatus.FUNDED),
        (EscrowStatus.REFUNDED, EscrowStatus.RELEASED),
    ):
        with pytest.raises(InvalidTransition):
            check_escrow_move(current, target)


def test_release_comes_after_the_cooling_period():
    assert releasable_at(T0) == T0 + timedelta(minutes=10)
    assert releasable_at(T0, timedelta(seconds=5)) == T0 + timedelta(seconds=5)


def test_an_escrow_moves_only_forward_and_stamps_each_move():
    escrow = Escrow(
        id="esc_1",
        listing_id="lst_1",
        event_id="evt_1",
        ticket_id="tkt_1",
        ticket_version=1,
        seller_id="usr_a",
        buyer_id="usr_b",
        buyer_email="buyer@example.com",
        amount_cents=15000,
        currency="USD",
        payment_intent_id="pi_1",
        created_at=T0,
    )
    funded = escrow_moved(escrow, EscrowStatus.FUNDED, now=T0 + timedelta(seconds=1))
    assert (funded.status, funded.funded_at) == (EscrowStatus.FUNDED, T0 + timedelta(seconds=1))
    released = escrow_moved(funded, EscrowStatus.RELEASED, now=T0 + timedelta(minutes=10))
    assert released.released_at == T0 + timedelta(minutes=10)
    refunded = escrow_moved(released, EscrowStatus.REFUNDED, now=T0 + timedelta(days=1))
    assert (refunded.status, refunded.released_at) == (EscrowStatus.REFUNDED, released.released_at)
    with pytest.raises(InvalidTransition):
        escrow_moved(released, EscrowStatus.CANCELLED, now=T0)
    cancelled = escrow_moved(escrow, EscrowStatus.CANCELLED, now=T0)
    assert cancelled.cancelled_at == T0
    with pytest.raises(InvalidTransition):
        escrow_moved(cancelled, EscrowStatus.FUNDED, now=T0)


def test_only_an_active_listing_of_someone_else_can_be_bought():
    check_purchasable(ListingStatus.ACTIVE, seller_id="usr_a", buyer_id="usr_b")
    with pytest.raises(Forbidden) as own:
        check_purchasable(ListingStatus.ACTIVE, seller_id="usr_a", buyer_id="usr_a")
    assert own.value.code == "OWN_LISTING"
    for status in set(ListingStatus) - {ListingStatus.ACTIVE}:
        with pytest.raises(ListingUnavailable) as gone:
            check_purchasable(status, seller_id="usr_a", buyer_id="usr_b")
        assert gone.value.code == "LISTING_UNAVAILABLE"


def sale(listing: str, proceeds: int, paid: int, disposed: datetime) -> ResaleSale:
    return ResaleSale(listing, proceeds, paid, disposed - timedelta(days=30), disposed)


def test_a_tax_form_lists_a_years_sales_once_they_reach_600_dollars():
    sales = [
        sale("lst_2", 40000, 30000, datetime(2026, 5, 1, tzinfo=UTC)),
        sale("lst_1", 20000, 25000, datetime(2026, 2, 1, tzinfo=UTC)),
        sale("lst_0", 90000, 10000, datetime(2025, 12, 31, tzinfo=UTC)),
    ]
    form = tax_form(2026, sales)
    assert form is not None
    assert form.gross_proceeds_cents == 60000
    assert [s.listing_id for s in form.sales] == ["lst_1", "lst_2"]
    assert [s.gain_cents for s in form.sales] == [-5000, 10000]
    assert tax_form(2026, sales[:1]) is None  # $400 in 2026: below the threshold


def test_no_tax_form_before_2025():
    assert tax_form(2024, [sale("lst_0", 90000, 1, datetime(2024, 6, 1, tzinfo=UTC))]) is None


@pytest.mark.parametrize(
    ("tin", "masked"),
    [("123-45-6789", "***-**-6789"), ("12-3456789", "***-**-6789"), ("12", "***-**-****")],
)
def test_a_tin_shows_only_its_last_four_digits(tin: str, masked: str):
    assert mask_tin(tin) == masked


# ---------------------------------------------------------------- listings
def _listing() -> Listing:
    return Listing(
        id="lst_1",
        event_id="evt_1",
        ticket_id="tkt_1",
        ticket_version=1,
        ticket_type_id="tty_1",
        seller_id="usr_1",
        price_cents=12000,
        face_value_cents=10000,
        currency="USD",
        created_at=T0,
    )


def _ticket(**changes: object) -> Ticket:
    ticket = Ticket(
        id="tkt_1",
        code="ABCD-2345",
        order_id="ord_1",
        event_id="evt_1",
        ticket_type_id="tty_1",
        holder_id="usr_1",
        token="signed",
        issued_at=T0,
    )
    return replace(ticket, **changes)


def _event(**changes: object) -> Event:
    starts = T0 + timedelta(hours=1)
    event = Event(
        id="evt_1",
        venue_id="ven_1",
        owner_id="usr_org",
        title="Show",
        description="",
        category=Category.MUSIC,
        starts_at=starts,
        ends_at=starts + timedelta(hours=3),
        timezone="UTC",
        city="Nashville",
        currency=Currency.USD,
        sales_start=T0 - timedelta(days=9),
        sales_end=starts,
        registration_deadline=starts,
        created_at=T0 - timedelta(days=10),
        status=EventStatus.PUBLISHED,
    )
    return replace(event, **changes)


@pytest.mark.parametrize(
    ("ticket", "event", "now", "reason"),
    [
        ({"status": TicketStatus.VOID}, {}, T0, "void"),
        ({"scans": 1}, {}, T0, "used"),
        ({}, {"status": EventStatus.CANCELLED}, T0, "cancelled"),
        ({}, {}, T0 + timedelta(hours=1), "started"),
    ],
)
def test_only_a_valid_unused_ticket_of_an_event_on_and_yet_to_start_is_listable(
    ticket: dict[str, object], event: dict[str, object], now: datetime, reason: str
):
    with pytest.raises(TicketNotListable, match=reason) as refused:
        check_listable(_ticket(**ticket), _event(**event), now=now)
    assert refused.value.code == "TICKET_NOT_LISTABLE"
    check_listable(_ticket(), _event(), now=T0)  # the same ticket and event, untouched


def test_a_buyer_pays_the_asking_price_all_in():
    assert all_in_price(_listing()) == 12000


def test_a_listing_is_withdrawn_or_ended_only_while_active():
    later = T0 + timedelta(minutes=5)
    gone = withdrawn(_listing(), now=later)
    assert (gone.status, gone.ended_at, gone.end_reason) == (ListingStatus.WITHDRAWN, later, None)
    over = ended(_listing(), ListingEnd.TICKET_SCANNED, now=later)
    assert (over.status, over.end_reason) == (ListingStatus.ENDED, ListingEnd.TICKET_SCANNED)
    for finished in (gone, over):
        with pytest.raises(ListingUnavailable):
            withdrawn(finished, now=later)
        with pytest.raises(ListingUnavailable):
            ended(finished, ListingEnd.TICKET_VOIDED, now=later)


def test_an_active_listing_reads_as_ended_once_its_event_starts():
    starts = T0 + timedelta(hours=2)
    before = as_of(_listing(), event_starts_at=starts, now=starts - timedelta(seconds=1))
    assert before.status is ListingStatus.ACTIVE
    after = as_of(_listing(), event_starts_at=starts, now=starts)
    assert (after.status, after.end_reason, after.ended_at) == (
        ListingStatus.ENDED,
        ListingEnd.EVENT_STARTED,
        starts,
    )
    gone = withdrawn(_listing(), now=T0)
    assert as_of(gone, event_starts_at=starts, now=starts) == gone


@pytest.mark.parametrize(
    ("event", "now", "refusal"),
    [
        ({"status": EventStatus.CANCELLED}, T0, ListingUnavailable),
        ({}, T0 + timedelta(hours=1), ListingUnavailable),
        ({"resale": ResalePolicy(allowed=False)}, T0, ResaleNotAllowed),
        ({"resale": ResalePolicy(max_pct=119)}, T0, ListingUnavailable),
        ({"resale": ResalePolicy(min_pct=121)}, T0, ListingUnavailable),
    ],
)
def test_a_listing_is_bought_at_its_price_only_within_the_events_policy_as_it_stands(
    event: dict[str, object], now: datetime, refusal: type[Exception]
):
    assert purchase_amount(_listing(), _event(resale=ResalePolicy(max_pct=120)), now=T0) == 12000
    with pytest.raises(refusal):
        purchase_amount(_listing(), _event(**event), now=now)


def test_a_reserved_listing_is_sold_reopened_or_ended_only_by_settling_its_reservation():
    later = T0 + timedelta(minutes=5)
    held = reserved(_listing(), "esc_1")
    assert (held.status, held.escrow_id) == (ListingStatus.RESERVED, "esc_1")
    with pytest.raises(ListingUnavailable):
        reserved(held, "esc_2")
    gone = sold(held, now=later)
    assert (gone.status, gone.ended_at, gone.escrow_id) == (ListingStatus.SOLD, later, "esc_1")
    again = reopened(held)
    assert (again.status, again.escrow_id) == (ListingStatus.ACTIVE, None)
    over = ended_reserved(held, ListingEnd.TICKET_TRANSFERRED, now=later)
    assert (over.status, over.end_reason) == (ListingStatus.ENDED, ListingEnd.TICKET_TRANSFERRED)
    for unreserved in (_listing(), gone, again, over):
        with pytest.raises(InvalidTransition):
            sold(unreserved, now=later)
        with pytest.raises(InvalidTransition):
            reopened(unreserved)
        with pytest.raises(InvalidTransition):
            ended_reserved(unreserved, ListingEnd.TICKET_VOIDED, now=later)


def test_a_sold_listing_whose_escrow_was_stopped_ends_unsold_and_only_a_sold_one():
    later = T0 + timedelta(minutes=5)
    held = reserved(_listing(), "esc_1")
    gone = sold(held, now=later)
    stopped = sale_stopped(gone, ListingEnd.EVENT_CANCELLED, now=later)
    assert (stopped.status, stopped.end_reason, stopped.ended_at) == (
        ListingStatus.ENDED,
        ListingEnd.EVENT_CANCELLED,
        later,
    )
    for unsold in (_listing(), held, stopped):
        with pytest.raises(InvalidTransition):
            sale_stopped(unsold, ListingEnd.TICKET_VOIDED, now=later)


@pytest.mark.parametrize(
    ("ticket", "event", "now", "reason"),
    [
        ({}, {}, T0, None),
        ({"status": TicketStatus.VOID}, {}, T0, ListingEnd.TICKET_VOIDED),
        ({"scans": 1}, {}, T0, ListingEnd.TICKET_SCANNED),
        ({"version": 2}, {}, T0, ListingEnd.TICKET_TRANSFERRED),
        ({"holder_id": "usr_2"}, {}, T0, ListingEnd.TICKET_TRANSFERRED),
        ({}, {"status": EventStatus.CANCELLED}, T0, ListingEnd.EVENT_CANCELLED),
        ({}, {}, T0 + timedelta(hours=4), ListingEnd.EVENT_STARTED),
    ],
)
def test_a_funded_escrows_ticket_moves_only_as_listed_while_its_event_is_on(
    ticket: dict[str, object], event: dict[str, object], now: datetime, reason: ListingEnd | None
):
    assert why_not_transferable(_ticket(**ticket), _escrow(), _event(**event), now=now) is reason


def test_a_ticket_at_its_last_version_cannot_move():
    last = 0xFFFF
    escrow = replace(_escrow(), ticket_version=last)
    assert why_not_transferable(_ticket(version=last), escrow, _event(), now=T0) is (
        ListingEnd.TICKET_TRANSFERRED
    )


def _escrow() -> Escrow:
    return Escrow(
        id="esc_1",
        listing_id="lst_1",
        event_id="evt_1",
        ticket_id="tkt_1",
        ticket_version=1,
        seller_id="usr_1",
        buyer_id="usr_b",
        buyer_email="buyer@example.com",
        amount_cents=12000,
        currency="USD",
        payment_intent_id="pi_1",
        created_at=T0,
    )


def _venue(rates: RoyaltyRates) -> Venue:
    return Venue(
        id="ven_1",
        owner_id="usr_org",
        name="Hall",
        address=Address("1 Broadway", "Nashville", "37203", "US", state="TN"),
        timezone="UTC",
        created_at=T0 - timedelta(days=30),
        royalties=rates,
    )
