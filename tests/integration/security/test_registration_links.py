"""Registration links (issue 16, item 7): one link per order, bound to it and revocable;
reading the order does not mint a new one; the invite goes only to an address the buyer
proved (or to the attendee the buyer named)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from admitone.adapters.dynamo import keys, table
from admitone.services.accounts_by_email import user_for_email
from tests.integration.conftest import Api, AwsStack
from tests.integration.gate_kit import Holder, buy, tonight_shop
from tests.integration.payments_kit import deliver_all, drain, intent_payload, stripe_event
from tests.integration.shop import Shop, pay
from tests.integration.test_notifier import mails_to, publish_outbox, run_notifier

INVITE = "Tell us who is coming"


@pytest.fixture
def shop(api: Api, aws: AwsStack) -> Shop:
    return tonight_shop(api, aws)


def shown_link(shop: Shop, holder: Holder) -> str:
    order = shop.api.get(f"/orders/{holder.order_id}", token=holder.token)
    assert order.status == 200, order.body
    return str(order.json()["registration"]["token"])


def works(shop: Shop, token: str) -> bool:
    return shop.api.get(f"/registrations/{token}").status == 200


def reissue(shop: Shop, order_id: str, token: str) -> tuple[int, dict]:
    response = shop.api.post(f"/orders/{order_id}/registration-link", token=token)
    return response.status, response.json()


def paid_by_account(
    shop: Shop, email: str, *, verified: bool, attendee_email: str | None = None
) -> Holder:
    """A paid order of one ticket by the account of ``email`` (unclaimed unless verified)."""
    buyer = user_for_email(email, now=datetime.now(UTC))
    if verified:
        table.update(keys.user(buyer.id), "SET email_verified = :yes", values={":yes": True})
    token = shop.aws.access_token(buyer.id, "buyer", email=buyer.email)
    body: dict = {
        "event_id": shop.event_id,
        "items": [{"ticket_type_id": shop.types["ga"], "quantity": 1}],
    }
    if attendee_email:
        body["attendee_email"] = attendee_email
    placed = shop.api.post(
        "/orders", body, token=token, headers={"Idempotency-Key": f"k-{buyer.id}"}
    )
    assert placed.status == 201, placed.body
    order = placed.json()
    intent = pay(order["payment"]["payment_intent_id"])
    deliver_all(
        shop.aws,
        [stripe_event("payment_intent.succeeded", intent_payload(intent.id), f"evt_{intent.id}")],
    )
    drain(shop.aws)
    fetched = shop.api.get(f"/orders/{order['order_id']}", token=token).json()
    assert fetched["status"] == "paid"
    return Holder(buyer.id, token, order["order_id"], fetched["tickets"])


def emailed_link(address: str) -> str:
    (invite,) = mails_to(address, INVITE)
    found = re.search(r"/registrations\?token=([^\s&]+)", invite.text)
    assert found is not None
    return found.group(1)


# ------------------------------------------------------------- one link per order
def test_reading_the_order_twice_shows_the_same_link_not_a_new_one(shop: Shop):
    # Hole: every GET /orders/{id} minted another link, each working until the event ended.
    holder = buy(shop, 1)
    first, second = shown_link(shop, holder), shown_link(shop, holder)
    assert first == second
    assert works(shop, first)


def test_a_new_link_revokes_the_old_one(shop: Shop):
    # Hole: a link, once out, could not be taken back; there was no way to replace it.
    holder = buy(shop, 1)
    old = shown_link(shop, holder)
    status, fresh = reissue(shop, holder.order_id, holder.token)
    assert status == 201, fresh
    assert fresh["token"] != old
    assert works(shop, fresh["token"])
    refused = shop.api.get(f"/registrations/{old}")
    assert refused.status == 401
    assert refused.json()["code"] == "TOKEN_INVALID"
    entry = {"ticket_id": holder.tickets[0]["id"], "attendee_name": "M", "attendee_email": "m@x.io"}
    assert shop.api.post(f"/registrations/{old}", {"tickets": [entry]}).status == 401
    assert shown_link(shop, holder) == fresh["token"]  # the order shows the current one
    status, newest = reissue(shop, holder.order_id, holder.token)
    assert status == 201
    assert not works(shop, fresh["token"])
    assert works(shop, newest["token"])


def test_a_new_link_leaves_other_orders_links_alone(shop: Shop):
    mine, theirs = buy(shop, 1), buy(shop, 1)
    their_link = shown_link(shop, theirs)
    assert reissue(shop, mine.order_id, mine.token)[0] == 201
    assert works(shop, their_link)
    assert shop.api.get(f"/registrations/{their_link}").json()["order_id"] == theirs.order_id


def test_only_the_buyer_of_a_paid_order_gets_a_new_link(shop: Shop):
    holder = buy(shop, 1)
    link = shown_link(shop, holder)
    _, stranger = shop.buyer()
    assert reissue(shop, holder.order_id, stranger)[0] == 404
    # The organizer may read the order, but the link is the buyer's.
    assert reissue(shop, holder.order_id, shop.organizer_token)[0] == 404
    assert works(shop, link)  # nobody else's request revoked it
    _, buyer_token = shop.buyer()
    unpaid = shop.order(buyer_token, {"ga": 1}).json()
    status, problem = reissue(shop, unpaid["order_id"], buyer_token)
    assert (status, problem["code"]) == (409, "CONFLICT")
    assert shop.api.post(f"/orders/{holder.order_id}/registration-link").status == 401


# ------------------------------------------------------------- who gets the link
def test_the_invite_is_not_sent_to_an_address_the_buyer_never_proved(shop: Shop, aws: AwsStack):
    # Hole: the link (which names attendees and so sends them the tickets) went to
    # whatever address the account carried, verified or not.
    holder = paid_by_account(shop, "unproven@example.com", verified=False)
    publish_outbox(aws)
    run_notifier(aws)
    assert mails_to("unproven@example.com", INVITE) == []
    assert works(shop, shown_link(shop, holder))  # the signed-in buyer still has it


def test_a_verified_buyer_is_sent_the_current_link(shop: Shop, aws: AwsStack):
    holder = paid_by_account(shop, "proven@example.com", verified=True)
    publish_outbox(aws)
    run_notifier(aws)
    emailed = emailed_link("proven@example.com")
    assert emailed == shown_link(shop, holder)
    assert reissue(shop, holder.order_id, holder.token)[0] == 201
    assert not works(shop, emailed)  # a leaked e-mail is dealt with by a new link


def test_the_invite_goes_to_the_attendee_the_buyer_named(shop: Shop, aws: AwsStack):
    paid_by_account(
        shop, "gift-giver@example.com", verified=False, attendee_email="guest@example.com"
    )
    publish_outbox(aws)
    run_notifier(aws)
    assert mails_to("gift-giver@example.com", INVITE) == []
    assert works(shop, emailed_link("guest@example.com"))


def test_the_sample_reissue_names_an_order_that_does_not_exist(aws: AwsStack):
    response = aws.invoke_sample("ReissueRegistrationLinkFunction", "unknown")
    assert response["statusCode"] == 404, response["body"]
