"""The buyer-standing change set: the per-buyer limit and the purchase cooldown, and a
refusal that says which of the two it was by handing back the standing as it was."""

from __future__ import annotations

from datetime import timedelta

import pytest

from admitone.domain.orders import BuyerStanding
from admitone.ports.store import Store
from admitone.ports.unit_of_work import ChangeRefused
from tests.integration.ports.given import NOW, an_order


def _take(store: Store, quantity: int, *, limit: int = 6) -> None:
    uow = store.unit_of_work()
    uow.standings.take(an_order(quantity=quantity), limit=limit, now=NOW)
    uow.commit()


def test_takes_count_up_to_the_limit_and_the_next_is_refused_with_the_count(store: Store):
    _take(store, 4)
    _take(store, 2)
    assert store.orders.standing("usr_1", "evt_1") == BuyerStanding(tickets=6)
    uow = store.unit_of_work()
    staged = uow.standings.take(an_order(quantity=1), limit=6, now=NOW)
    with pytest.raises(ChangeRefused) as refused:
        uow.commit()
    assert refused.value.as_was(staged) == BuyerStanding(tickets=6)


def test_a_buyer_cooling_down_is_refused_with_the_cooldown_and_served_after_it(store: Store):
    _take(store, 1)
    until = NOW + timedelta(minutes=2)
    cool = store.unit_of_work()
    cool.standings.cool_down("usr_1", "evt_1", until)
    cool.commit()

    uow = store.unit_of_work()
    staged = uow.standings.take(an_order(quantity=1), limit=6, now=NOW)
    with pytest.raises(ChangeRefused) as refused:
        uow.commit()
    assert refused.value.as_was(staged) == BuyerStanding(tickets=1, cooldown_until=until)

    later = store.unit_of_work()
    later.standings.take(an_order(quantity=1), limit=6, now=until)
    later.commit()
    assert store.orders.standing("usr_1", "evt_1").tickets == 2


def test_giving_back_more_than_counted_is_refused(store: Store):
    _take(store, 2)
    uow = store.unit_of_work()
    uow.standings.give_back("usr_1", "evt_1", 2)
    uow.commit()
    assert store.orders.standing("usr_1", "evt_1").tickets == 0
    again = store.unit_of_work()
    staged = again.standings.give_back("usr_1", "evt_1", 1)
    with pytest.raises(ChangeRefused) as refused:
        again.commit()
    assert refused.value.as_was(staged) == BuyerStanding(tickets=0)


def test_a_standing_never_taken_is_handed_back_as_none(store: Store):
    uow = store.unit_of_work()
    staged = uow.standings.give_back("usr_new", "evt_1", 1)
    with pytest.raises(ChangeRefused) as refused:
        uow.commit()
    assert refused.value.as_was(staged) is None


def test_a_retake_counts_past_the_limit_and_starts_the_cooldown(store: Store):
    _take(store, 6)
    until = NOW + timedelta(minutes=2)
    uow = store.unit_of_work()
    uow.standings.retake("usr_1", "evt_1", 2, cooldown_until=until)
    uow.commit()
    assert store.orders.standing("usr_1", "evt_1") == BuyerStanding(tickets=8, cooldown_until=until)
