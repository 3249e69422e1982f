"""The items of the purchase path as pynamodb models: one ``TableItem`` kind each, every
attribute today's writers store declared (a model missing one would delete it on
``save()``), each under the ``entity`` its writer stores.

- ``OrderRecord`` at ``keys.order``: ``orders.to_item`` and the updates of ``orders``
  (``transition_op``, ``record_payment_status``) and ``money`` (refunds, disputes);
- ``BuyerStandingRecord`` at ``keys.buyer_standing``: ``orders.take_standing_op_for`` and
  the standing updates beside it;
- ``OrderNumberCounterRecord`` at ``keys.order_number_counter``:
  ``orders.claim_order_numbers``;
- ``InventoryShardRecord`` at ``keys.inventory_shard``: ``inventory.new_inventory_ops``
  and the hold/release/convert/restock/resize updates;
- ``VoucherRecord`` at ``keys.voucher``: ``catalog.create_voucher``, redeemed and given
  back by ``vouchers.redeem_op`` / ``unredeem_op``;
- ``TicketRecord`` at ``keys.ticket``: ``tickets.to_item`` and ``admit_op``;
- ``LedgerTransactionRecord`` at ``keys.ledger_transaction`` and ``BalanceShardRecord``
  at ``keys.account_balance``: ``ledger.book_ops``;
- ``PaidOrderRecord`` at ``keys.paid_order_of_event``: ``orders.paid_order_op`` (issuance
  writes it with the tickets).

The outbox item's model is ``outbox.OutboxRecord``. A voucher's redemption is no item
of its own: it is the ``uses``/``spent_cents`` update of the voucher item.

Declared here, not in each area's module: ``inventory`` is imported by many functions
(the public event page among them) that do not import pynamodb today; their cold start
does not pay for it until a store that uses these models moves onto them. And one
import registers every kind of the purchase path at once. Its partitions hold kinds not
modelled yet (``EVENT#``: the event, ticket types, pools, the settlement; ``ORDER#``:
refunds, disputes): read those by key, or query with a sort-key prefix of one modelled
kind (``VOUCHER#``), never a model query over a whole partition, which would drop the
unmodelled items after ``Limit``.

Today's writers and readers still speak op dicts (``to_item``, ``to_order`` ...); these
models read and write exactly the same items (tests/integration/test_models.py).
"""

from __future__ import annotations

from pynamodb.attributes import BooleanAttribute, UnicodeAttribute

from admitone.adapters.dynamo.items import (
    InstantAttribute,
    IntegerAttribute,
    PlainListAttribute,
    PlainMapAttribute,
    SecondInstantAttribute,
    TableItem,
)


class OrderRecord(TableItem, discriminator="order"):
    order_id = UnicodeAttribute()
    order_number = UnicodeAttribute()
    buyer_id = UnicodeAttribute()
    event_id = UnicodeAttribute()
    status = UnicodeAttribute()
    lines = PlainListAttribute()
    totals = PlainMapAttribute()
    amounts = PlainMapAttribute(null=True)
    shares = PlainListAttribute(null=True)
    refunded = PlainMapAttribute(null=True)
    restocked = PlainMapAttribute(null=True)
    dispute_id = UnicodeAttribute(null=True)
    allocation = PlainListAttribute()
    hold_expires_at = InstantAttribute()
    hold_expires_epoch = IntegerAttribute()
    hold_released = BooleanAttribute()
    created_at = InstantAttribute()
    attendee_email = UnicodeAttribute(null=True)
    voucher_code = UnicodeAttribute(null=True)
    payment_intent_id = UnicodeAttribute(null=True)
    payment_status = UnicodeAttribute()
    # Empty ("") once a payment error cleared: record_payment_status writes it so.
    last_payment_error = UnicodeAttribute(null=True)
    ticket_ids = PlainListAttribute(null=True)
    status_reason = UnicodeAttribute(null=True)
    paid_at = InstantAttribute(null=True)
    updated_at = InstantAttribute(null=True)
    version = IntegerAttribute()


class BuyerStandingRecord(TableItem, discriminator="buyer_standing"):
    """Tickets one buyer holds or owns of one event, and their purchase cooldown."""

    user_id = UnicodeAttribute()
    event_id = UnicodeAttribute()
    tickets = IntegerAttribute()
    cooldown_until_epoch = IntegerAttribute(null=True)


class OrderNumberCounterRecord(TableItem, discriminator="order_number_counter"):
    """The highest of one year's order numbers claimed so far (containers claim blocks).

    Counters drawn before the writer stored an ``entity`` have none: read by key
    (``from_raw``), such an item loads as this kind, and its next draw stamps the
    ``entity``. A model query of ``COUNTER#ORDER_NUMBER`` would skip it: read it by key.
    """

    sequence = IntegerAttribute()


class InventoryShardRecord(TableItem, discriminator="inventory_shard"):
    event_id = UnicodeAttribute()
    owner_id = UnicodeAttribute()  # tty_… or pool_…
    shard = IntegerAttribute()
    capacity = IntegerAttribute()
    available = IntegerAttribute()
    held = IntegerAttribute()
    sold = IntegerAttribute()
    gross_cents = IntegerAttribute(null=True)
    discount_cents = IntegerAttribute(null=True)
    fee_cents = IntegerAttribute(null=True)


class VoucherRecord(TableItem, discriminator="voucher"):
    event_id = UnicodeAttribute()
    code = UnicodeAttribute()
    # ``kind`` in the table; TableItem.kind() names the item's own kind.
    voucher_kind = UnicodeAttribute(attr_name="kind")
    value = IntegerAttribute()
    max_uses = IntegerAttribute(null=True)
    budget_cents = IntegerAttribute(null=True)
    valid_from = SecondInstantAttribute(null=True)
    valid_to = SecondInstantAttribute(null=True)
    valid_from_epoch = IntegerAttribute(null=True)
    valid_to_epoch = IntegerAttribute(null=True)
    ticket_type_ids = PlainListAttribute(null=True)
    uses = IntegerAttribute()
    spent_cents = IntegerAttribute()


class TicketRecord(TableItem, discriminator="ticket"):
    ticket_id = UnicodeAttribute()
    code = UnicodeAttribute()
    order_id = UnicodeAttribute()
    event_id = UnicodeAttribute()
    ticket_type_id = UnicodeAttribute()
    holder_id = UnicodeAttribute()
    status = UnicodeAttribute()
    version = IntegerAttribute()
    token = UnicodeAttribute()
    issued_at = InstantAttribute()
    changed_at = InstantAttribute(null=True)
    attendee_email = UnicodeAttribute(null=True)
    attendee_name = UnicodeAttribute(null=True)
    scans = IntegerAttribute(null=True)
    # {scan_id, at, gate (NULL when none), device_id}
    first_scan = PlainMapAttribute(null=True)


class LedgerTransactionRecord(TableItem, discriminator="ledger_txn"):
    txn_id = UnicodeAttribute()
    txn_kind = UnicodeAttribute(attr_name="kind")
    currency = UnicodeAttribute()
    venue_id = UnicodeAttribute(null=True)
    refs = PlainMapAttribute()
    # [{account, amount (debit positive), memo}]
    entries = PlainListAttribute()
    booked_at = InstantAttribute()


class BalanceShardRecord(TableItem, discriminator="balance_shard"):
    account_id = UnicodeAttribute()
    account_kind = UnicodeAttribute(attr_name="kind")
    currency = UnicodeAttribute()
    venue_id = UnicodeAttribute(null=True)
    balance = IntegerAttribute()


class PaidOrderRecord(TableItem, discriminator="event_order"):
    """Marks a paid order of an event (what cancelling the event refunds)."""

    order_id = UnicodeAttribute()
