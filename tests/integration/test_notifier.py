"""The notifier (issue 8): a purchase's order.paid travels outbox -> stream -> drain ->
bus -> the notifier's rule and queue -> one confirmation e-mail, whose QR images decode
to the tickets' tokens and whose receipt is the order's; the bus repeating itself sends
nothing twice."""

from __future__ import annotations

import json
import random
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError

from admitone.adapters.dynamo import keys, table
from admitone.adapters.dynamo import orders as order_store
from admitone.adapters.dynamo import tickets as ticket_store
from admitone.adapters.dynamo.outbox import DynamoOutbox
from admitone.domain.money import format_money
from admitone.services import outbox_drain
from admitone.services.accounts_by_email import user_for_email
from admitone.services.wiring import ports
from scripts.devstack.pollers import SqsPoller, sqs_event
from tests.integration.conftest import Api, AwsStack, InProcessRuntime
from tests.integration.gate_kit import Holder, tonight_shop
from tests.integration.payments_kit import deliver_all, drain, intent_payload, stripe_event
from tests.integration.shop import Shop, pay
from tests.integration.test_cancellation_refunds import announce, cancel
from tests.integration.test_cancellation_refunds import drain as end_the_cancelled_events_orders
from tests.integration.test_outbox_drain import stream_records
from tests.mailbox import sent_in_process
from tests.qr_decode import decode_png

NOTIFIER = "NotifierFunction"


def source(aws: AwsStack) -> Any:
    return next(s for s in aws.stack.sqs_sources() if s.function_id == NOTIFIER)


def bought_by_account(shop: Shop, email: str, quantity: int, name: str = "Grace Hopper") -> Holder:
    """A purchase by a buyer with a verified account (the notifier reads the address there;
    the registration link goes only to a verified one)."""
    buyer = user_for_email(email, now=datetime.now(UTC), name=name)
    table.update(keys.user(buyer.id), "SET email_verified = :yes", values={":yes": True})
    token = shop.aws.access_token(buyer.id, "buyer", email=buyer.email)
    placed = shop.order(token, {"ga": quantity})
    assert placed.status == 201, placed.body
    order = placed.json()
    intent = pay(order["payment"]["payment_intent_id"])
    body = stripe_event("payment_intent.succeeded", intent_payload(intent.id), f"evt_{intent.id}")
    deliver_all(shop.aws, [body])
    drain(shop.aws)
    fetched = shop.api.get(f"/orders/{order['order_id']}", token=token).json()
    assert fetched["status"] == "paid"
    return Holder(buyer.id, token, order["order_id"], fetched["tickets"])


def publish_outbox(aws: AwsStack) -> None:
    """The drain, on everything the table's stream holds for it."""
    records = stream_records(aws)
    assert aws.invoke("OutboxDrainFunction", {"Records": records}) == {"batchItemFailures": []}


def queued(aws: AwsStack) -> list[dict[str, Any]]:
    sqs = aws.client("sqs")
    messages: list[dict[str, Any]] = []
    while batch := sqs.receive_message(
        QueueUrl=source(aws).queue_url, MaxNumberOfMessages=10, AttributeNames=["All"]
    ).get("Messages", []):
        messages += batch
    return messages


def mails_to(address: str, subject_prefix: str = "") -> list[Any]:
    return [
        m for m in sent_in_process() if address in m.to and m.subject.startswith(subject_prefix)
    ]


def run_notifier(aws: AwsStack) -> None:
    aws.use_function(NOTIFIER)
    poller = SqsPoller(source(aws), InProcessRuntime(aws), aws.client("sqs"), None, print)  # type: ignore[arg-type]
    while poller.poll_once():
        pass


@pytest.fixture
def shop(api: Api, aws: AwsStack) -> Shop:
    return tonight_shop(api, aws)


def test_a_purchase_is_confirmed_by_one_email_with_its_qr_codes_and_receipt(
    aws: AwsStack, shop: Shop
):
    holder = bought_by_account(shop, "grace@example.com", 2)
    publish_outbox(aws)
    run_notifier(aws)

    (mail,) = mails_to("grace@example.com", "Your tickets")
    assert mail.subject == "Your tickets for Show"
    tokens = {t["qr_token"] for t in holder.tickets}
    assert len(mail.images) == 2
    assert {decode_png(png) for png in mail.images.values()} == tokens
    for ticket in holder.tickets:
        assert ticket["code"] in mail.text
        assert f"cid:{ticket['code'].lower()}@admitone" in mail.html
    order = order_store.get_order(holder.order_id)
    assert order is not None
    totals = order.totals
    for cents in (
        totals.subtotal,
        totals.platform_fee,
        totals.total,
        *(t["amount"] for t in totals.taxes),
    ):
        assert format_money(cents, totals.currency) in mail.text
    assert "Hi Grace Hopper," in mail.text
    assert "(America/Chicago)" in mail.text


def test_every_bus_event_three_times_in_any_order_sends_each_email_once(aws: AwsStack, shop: Shop):
    bought_by_account(shop, "ada@example.com", 1)
    publish_outbox(aws)
    messages = queued(aws)
    assert [json.loads(m["Body"])["detail-type"] for m in messages] == ["order.paid"]
    deliveries = messages * 3
    random.Random(3).shuffle(deliveries)
    for message in deliveries:
        result = aws.invoke(NOTIFIER, sqs_event(source(aws), [message]))
        assert result == {"batchItemFailures": []}
    assert len(mails_to("ada@example.com", "Your tickets")) == 1
    assert len(mails_to("ada@example.com", "Tell us who is coming")) == 1


def test_the_sample_event_is_an_event_nobody_is_told_about(aws: AwsStack):
    assert aws.invoke_sample("NotifierFunction", "ignored_type") == {"batchItemFailures": []}
    assert sent_in_process() == []


def test_the_purchaser_gets_the_registration_link_and_each_named_attendee_their_ticket(
    aws: AwsStack, shop: Shop
):
    holder = bought_by_account(shop, "purchaser@example.com", 2)
    publish_outbox(aws)
    run_notifier(aws)
    (invite,) = mails_to("purchaser@example.com", "Tell us who is coming")
    link = re.search(r"/registrations\?token=([^\s&]+)", invite.text)
    assert link is not None
    named = shop.api.post(
        f"/registrations/{link.group(1)}",
        {
            "tickets": [
                {
                    "ticket_id": holder.tickets[0]["id"],
                    "attendee_name": "Alan",
                    "attendee_email": "alan@example.com",
                }
            ]
        },
    )
    assert named.status == 200, named.body
    publish_outbox(aws)
    run_notifier(aws)
    (ticket_mail,) = mails_to("alan@example.com", "Your ticket for")
    assert "Hi Alan," in ticket_mail.text
    assert [decode_png(png) for png in ticket_mail.images.values()] == [
        holder.tickets[0]["qr_token"]
    ]


def test_a_transfer_tells_both_parties_and_gives_the_recipient_the_new_qr(
    aws: AwsStack, shop: Shop
):
    holder = bought_by_account(shop, "giver@example.com", 1)
    moved = shop.api.post(
        f"/tickets/{holder.tickets[0]['id']}/transfer",
        {"email": "taker@example.com", "name": "Taker"},
        token=holder.token,
    )
    assert moved.status == 200, moved.body
    publish_outbox(aws)
    run_notifier(aws)
    (sent,) = mails_to("giver@example.com", "You sent your ticket")
    assert holder.tickets[0]["code"] in sent.text
    (received,) = mails_to("taker@example.com", "Your ticket for")
    assert "Grace Hopper sent you a ticket." in received.text
    (image,) = received.images.values()
    assert decode_png(image) != holder.tickets[0]["qr_token"]  # the next version's QR


def test_a_ticket_transferred_before_the_confirmation_leaves_the_buyers_mail_without_its_qr(
    aws: AwsStack, shop: Shop
):
    """Issue 33, hole 2: the confirmation is composed after the transfer (outbox, bus and
    queue lie between), so it must not carry the ticket's new version, which is now
    the recipient's alone."""
    holder = bought_by_account(shop, "seller@example.com", 2)
    kept, given = holder.tickets
    moved = shop.api.post(
        f"/tickets/{given['id']}/transfer",
        {"email": "recipient@example.com", "name": "Recipient"},
        token=holder.token,
    )
    assert moved.status == 200, moved.body
    new_version = ticket_store.get_ticket(given["id"])
    assert new_version is not None
    assert new_version.token != given["qr_token"]
    publish_outbox(aws)
    run_notifier(aws)

    (confirmation,) = mails_to("seller@example.com", "Your tickets")
    assert [decode_png(png) for png in confirmation.images.values()] == [kept["qr_token"]]
    assert f"cid:{given['code'].lower()}@admitone" not in confirmation.html
    assert f"{given['code']} (GA) was transferred" in confirmation.text
    assert "was transferred" in confirmation.html
    assert "recipient@example.com" not in confirmation.text + confirmation.html
    (received,) = mails_to("recipient@example.com", "Your ticket for")
    assert [decode_png(png) for png in received.images.values()] == [new_version.token]


def test_an_expired_order_is_told_nothing_was_charged(aws: AwsStack, shop: Shop):
    buyer = user_for_email("late@example.com", now=datetime.now(UTC), name="Late")
    token = shop.aws.access_token(buyer.id, "buyer", email=buyer.email)
    order = shop.order(token, {"ga": 1}).json()
    cancelled = shop.api.post(f"/orders/{order['order_id']}/cancel", token=token)
    assert cancelled.status == 200, cancelled.body
    publish_outbox(aws)
    run_notifier(aws)
    (notice,) = mails_to("late@example.com", f"Order {order['order_number']}")
    assert "was cancelled" in notice.subject
    assert "nothing was charged" in notice.text


def test_an_order_ended_by_its_cancelled_event_does_not_promise_the_seats_back(
    aws: AwsStack, shop: Shop
):
    buyer = user_for_email("gone@example.com", now=datetime.now(UTC), name="Gone")
    token = shop.aws.access_token(buyer.id, "buyer", email=buyer.email)
    order = shop.order(token, {"ga": 1}).json()
    cancel(shop)
    announce(aws, shop.event_id)
    end_the_cancelled_events_orders(aws)
    publish_outbox(aws)
    run_notifier(aws)
    (notice,) = mails_to("gone@example.com", f"Order {order['order_number']}")
    assert "was cancelled with its event" in notice.subject
    assert "nothing was charged" in notice.text
    assert "back on sale" not in notice.text


def test_a_drain_crash_between_publish_and_mark_still_sends_one_email(
    aws: AwsStack, shop: Shop, monkeypatch: pytest.MonkeyPatch
):
    holder = bought_by_account(shop, "crash@example.com", 1)
    paid = [
        r
        for r in stream_records(aws)
        if r["dynamodb"]["NewImage"]["event_type"]["S"] == "order.paid"
    ]
    real_mark = DynamoOutbox.mark_published

    def crash(*_: Any, **__: Any) -> None:
        raise RuntimeError("the drain died after publishing")

    monkeypatch.setattr(DynamoOutbox, "mark_published", crash)
    # The whole batch failed: Lambda hands it to the drain again (here: the sweep does).
    with pytest.raises(BatchProcessingError):
        aws.invoke("OutboxDrainFunction", {"Records": paid})
    monkeypatch.setattr(DynamoOutbox, "mark_published", real_mark)
    after_lease = datetime.now(UTC) + outbox_drain.LEASE + timedelta(seconds=1)
    assert sum(outbox_drain.sweep(ports(), clock=lambda: after_lease).values()) >= 1

    copies = [m for m in queued(aws) if json.loads(m["Body"])["detail-type"] == "order.paid"]
    assert len(copies) == 2  # published twice, with one event id
    assert len({json.loads(m["Body"])["detail"]["event_id"] for m in copies}) == 1
    for message in copies:
        assert aws.invoke(NOTIFIER, sqs_event(source(aws), [message])) == {"batchItemFailures": []}
    assert len(mails_to("crash@example.com", "Your tickets")) == 1
    assert holder.order_id in {json.loads(m["Body"])["detail"]["data"]["order_id"] for m in copies}


def _account(shop: Shop, email: str, name: str) -> tuple[str, str]:
    user = user_for_email(email, now=datetime.now(UTC), name=name)
    return user.id, shop.aws.access_token(user.id, "buyer", email=user.email)


def test_a_resale_tells_the_seller_it_sold_and_gives_the_buyer_the_new_qr_once(
    aws: AwsStack, shop: Shop
):
    from tests.integration.test_resale_purchase import _purchase, _told  # noqa: PLC0415

    seller = bought_by_account(shop, "seller@example.com", 1, name="Sam Seller")
    ticket = seller.tickets[0]
    listed = shop.api.post(
        f"/tickets/{ticket['id']}/listings", {"price_cents": 3000}, token=seller.token
    )
    assert listed.status == 201, listed.body
    _, token = _account(shop, "resale-buyer@example.com", "Bea Buyer")
    purchase = _purchase(shop, listed.json()["listing_id"], token).json()
    pay(purchase["payment"]["payment_intent_id"])
    _told(aws, "payment_intent.amount_capturable_updated", purchase["payment"]["payment_intent_id"])
    publish_outbox(aws)
    messages = [m for m in queued(aws) if json.loads(m["Body"])["detail-type"] != "order.paid"]
    assert sorted(json.loads(m["Body"])["detail-type"] for m in messages) == [
        "listing.sold",
        "ticket.transferred",
    ]
    for message in messages * 3:  # the bus repeating itself
        assert aws.invoke(NOTIFIER, sqs_event(source(aws), [message])) == {"batchItemFailures": []}

    (sold,) = mails_to("seller@example.com", "Your ticket for Show sold")
    assert "$30.00" in sold.text
    assert mails_to("seller@example.com", "You sent your ticket") == []
    (received,) = mails_to("resale-buyer@example.com", "Your ticket for")
    (image,) = received.images.values()
    moved = ticket_store.get_ticket(ticket["id"])
    assert moved is not None
    assert decode_png(image) == moved.token != ticket["qr_token"]


def test_a_listing_that_ends_by_itself_tells_its_seller_why_once(aws: AwsStack, shop: Shop):
    from admitone.domain.resale import ListingEnd  # noqa: PLC0415
    from admitone.services import listing_ends  # noqa: PLC0415

    seller = bought_by_account(shop, "lister@example.com", 1, name="Lee Lister")
    listed = shop.api.post(
        f"/tickets/{seller.tickets[0]['id']}/listings", {"price_cents": 3000}, token=seller.token
    )
    assert listed.status == 201, listed.body
    ended = listing_ends.end_for_tickets(
        ports().store, [seller.tickets[0]["id"]], ListingEnd.TICKET_REFUNDED, now=datetime.now(UTC)
    )
    assert ended == 1
    publish_outbox(aws)
    messages = [m for m in queued(aws) if json.loads(m["Body"])["detail-type"] == "listing.ended"]
    assert len(messages) == 1
    for message in messages * 2:
        assert aws.invoke(NOTIFIER, sqs_event(source(aws), [message])) == {"batchItemFailures": []}

    (mail,) = mails_to("lister@example.com", "Your listing for Show ended")
    assert "ended unsold because the ticket was refunded" in mail.text
