"""What the behaviour tests start from, stored the way the product stores it: through
the fake's seeding helpers or the DynamoDB adapter's own writers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from admitone.domain.catalog import Voucher, VoucherKind
from admitone.domain.ids import Prefix, new_id
from admitone.domain.inventory import Allocation, LineHold, Take
from admitone.domain.orders import Order, OrderLine, OrderStatus, OrderTotals
from admitone.ports.store import Store
from tests.fakes.store import FakeStore

NOW = datetime(2026, 12, 2, 20, 0, tzinfo=UTC)


def an_order(*, quantity: int = 2, buyer_id: str = "usr_1", event_id: str = "evt_1") -> Order:
    return Order(
        id=new_id(Prefix.ORDER, now=NOW),
        number="2026-000001",
        buyer_id=buyer_id,
        event_id=event_id,
        status=OrderStatus.PENDING_PAYMENT,
        lines=(OrderLine("tty_ga", quantity, 5000),),
        totals=OrderTotals(
            currency="USD",
            subtotal=5000 * quantity,
            discount=0,
            platform_fee=0,
            nft_fee=0,
            taxes=(),
            total=5000 * quantity,
        ),
        allocation=Allocation((LineHold("tty_ga", quantity, (Take(0, quantity),)),)),
        hold_expires_at=NOW + timedelta(minutes=10),
        created_at=NOW,
        amounts={"tty_ga": {"gross_cents": 5000 * quantity, "discount_cents": 0, "fee_cents": 0}},
        shares=tuple(
            {
                "ticket_type_id": "tty_ga",
                "price": 5000,
                "discount": 0,
                "platform_fee": 0,
                "nft_fee": 0,
                "taxes": [],
            }
            for _ in range(quantity)
        ),
    )


def placed(store: Store, order: Order) -> Order:
    uow = store.unit_of_work()
    uow.orders.place(order)
    uow.commit()
    return order


def shards(store: Store, event_id: str, owner_id: str, capacity: int, count: int = 1) -> None:
    if isinstance(store, FakeStore):
        store.inventory.create(event_id, owner_id, capacity, count)
        return
    from admitone.adapters.dynamo import inventory, table  # noqa: PLC0415

    table.transact(inventory.new_inventory_ops(event_id, owner_id, capacity, count))


def a_voucher(store: Store, **fields: object) -> Voucher:
    voucher = Voucher(
        **{"event_id": "evt_1", "code": "SAVE10", "kind": VoucherKind.FIXED, "value": 1000} | fields  # type: ignore[arg-type]
    )
    if isinstance(store, FakeStore):
        store.catalog.add_voucher(voucher)
    else:
        from admitone.adapters.dynamo import catalog  # noqa: PLC0415

        catalog.create_voucher(voucher)
    return voucher


def voucher_now(store: Store, voucher: Voucher) -> Voucher | None:
    if isinstance(store, FakeStore):
        return store.catalog.voucher(voucher.event_id, voucher.code)
    from admitone.adapters.dynamo import vouchers  # noqa: PLC0415

    return vouchers.get_voucher(voucher.event_id, voucher.code, consistent=True)
