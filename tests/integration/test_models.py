"""The purchase path's pynamodb models (adapters/dynamo/models.py) read and write exactly
the items today's code writes.

One order bought through the API with a voucher and paid through the webhook and the
payment worker leaves every kind in the table as today's writers make it. Each test takes
one kind's stored items and shows, for each: every stored attribute is declared by the
model (``save()`` of a model lacking one deletes it), the model serializes it back byte
for byte, and an item rebuilt from the model's typed values, written back, reads through
today's reader (``get_order``, ``get_ticket`` ...) exactly as the original did.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

import pytest

from admitone.adapters.aws import client
from admitone.adapters.dynamo import inventory, keys, ledger, money, orders, table, tickets
from admitone.adapters.dynamo import vouchers as voucher_store
from admitone.adapters.dynamo.items import TableItem, serialized_key
from admitone.adapters.dynamo.keys import Key
from admitone.adapters.dynamo.models import (
    BalanceShardRecord,
    BuyerStandingRecord,
    InventoryShardRecord,
    LedgerTransactionRecord,
    OrderNumberCounterRecord,
    OrderRecord,
    PaidOrderRecord,
    TicketRecord,
    VoucherRecord,
)
from admitone.config import settings
from admitone.domain.ids import Prefix, new_id
from admitone.domain.ledger import Components
from admitone.domain.orders import OrderStatus
from admitone.domain.tickets import Scan
from tests.integration.conftest import Api, AwsStack
from tests.integration.payments_kit import deliver_all, drain, intent_payload, stripe_event
from tests.integration.shop import iso, open_shop, pay

VOUCHER = "SPRING"


@dataclass(frozen=True)
class Purchase:
    event_id: str
    venue_id: str
    buyer_id: str
    order_id: str
    ticket_type_id: str

    def items(self, entity: str) -> list[dict[str, Any]]:
        """Every stored item of one kind, raw (as DynamoDB returns it)."""
        return [item for item in _scan() if item.get("entity", {}).get("S") == entity]


@pytest.fixture
def purchase(api: Api, aws: AwsStack) -> Purchase:
    now = datetime.now(UTC).replace(microsecond=0)
    shop = open_shop(
        api, aws, types={"ga": {"price_cents": 5000, "capacity": 10, "shards": 2}}, hold_minutes=15
    )
    created = api.post(
        f"/events/{shop.event_id}/vouchers",
        {
            "code": VOUCHER,
            "kind": "percent",
            "value": 1000,
            "max_uses": 5,
            "budget_cents": 10_000,
            "valid_from": iso(now - timedelta(days=1)),
            "valid_to": iso(now + timedelta(days=5)),
            "ticket_type_ids": [shop.types["ga"]],
        },
        token=shop.organizer_token,
    )
    assert created.status == 201, created.body
    buyer_id, token = shop.buyer()
    placed = shop.order(token, {"ga": 2}, voucher_code=VOUCHER)
    assert placed.status == 201, placed.body
    order = placed.json()
    intent = pay(order["payment"]["payment_intent_id"])
    deliver_all(
        aws,
        [stripe_event("payment_intent.succeeded", intent_payload(intent.id), f"evt_{intent.id}")],
    )
    drain(aws)
    aws.use_function("GetOrderFunction")
    paid = orders.get_order(order["order_id"])
    assert paid is not None
    assert paid.status is OrderStatus.PAID
    assert paid.totals.discount > 0
    venue_id = api.get(f"/events/{shop.event_id}").json()["venue_id"]
    return Purchase(shop.event_id, venue_id, buyer_id, order["order_id"], shop.types["ga"])


def _scan() -> Iterator[dict[str, Any]]:
    request: dict[str, Any] = {"TableName": settings().table_name, "ConsistentRead": True}
    while True:
        page = client("dynamodb").scan(**request)
        yield from page["Items"]
        if "LastEvaluatedKey" not in page:
            return
        request["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def _stored(key: Key) -> dict[str, Any]:
    response = client("dynamodb").get_item(
        TableName=settings().table_name, Key=serialized_key(key), ConsistentRead=True
    )
    item: dict[str, Any] = response["Item"]
    return item


def _key(raw: dict[str, Any]) -> Key:
    return {"PK": raw["PK"]["S"], "SK": raw["SK"]["S"]}


def round_trip[T: TableItem](model: type[T], raw: dict[str, Any], read: Callable[[], Any]) -> T:
    """``raw`` (an item as today's code stored it) through ``model`` and back."""
    declared = {attribute.attr_name for attribute in model.get_attributes().values()}
    assert set(raw) <= declared, f"{model.__name__} does not declare {set(raw) - declared}"
    record = model.from_raw(raw)
    assert record.attributes() == raw
    before = read()
    # Rebuilt from the typed values (datetimes, ints, ...), not from the raw ones.
    names = [name for name in model.get_attributes() if name != "entity"]
    rebuilt = model(**{name: getattr(record, name) for name in names})
    client("dynamodb").delete_item(TableName=settings().table_name, Key=serialized_key(_key(raw)))
    client("dynamodb").put_item(TableName=settings().table_name, Item=rebuilt.attributes())
    assert _stored(_key(raw)) == raw
    assert read() == before
    return record


def test_an_order_paid_then_refunded_and_disputed_reads_the_same_through_its_model(
    purchase: Purchase,
):
    (raw,) = purchase.items("order")

    def read() -> Any:
        return orders.get_order(purchase.order_id)

    record = round_trip(OrderRecord, raw, read)
    assert record.paid_at is not None
    assert record.updated_at is not None
    assert record.version == read().version
    assert isinstance(record.version, int)
    assert set(raw) >= {"paid_at", "updated_at", "ticket_ids", "GSI1PK", "GSI2PK"}

    # Later writers add the refund's parts and flag a dispute.
    paid = read()
    table.transact(
        [
            money.order_refund_op(
                paid,
                status=OrderStatus.PARTIALLY_REFUNDED,
                refunded=Components(price=1000, platform_fee=0, nft_fee=0, taxes=(0,)),
                now=datetime.now(UTC),
                restocked={purchase.ticket_type_id: 1},
            ),
        ]
    )
    table.transact([money.flag_dispute_op(paid.id, "dp_1")])
    orders.record_payment_status(read(), paid.payment_status, error=None)
    later = _stored(keys.order(purchase.order_id))
    assert {"refunded", "restocked", "dispute_id", "last_payment_error"} <= set(later)
    round_trip(OrderRecord, later, read)


def test_a_buyer_standing_with_its_cooldown_reads_the_same_through_its_model(purchase: Purchase):
    (raw,) = purchase.items("buyer_standing")
    assert "cooldown_until_epoch" in raw
    record = round_trip(
        BuyerStandingRecord,
        raw,
        lambda: orders.buyer_standing(purchase.buyer_id, purchase.event_id),
    )
    assert record.tickets == 2


def test_the_order_number_counter_reads_the_same_through_its_model(purchase: Purchase):
    year = datetime.now(UTC).year
    raw = _stored(keys.order_number_counter(year))
    record = round_trip(
        OrderNumberCounterRecord,
        raw,
        lambda: table.get(keys.order_number_counter(year), consistent=True),
    )
    # The purchase's number came from the one block its container claimed.
    assert record.sequence == orders.ORDER_NUMBER_BLOCK
    # The writer stores the kind, so a model query of the counters' partition sees it.
    assert raw["entity"] == {"S": "order_number_counter"}


def test_a_counter_drawn_before_it_stored_its_kind_reads_by_key_and_gains_it_at_the_next_draw(
    aws: AwsStack,
):
    aws.use_function("PlaceOrderFunction")
    key = keys.order_number_counter(2019)
    table.put({**key, "sequence": 41})  # as the writer stored it before: no entity
    record = OrderNumberCounterRecord.from_raw(_stored(key))
    assert record.sequence == 41
    assert orders.claim_order_numbers(2019, 1) == range(42, 43)
    assert _stored(key) == {
        **serialized_key(key),
        "sequence": {"N": "42"},
        "entity": {"S": "order_number_counter"},
    }


def test_inventory_shards_after_a_sale_read_the_same_through_their_model(purchase: Purchase):
    shards = purchase.items("inventory_shard")
    assert len(shards) == 2
    for raw in shards:
        number = int(raw["shard"]["N"])
        round_trip(
            InventoryShardRecord,
            raw,
            lambda number=number: inventory.inventory_of_owner(
                purchase.event_id, purchase.ticket_type_id
            ).shards[number],
        )
    sold = [InventoryShardRecord.from_raw(raw) for raw in shards]
    assert sum(shard.sold for shard in sold) == 2
    assert sum(shard.gross_cents or 0 for shard in sold) == 10_000


def test_a_redeemed_voucher_reads_the_same_through_its_model(purchase: Purchase):
    (raw,) = purchase.items("voucher")
    record = round_trip(
        VoucherRecord,
        raw,
        lambda: voucher_store.get_voucher(purchase.event_id, VOUCHER, consistent=True),
    )
    assert (record.voucher_kind, record.uses, record.spent_cents) == ("percent", 1, 1000)
    assert record.valid_from is not None
    assert record.valid_to is not None


def test_tickets_issued_and_admitted_read_the_same_through_their_model(purchase: Purchase):
    issued = purchase.items("ticket")
    assert len(issued) == 2
    for raw in issued:
        ticket_id = raw["ticket_id"]["S"]
        round_trip(TicketRecord, raw, lambda ticket_id=ticket_id: tickets.get_ticket(ticket_id))

    # An admission adds the first scan: a map whose gate may be NULL.
    ticket_id = issued[0]["ticket_id"]["S"]
    ticket = tickets.get_ticket(ticket_id)
    assert ticket is not None
    now = datetime.now(UTC)
    scan = Scan(scan_id=new_id(Prefix.SCAN), at=now, gate=None, device_id="dev_1")
    table.transact([tickets.admit_op(ticket, scan, max_scans=1, now=now)])
    admitted = _stored(keys.ticket(ticket_id))
    assert admitted["first_scan"]["M"]["gate"] == {"NULL": True}
    record = round_trip(TicketRecord, admitted, lambda: tickets.get_ticket(ticket_id))
    assert record.scans == 1


def test_the_sales_ledger_transactions_read_the_same_through_their_model(purchase: Purchase):
    booked = purchase.items("ledger_txn")
    assert booked

    def read(txn_id: str) -> Any:
        return [item for item in ledger.all_transactions() if item["txn_id"] == txn_id]

    for raw in booked:
        txn_id = raw["txn_id"]["S"]
        record = round_trip(LedgerTransactionRecord, raw, lambda txn_id=txn_id: read(txn_id))
        assert sum(entry["amount"] for entry in record.entries) == 0
    venue_page, _ = ledger.venue_ledger_page(purchase.venue_id, limit=50, start_key=None)
    assert venue_page


def test_the_balance_shards_of_a_sale_read_the_same_through_their_model(purchase: Purchase):
    shards = purchase.items("balance_shard")
    assert any("venue_id" in raw for raw in shards)
    assert any("venue_id" not in raw for raw in shards)

    def read(key: Key) -> Any:
        return [item for item in ledger.all_balance_shards() if _plain_key(item) == key]

    for raw in shards:
        round_trip(BalanceShardRecord, raw, partial(read, _key(raw)))
    assert sum(BalanceShardRecord.from_raw(raw).balance for raw in shards) == 0


def test_the_paid_order_marker_reads_the_same_through_its_model(purchase: Purchase):
    (raw,) = purchase.items("event_order")
    record = round_trip(
        PaidOrderRecord, raw, lambda: money.paid_orders_after(purchase.event_id, None, limit=10)
    )
    assert record.order_id == purchase.order_id


def _plain_key(item: dict[str, Any]) -> Key:
    return {"PK": item["PK"], "SK": item["SK"]}
