"""The ledger change set: a sale is booked with the change it records, once."""

from __future__ import annotations

import pytest

from admitone.domain import ledger
from admitone.domain.refunds import order_party, paid_components
from admitone.ports.store import Store
from admitone.ports.unit_of_work import ChangeRefused
from tests.integration.ports.given import NOW, an_order


def test_a_sale_moves_every_account_it_touches_and_is_booked_once(store: Store):
    order = an_order()
    sale = ledger.sale(order_party(order, "ven_1"), paid_components(order))
    uow = store.unit_of_work()
    uow.ledger.book(sale, now=NOW)
    uow.commit()
    moved = ledger.net_deltas(sale)
    assert moved
    assert {account.id: store.ledger.balance(account) for account in moved} == {
        account.id: delta for account, delta in moved.items()
    }

    again = store.unit_of_work()
    again.ledger.book(sale, now=NOW)
    with pytest.raises(ChangeRefused):
        again.commit()
    assert all(store.ledger.balance(account) == delta for account, delta in moved.items())
