"""The reminder cron (issue 8) with time travel: registration reminders at +24 h, +72 h,
+7 d and deadline - 24 h until every ticket is named; the event reminder the day
before; overlapping runs never send anything twice."""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest

from admitone.adapters.dynamo import orders as order_store
from admitone.services.reminders import remind
from tests.integration.conftest import Api, AwsStack
from tests.integration.shop import Shop, iso, open_shop
from tests.integration.test_notifier import bought_by_account, mails_to

STARTS_IN = timedelta(days=12)
DEADLINE_IN = timedelta(days=10)


@pytest.fixture
def shop(api: Api, aws: AwsStack) -> Shop:
    now = datetime.now(UTC).replace(microsecond=0)
    return open_shop(
        api,
        aws,
        event={
            "starts_at": iso(now + STARTS_IN),
            "ends_at": iso(now + STARTS_IN + timedelta(hours=3)),
            "sales_end": iso(now + STARTS_IN),
            "registration_deadline": iso(now + DEADLINE_IN),
        },
    )


def reminders_to(address: str) -> list[str]:
    return [m.subject for m in mails_to(address, "Reminder: tell us who is coming")]


def test_registration_reminders_follow_the_schedule_and_stop_once_everyone_is_named(
    aws: AwsStack, shop: Shop
):
    holder = bought_by_account(shop, "planner@example.com", 2)
    order = order_store.get_order(holder.order_id)
    assert order is not None
    assert order.paid_at is not None
    paid = order.paid_at

    aws.use_function("ReminderCronFunction")
    remind(paid + timedelta(hours=1))
    assert reminders_to("planner@example.com") == []
    remind(paid + timedelta(hours=24, minutes=1))
    remind(paid + timedelta(hours=25))  # the same slot again: nothing new
    assert len(reminders_to("planner@example.com")) == 1
    remind(paid + timedelta(hours=72, minutes=1))
    assert len(reminders_to("planner@example.com")) == 2

    link = shop.api.get(f"/orders/{holder.order_id}", token=holder.token).json()["registration"]
    names = [
        {"ticket_id": t["id"], "attendee_name": f"Guest {n}", "attendee_email": f"g{n}@example.com"}
        for n, t in enumerate(holder.tickets)
    ]
    assert shop.api.post(f"/registrations/{link['token']}", {"tickets": names}).status == 200
    remind(paid + timedelta(days=7, minutes=1))
    remind(paid + DEADLINE_IN - timedelta(hours=23))
    assert len(reminders_to("planner@example.com")) == 2


def test_the_deadline_reminder_and_nothing_after_the_deadline(aws: AwsStack, shop: Shop):
    holder = bought_by_account(shop, "late-planner@example.com", 1)
    order = order_store.get_order(holder.order_id)
    assert order is not None
    assert order.paid_at is not None
    deadline = order.paid_at - timedelta(seconds=order.paid_at.second) + DEADLINE_IN
    aws.use_function("ReminderCronFunction")
    remind(deadline - timedelta(hours=23))
    assert len(reminders_to("late-planner@example.com")) == 1  # deadline - 24 h
    remind(deadline + timedelta(minutes=1))
    assert len(reminders_to("late-planner@example.com")) == 1


def test_overlapping_runs_send_the_event_reminder_once_to_each_holder(aws: AwsStack, shop: Shop):
    bought_by_account(shop, "fan@example.com", 2)
    bought_by_account(shop, "friend@example.com", 1)
    day_before = datetime.now(UTC) + STARTS_IN - timedelta(hours=23)
    aws.use_function("ReminderCronFunction")
    start = threading.Barrier(4)

    def run(_: int) -> Counter[str]:
        start.wait()
        return remind(day_before)

    with ThreadPoolExecutor(4) as pool:
        outcomes = sum(pool.map(run, range(4)), Counter[str]())
    assert outcomes["event_reminder:sent"] == 2
    assert [m.subject for m in mails_to("fan@example.com", "Tomorrow:")] == ["Tomorrow: Show"]
    assert len(mails_to("friend@example.com", "Tomorrow:")) == 1
    assert "You hold 2 tickets;" in mails_to("fan@example.com", "Tomorrow:")[0].text


def test_the_sample_event_runs(aws: AwsStack):
    assert aws.invoke_sample("ReminderCronFunction", "every_15_minutes") == {"outcomes": {}}
