"""Which ledger transactions count as a venue's resale royalties (domain/royalties)."""

from datetime import UTC, datetime

import pytest

from admitone.domain.ledger import TransactionKind, artist_royalties, pending
from admitone.domain.royalties import royalty_booking

BOOKED = datetime(2026, 12, 6, 12, tzinfo=UTC)
VENUE_PENDING = pending("ven_1", "evt_1", "USD").id
ARTIST = artist_royalties("USD").id


def booking(kind: TransactionKind, refs: dict[str, str], entries: list[tuple[str, int]]):
    return royalty_booking(
        transaction_id="txn_1",
        kind=kind,
        venue_id="ven_1",
        currency="USD",
        refs=refs,
        booked_at=BOOKED,
        entries=entries,
    )


def test_a_released_resale_credits_the_venue_and_artist_royalties_it_booked():
    found = booking(
        TransactionKind.RESALE,
        {"event_id": "evt_1", "escrow_id": "esc_1"},
        [(VENUE_PENDING, -1500), (ARTIST, -300), ("platform", -750), ("buyer", 15000)],
    )

    assert found is not None
    assert (found.event_id, found.venue_royalty, found.artist_royalty, found.reversal) == (
        "evt_1",
        1500,
        300,
        False,
    )


def test_a_reversal_takes_the_royalties_back():
    found = booking(
        TransactionKind.RESALE_REVERSED,
        {"event_id": "evt_1"},
        [(VENUE_PENDING, 1500), (ARTIST, 300)],
    )

    assert found is not None
    assert (found.venue_royalty, found.artist_royalty, found.reversal) == (-1500, -300, True)


@pytest.mark.parametrize(
    ("kind", "refs"),
    [
        (TransactionKind.PAYOUT, {"event_id": "evt_1"}),  # no resale
        (TransactionKind.RESALE, {"escrow_id": "esc_1"}),  # names no event
    ],
)
def test_other_transactions_are_no_royalty_booking(kind, refs):
    assert booking(kind, refs, [(VENUE_PENDING, -1500)]) is None
