"""Lists spread over several index partitions (keys.*_LIST_SHARDS) read as one list.

Each test writes one item into every shard, the newest into the first shard and the
oldest into the last, so a reader that queried one shard, or joined the shards without
merging them by their sort key, shows the wrong items or the wrong order.
"""

from __future__ import annotations

import itertools
import threading
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from admitone.adapters.dynamo import keys, orders, outbox, scans, table, tickets
from admitone.adapters.dynamo.orders import DynamoOrders
from admitone.adapters.dynamo.outbox import DynamoOutbox
from admitone.adapters.dynamo.scans import ScanEntry
from admitone.adapters.dynamo.stripe_inbox import DynamoStripeInbox
from admitone.domain.events import OrderEnded
from admitone.domain.orders import Order, PaymentStatus
from admitone.domain.outbox import announcement
from admitone.domain.stripe_events import ReceivedEvent
from admitone.domain.tickets import Ticket
from tests.integration.conftest import AwsStack
from tests.integration.ports.given import an_order

NOW = datetime(2026, 12, 5, 20, 0, tzinfo=UTC)
EVENT = "evt_sharded"


def one_id_per_shard(prefix: str, shard_of: Callable[[str], str], shards: int) -> list[str]:
    """An id in each of ``shards`` shards, ordered by shard: the first id lands in the
    first shard."""
    chosen: dict[str, str] = {}
    for n in itertools.count():
        candidate = f"{prefix}{n:06d}"
        chosen.setdefault(shard_of(candidate), candidate)
        if len(chosen) == shards:
            return [chosen[shard] for shard in sorted(chosen)]
    raise AssertionError("unreachable")  # pragma: no cover


@pytest.fixture
def aws(aws: AwsStack) -> AwsStack:
    aws.use_function("ReconcileFunction")  # its readers and writers all share the table
    return aws


def newest_first_by_shard(count: int) -> list[datetime]:
    """The moment of each shard's item: the first shard's is the newest."""
    return [NOW - timedelta(minutes=n) for n in range(count)]


def _ticket(ticket_id: str, issued_at: datetime) -> Ticket:
    return Ticket(
        id=ticket_id,
        code=f"C{ticket_id}",
        order_id="ord_1",
        event_id=EVENT,
        ticket_type_id="tty_1",
        holder_id="usr_1",
        token="token",
        issued_at=issued_at,
    )


def _order(order_id: str, hold_expires_at: datetime, event_id: str = EVENT) -> Order:
    return replace(an_order(event_id=event_id), id=order_id, hold_expires_at=hold_expires_at)


def test_every_list_key_builder_spreads_ids_over_all_its_partitions():
    platform = keys.PLATFORM_LIST_SHARDS
    for shard_of, lists, shards in [
        (keys.payments_processing, keys.payments_processing_lists(), platform),
    ]:
        ids = one_id_per_shard("id_", shard_of, shards)
        assert [shard_of(i) for i in ids] == sorted(lists)
        assert len(set(lists)) == shards


def _taken_by_threads(take: Callable[[], str], turns: int, threads: int) -> list[str]:
    taken: list[str] = []
    lock = threading.Lock()

    def run() -> None:
        for _ in range(turns):
            keys.write_shard(2, of="another list")  # another list's turns skip none of ours
            mine = take()
            with lock:
                taken.append(mine)

    running = [threading.Thread(target=run) for _ in range(threads)]
    for thread in running:
        thread.start()
    for thread in running:
        thread.join()
    return taken


def test_lists_sharded_at_write_time_take_every_shard_in_turn():
    """The outbox's pending list and an event's ticket changes: each write takes the next
    shard of its own list, so a run of writes (from threads too) covers every shard
    evenly, whatever else takes shards in between."""
    for take, lists in [
        (keys.outbox_pending, keys.outbox_pending_lists()),
        (lambda: keys.tickets_of_event(EVENT), keys.tickets_of_event_lists(EVENT)),
        (keys.stripe_inbox_pending, keys.stripe_inbox_pending_lists()),
        (lambda: keys.paid_order_of_event(EVENT, "ord_1")["PK"], keys.paid_order_lists(EVENT)),
        (lambda: keys.scan_log(EVENT), keys.scan_logs(EVENT)),
        (keys.holds_active, keys.holds_active_lists()),
    ]:
        taken = _taken_by_threads(take, turns=len(lists), threads=3)
        assert Counter(taken) == dict.fromkeys(lists, 3)
        assert len(set(lists)) == len(lists)


def _in_shard(raw: dict[str, Any], partition: str) -> dict[str, Any]:
    """An item as DynamoDB attribute values, put on ``partition`` of its GSI3 list (the
    shard a writer would have taken in turn)."""
    return {**raw, "GSI3PK": {"S": partition}}


def test_the_outbox_sweep_reads_every_shard_oldest_first(aws: AwsStack):
    lists = keys.outbox_pending_lists()
    ids = [f"obx_{n:06d}" for n in range(len(lists))]
    moments = newest_first_by_shard(len(ids))
    for item_id, moment, partition in zip(ids, moments, lists, strict=True):
        ended = OrderEnded(order_id=f"ord_{item_id}", event_id=EVENT, reason="hold_expired")
        item = replace(announcement("order.expired", ended, now=moment), id=item_id)
        put = outbox._put(outbox.new_record(item, now=moment))
        put["Put"]["Item"] = _in_shard(put["Put"]["Item"], partition)
        table.transact([put])
    oldest_first = list(reversed(ids))

    every = len(ids) + 10
    assert [i.id for i in DynamoOutbox().pending(limit=every)] == oldest_first
    assert [i.id for i in DynamoOutbox().pending(limit=3)] == oldest_first[:3]
    before = moments[1]  # every item but the newest two occurred before it
    assert [i.id for i in DynamoOutbox().pending(limit=every, occurred_before=before)] == (
        oldest_first[:-2]
    )


def test_the_stripe_inbox_work_list_reads_every_shard_oldest_first(aws: AwsStack):
    stripe_inbox = DynamoStripeInbox()
    # Each marker takes the next shard: as many events as shards put one in each.
    ids = [f"evt_{n:06d}" for n in range(keys.STRIPE_INBOX_SHARDS)]
    moments = newest_first_by_shard(len(ids))
    for event_id, moment in zip(ids, moments, strict=True):
        received = ReceivedEvent(event_id, "payment_intent.succeeded", group_id="pi_1")
        stripe_inbox.record(received, "{}", now=moment)
    oldest_first = list(reversed(ids))
    markers = [
        table.index_page("GSI3", partition, limit=10)[0]
        for partition in keys.stripe_inbox_pending_lists()
    ]
    assert [len(page) for page in markers] == [1] * keys.STRIPE_INBOX_SHARDS

    later = NOW + timedelta(minutes=1)
    assert [i.event_id for i in stripe_inbox.pending_since(later, limit=200)] == oldest_first
    assert [i.event_id for i in stripe_inbox.pending_since(later, limit=2)] == oldest_first[:2]
    stripe_inbox.mark_enqueued(oldest_first[0], now=NOW)
    assert [i.event_id for i in stripe_inbox.pending_since(later, limit=200)] == (oldest_first[1:])


def test_the_scan_log_reads_every_shard_for_counts_and_pages_newest_first(aws: AwsStack):
    # Each scan takes the next shard: as many scans as shards put one in each.
    ids = [f"scn_{n:06d}" for n in range(keys.SCAN_LOG_SHARDS)]
    moments = newest_first_by_shard(len(ids))
    for scan_id, moment in zip(ids, moments, strict=True):
        entry = ScanEntry(scan_id, EVENT, "admitted", moment, "dev_1", gate="North")
        assert scans.log_scan(entry, recorded_at=moment)
    shards = [table.index_page("GSI1", p, limit=10)[0] for p in keys.scan_logs(EVENT)]
    assert [len(page) for page in shards] == [1] * keys.SCAN_LOG_SHARDS

    assert [e.scan_id for e in scans.scan_log(EVENT)] == list(reversed(ids))
    paged: list[str] = []
    start = None
    for _ in range(len(ids)):
        page, start = scans.scan_log_page(EVENT, limit=5, start_key=start)
        assert len(page) <= 5
        paged += [e.scan_id for e in page]
        if start is None:
            break
    assert paged == ids  # newest first, each scan once
    assert scans.scan_log("evt_other") == []


def _put_ticket(ticket_id: str, moment: datetime, partition: str) -> None:
    table.put({**tickets.to_item(_ticket(ticket_id, moment)), "GSI3PK": partition})


TICKET_LISTS = keys.tickets_of_event_lists(EVENT)


def test_the_bundle_changes_read_every_shard_in_change_order(aws: AwsStack):
    ids = [f"tkt_{n:06d}" for n in range(len(TICKET_LISTS))]
    moments = newest_first_by_shard(len(ids))
    for ticket_id, moment, partition in zip(ids, moments, TICKET_LISTS, strict=True):
        _put_ticket(ticket_id, moment, partition)
    oldest_first = list(reversed(ids))

    assert [t.id for t in tickets.tickets_of_event(EVENT)] == oldest_first
    first, more = tickets.changed_since(EVENT, after="", limit=4)
    assert ([t.id for t in first], more) == (oldest_first[:4], True)
    rest, more = tickets.changed_since(EVENT, after=tickets.change_position(first[-1]), limit=100)
    assert ([t.id for t in rest], more) == (oldest_first[4:], False)


def test_a_shard_cut_short_by_the_page_size_limit_loses_no_change_to_a_bundle(
    aws: AwsStack, monkeypatch: pytest.MonkeyPatch
):
    """DynamoDB ends a page at 1 MB, however many items ``Limit`` allows: the merge must
    not return items past where a shard stopped, or the next cursor would skip its rest."""
    ids = [f"tkt_{n:06d}" for n in range(len(TICKET_LISTS))]
    shard_of = dict(zip(ids, TICKET_LISTS, strict=True))
    # Three tickets in the first shard: the oldest, one in the middle, the newest.
    crowded = TICKET_LISTS[0]
    extra = ["tkt_x0000", "tkt_x0001"]
    shard_of |= dict.fromkeys(extra, crowded)
    moments = {ticket_id: NOW + timedelta(minutes=n) for n, ticket_id in enumerate(ids)}
    moments[extra[0]] = NOW - timedelta(minutes=1)
    moments[extra[1]] = NOW + timedelta(minutes=7, seconds=30)
    for ticket_id, moment in moments.items():
        _put_ticket(ticket_id, moment, shard_of[ticket_id])
    in_change_order = sorted(moments, key=moments.__getitem__)

    real_pages = table.raw_pages

    def first_shard_stops_after_one_item(request: Mapping[str, Any]) -> Any:
        pages = real_pages(request)
        partition = request["ExpressionAttributeValues"][":pk"]["S"]
        if partition != crowded:
            return pages
        page, last_key = next(pages)
        if len(page) <= 1:
            return iter([(page, last_key)])
        stopped_at = {name: page[0][name] for name in ("PK", "SK", "GSI3PK", "GSI3SK")}
        return iter([(page[:1], stopped_at)])

    monkeypatch.setattr(table, "raw_pages", first_shard_stops_after_one_item)
    seen: list[str] = []
    after = ""
    for _ in range(len(moments)):
        changed, more = tickets.changed_since(EVENT, after=after, limit=100)
        seen += [t.id for t in changed]
        if not more:
            break
        after = tickets.change_position(changed[-1])
    assert seen == in_change_order


def test_a_shard_holding_more_than_its_share_is_paged_through_in_change_order(aws: AwsStack):
    """Each shard is asked for about twice its share of a page: a crowded shard stops
    first, and the pages that follow take up its rest, none lost or repeated."""
    ids = [f"tkt_{n:06d}" for n in range(len(TICKET_LISTS))]
    extra = [f"tkt_x{n:05d}" for n in range(30)]
    shard_of = dict(zip(ids, TICKET_LISTS, strict=True)) | dict.fromkeys(extra, TICKET_LISTS[0])
    everyone = ids + extra
    moments = {
        ticket_id: NOW + timedelta(seconds=7 * n % 101) for n, ticket_id in enumerate(everyone)
    }
    for ticket_id, moment in moments.items():
        _put_ticket(ticket_id, moment, shard_of[ticket_id])
    in_change_order = sorted(everyone, key=lambda t: (moments[t], t))

    seen: list[str] = []
    pages = 0
    after = ""
    while True:
        changed, more = tickets.changed_since(EVENT, after=after, limit=40)
        pages += 1
        seen += [t.id for t in changed]
        if not more:
            break
        after = tickets.change_position(changed[-1])
    assert seen == in_change_order
    assert pages > 1  # 62 tickets, 31 in one shard: more than one page


def test_the_sweepers_list_reads_every_shard_longest_overdue_first(aws: AwsStack):
    lists = keys.holds_active_lists()
    ids = [f"ord_{n:06d}" for n in range(len(lists))]
    moments = newest_first_by_shard(len(ids))
    for order_id, moment, partition in zip(ids, moments, lists, strict=True):
        table.put({**orders.to_item(_order(order_id, hold_expires_at=moment)), "GSI3PK": partition})
    table.put(orders.to_item(_order("ord_elsewhere", NOW, event_id="evt_other")))
    oldest_first = list(reversed(ids))

    later = NOW + timedelta(minutes=1)
    everything = len(ids) + 1
    assert DynamoOrders().held_past(later, limit=everything) == [*oldest_first, "ord_elsewhere"]
    assert DynamoOrders().held_past(later, limit=3) == oldest_first[:3]
    # every hold but the newest two ended before it
    assert DynamoOrders().held_past(moments[1], limit=everything) == oldest_first[:-2]
    assert sorted(orders.held_for_event(EVENT)) == sorted(ids)


def test_the_sweepers_page_is_the_whole_page_when_one_shard_holds_the_longest_overdue(
    aws: AwsStack,
):
    """The sweeper starts over from the first overdue hold after each page: a page cut
    short where a crowded shard stopped would end its run on orders it cannot settle
    (still paying) while overdue holds in other shards wait behind them."""
    lists = keys.holds_active_lists()
    ids = [f"ord_{n:06d}" for n in range(len(lists))]
    extra = [f"ord_x{n:05d}" for n in range(15)]
    # The crowded shard's orders are overdue longest, then one order of every shard.
    in_overdue_order = extra + ids
    shards = [lists[0]] * len(extra) + list(lists)
    for n, (order_id, partition) in enumerate(zip(in_overdue_order, shards, strict=True)):
        expired = NOW - timedelta(hours=1) + timedelta(seconds=n)
        item = orders.to_item(_order(order_id, hold_expires_at=expired))
        table.put({**item, "GSI3PK": partition})

    assert DynamoOrders().held_past(NOW, limit=25) == in_overdue_order[:25]
    assert DynamoOrders().held_past(NOW, limit=len(in_overdue_order)) == in_overdue_order


def test_reconciliations_processing_list_reads_every_shard_longest_processing_first(
    aws: AwsStack,
):
    ids = one_id_per_shard("ord_", keys.payments_processing, keys.PLATFORM_LIST_SHARDS)
    placed = {order_id: _order(order_id, hold_expires_at=NOW) for order_id in ids}
    for order in placed.values():
        table.put(orders.to_item(order))
    # The last shard's payment starts processing first: the first shard's is the newest.
    for order_id in reversed(ids):
        orders.record_payment_status(placed[order_id], PaymentStatus.PROCESSING, error=None)
    longest_first = list(reversed(ids))

    later = datetime.now(UTC) + timedelta(minutes=1)
    assert orders.processing_since(later, limit=100) == longest_first
    assert orders.processing_since(later, limit=2) == longest_first[:2]
    processing = orders.get_order(longest_first[0])
    assert processing is not None
    orders.record_payment_status(processing, PaymentStatus.SUCCEEDED, error=None)
    assert orders.processing_since(later, limit=100) == longest_first[1:]
