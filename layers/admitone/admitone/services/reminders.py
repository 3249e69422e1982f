"""The reminder cron (RULES §15): registration reminders to purchasers whose tickets are
not all named, and the event reminder to every holder of a valid ticket the day before.

Each reminder is one e-mail per (order or event, slot, recipient), claimed before it is
sent (``notifier.send_once``): overlapping or repeated runs send nothing twice. A run
looks at every published event that has not started: its tickets come from the
tickets' change index (one query per event).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from datetime import datetime
from functools import partial

from admitone.adapters.dynamo import accounts
from admitone.adapters.dynamo import orders as order_store
from admitone.adapters.dynamo import tickets as ticket_store
from admitone.adapters.dynamo.event_search import published_events
from admitone.domain import messages
from admitone.domain.catalog import Event
from admitone.domain.errors import DependencyUnavailable
from admitone.domain.messages import EmailMessage
from admitone.domain.reminders import event_reminder_due, registration_reminder_due
from admitone.domain.tickets import Ticket, TicketStatus
from admitone.observability import logger
from admitone.services import notifier
from admitone.services.notifier import Notified
from admitone.services.registration import invite_recipient

_PAGE = 100


def remind(now: datetime) -> Counter[str]:
    """Send what is due at ``now``; counts per reminder kind and outcome."""
    sent = Counter[str]()
    for hit in published_events(
        city_key=None, category=None, starts_from=now, starts_to=None, after=None, batch=_PAGE
    ):
        event = hit.listing.event
        tickets = [
            t for t in ticket_store.tickets_of_event(event.id) if t.status is TicketStatus.VALID
        ]
        if now < event.registration_deadline:
            for outcome in _registration_reminders(event, tickets, now):
                sent[f"registration_reminder:{outcome}"] += 1
        if event_reminder_due(event.starts_at, now):
            for outcome in _event_reminders(event, tickets, now):
                sent[f"event_reminder:{outcome}"] += 1
    return sent


def _registration_reminders(event: Event, tickets: list[Ticket], now: datetime) -> list[Notified]:
    unnamed_orders = {t.order_id for t in tickets if t.attendee_name is None}
    outcomes = []
    for order_id in sorted(unnamed_orders):
        order = order_store.get_order(order_id)
        if order is None or order.paid_at is None:
            continue
        slot = registration_reminder_due(order.paid_at, event.registration_deadline, now)
        recipient = invite_recipient(order)
        if slot is None or recipient is None:
            continue
        outcomes.append(
            _send(
                f"registration-reminder:{order.id}:{slot}",
                "registration_reminder",
                recipient,
                now,
                partial(notifier.invite, order, recipient, now, reminder=True),
            )
        )
    return outcomes


def _event_reminders(event: Event, tickets: list[Ticket], now: datetime) -> list[Notified]:
    held: dict[str, int] = defaultdict(int)
    for ticket in tickets:
        held[ticket.holder_id] += 1
    outcomes = []
    for holder_id, count in sorted(held.items()):
        holder = accounts.user_by_id(holder_id)
        if holder is None:
            continue
        outcomes.append(
            _send(
                f"event-reminder:{event.id}",
                "event_reminder",
                holder.email,
                now,
                partial(
                    messages.event_reminder,
                    holder.email,
                    holder.name,
                    event_title=event.title,
                    starts_local=notifier.local_time(event.starts_at, event),
                    tickets=count,
                ),
            )
        )
    return outcomes


def _send(
    key: str, kind: str, recipient: str, now: datetime, compose: Callable[[], EmailMessage]
) -> Notified:
    """One reminder; a run never stops for one that another run holds or SES refused."""
    try:
        return notifier.send_once(key, kind, recipient, now, compose)
    except notifier.SendingElsewhere:
        return Notified.SENDING_ELSEWHERE
    except DependencyUnavailable:
        logger.warning("reminder not sent; the next run retries", extra={"kind": kind})
        return Notified.FAILED
