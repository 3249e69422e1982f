"""A venue's resale royalties through the API on moto and the local Stripe (issue 19,
RULES §13): the venue sets its rates, a resale released books the royalty at them, and
GET /venues/{venue_id}/royalties shows it per event and in all over a range of days;
owner and admin only, bounded ranges refused as problem+json."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from admitone.adapters.dynamo import catalog
from admitone.domain.ids import Prefix, new_id
from tests.integration.conftest import Api, AwsStack
from tests.integration.shop import Shop, open_shop
from tests.integration.test_resale_purchase import FACE
from tests.integration.test_seller_proceeds import released_resale


@pytest.fixture
def shop(api: Api, aws: AwsStack) -> Shop:
    return open_shop(api, aws, types={"ga": {"price_cents": FACE, "capacity": 100}})


def _venue_id(shop: Shop) -> str:
    event = catalog.get_event(shop.event_id)
    assert event is not None
    return event.venue_id


def _royalties(shop: Shop, query: str, token: str | None = None) -> tuple[int, dict]:
    response = shop.api.get(
        f"/venues/{_venue_id(shop)}/royalties?{query}", token=token or shop.organizer_token
    )
    return response.status, response.json()


def test_released_resales_show_their_royalty_at_the_venues_rates_per_event_and_in_all(shop):
    rates = {"venue_bps": 2000, "artist_bps": 300}
    changed = shop.api.request(
        "PATCH",
        f"/venues/{_venue_id(shop)}",
        json_body={"royalties": rates},
        token=shop.organizer_token,
    )
    assert changed.status == 200, changed.body
    released_resale(shop, price=15000)
    released_resale(shop, price=12000)
    today = datetime.now(UTC).date()

    status, body = _royalties(shop, f"from={today - timedelta(days=1)}&to={today}")

    assert status == 200, body
    # 15000 and 12000 at 20 % / 3 %: 3000 + 2400 to the venue, 450 + 360 to the artist.
    row = {
        "event_id": shop.event_id,
        "currency": "USD",
        "venue_royalty_cents": 5400,
        "artist_royalty_cents": 810,
        "resales": 2,
        "reversals": 0,
    }
    assert body["events"] == [row]
    assert body["totals"] == [{**row, "event_id": None}]
    assert (body["from"], body["to"], body["next_cursor"]) == (
        str(today - timedelta(days=1)),
        str(today),
        None,
    )
    yesterday = today - timedelta(days=1)
    status, before = _royalties(shop, f"from={yesterday}&to={yesterday}")
    assert (status, before["events"], before["totals"]) == (200, [], [])
    admin = shop.aws.access_token(new_id(Prefix.USER), "admin")
    assert _royalties(shop, f"from={today}&to={today}", admin)[1]["totals"] == body["totals"]


@pytest.mark.parametrize(
    ("query", "status", "field"),
    [
        ("from=2026-12-02&to=2026-12-01", 422, "to"),
        ("from=2025-01-01&to=2026-01-02", 422, "to"),
        ("from=2026-12-01", 422, "query.to"),
        ("from=2026-13-01&to=2026-12-01", 422, "query.from"),
        ("from=2026-12-01&to=2026-12-02&limit=201", 422, "query.limit"),
    ],
)
def test_a_bad_range_is_refused_naming_the_field(shop, query, status, field):
    got, body = _royalties(shop, query)
    assert got == status, body
    assert field in {error["field"] for error in body["errors"]}


def test_a_stranger_sees_no_venue_and_a_cursor_of_another_range_is_refused(shop):
    stranger = shop.aws.access_token(new_id(Prefix.USER), "buyer", "organizer")
    status, body = _royalties(shop, "from=2026-12-01&to=2026-12-02", stranger)
    assert (status, body["code"]) == (404, "NOT_FOUND")
    status, body = _royalties(shop, "from=2026-12-01&to=2026-12-02&cursor=abc.def")
    assert (status, body["code"]) == (400, "CURSOR_INVALID")


def test_the_royalties_sample_event_gets_its_documented_answer(aws):
    response = aws.invoke_sample("VenueRoyaltiesFunction", "unknown")
    assert response["statusCode"] == 404, response.get("body")
