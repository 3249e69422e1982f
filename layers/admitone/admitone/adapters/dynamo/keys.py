"""Every key shape of the single table, one function each (see README.md here)."""

from __future__ import annotations

import itertools
import secrets
import zlib

Key = dict[str, str]

# A GSI partition takes about 1,000 write units a second. A list that every order,
# payment or scan of the platform (or of an event) enters and leaves is spread over
# several partitions, and readers query every shard and merge them by the list's sort
# key. An entry that is found again by its own id (the processing payments) lands in the
# shard that id picks (PLATFORM_LIST_SHARDS); one that is written once and leaves by its
# own item's update takes its shard in turn when written (``write_shard``), which spreads
# a container's writes evenly where an id's hash does not.
PLATFORM_LIST_SHARDS = 32
# The sweeper's list of pending orders is entered and left by every order of an on-sale
# (4 WCU an order): over 32 partitions it capped the platform near 8,000 orders a second,
# over 128 at 32,000. Its reader is a job, which pays 128 Queries a page for it.
HOLD_LIST_SHARDS = 128
# The outbox's pending list is entered and left by every scan (ticket.checked_in) and
# every payment: 32 shards picked by the item's id held a door rush near 4,500 scans a
# second (its hottest shard took 3.5 times an even share of 190 scans). An event's ticket
# changes (GSI3 EVENT_TICKETS) move with every scan: 16 shards, ~8,000 scans/s evenly
# spread. Both now take their shard in turn when written (``write_shard``). A payment
# announces two items (order.paid, ticket.issued), each entering the list, rewritten
# there by its lease and leaving it: 6 WCU a payment, ~10,000 payments/s over 64 shards,
# ~40,000 over 256 (the drain's sweep queries all of them, once a minute).
OUTBOX_LIST_SHARDS = 256
TICKET_LIST_SHARDS = 32
# An event's scan log (GSI1 SCANLOG): every scan enters it, 1 WCU. 16 shards picked by the
# scan id's crc32 put 13 of a 100-scan rush on one; 32 taken in turn at write time,
# ~32,000 scans/s an event evenly spread. The first 16 are the shards of the old scheme.
SCAN_LOG_SHARDS = 32


# The ledger of a payment burst: every payment books onto the platform's accounts
# (clearing, revenue, tax, processing costs), its event's pending proceeds and its venue's
# ledger, and lists the order among its event's paid orders. Each of those is a partition
# of its own per shard (the shard number in the partition key, not the sort key), one
# taking a payment's writes round-robin (``write_shard``).
PLATFORM_BALANCE_SHARDS = 64  # an account of the platform's (no venue)
EVENT_PENDING_SHARDS = 32  # a venue's pending proceeds of one event
VENUE_LIST_SHARDS = 32  # a venue's ledger and balance lists (GSI1)
EVENT_ORDER_SHARDS = 64  # an event's paid orders (taken in turn when one is paid)
# The Stripe inbox's pending list: every handled Stripe event of a payment (about two)
# enters it and leaves it, 1 WCU each: 4 WCU a payment on partitions the whole platform
# shares. Over 32 shards that held the platform near 8,000 payments a second; over 128,
# taken in turn when the marker is written, 32,000. Its reader is the reconcile job.
STRIPE_INBOX_SHARDS = 128


class _RoundRobin:
    """Shard numbers in turn, one sequence per list (``of``), each from a random start per
    process (per Lambda container): a container's writes to a list spread evenly, and
    containers do not all start on shard 0. One sequence shared by every list would not
    do: a payment takes a shard of each of its accounts in the same order every time, so
    with k accounts an account would see every k-th number, and with k even only half
    of its shards. ``next`` on an ``itertools.count`` is atomic under the GIL, and so is
    ``dict.setdefault``, so threads share the sequences."""

    def __init__(self) -> None:
        self._counters: dict[str, itertools.count[int]] = {}

    def __call__(self, shards: int, of: str = "") -> int:
        counter = self._counters.get(of)
        if counter is None:
            counter = self._counters.setdefault(of, itertools.count(secrets.randbelow(1 << 16)))
        return next(counter) % shards


write_shard = _RoundRobin()


def _shard(item_id: str, shards: int) -> str:
    """The shard of ``item_id``: stable (crc32, not ``hash``, which changes per process),
    so every writer and the item's later updates agree."""
    return f"{zlib.crc32(item_id.encode()) % shards:02d}"


def _every_shard(prefix: str, shards: int) -> tuple[str, ...]:
    return tuple(f"{prefix}#{shard:02d}" for shard in range(shards))


def user(user_id: str) -> Key:
    return {"PK": f"USER#{user_id}", "SK": "PROFILE"}


def email_claim(normalized_email: str) -> Key:
    """Makes an address unique: exists iff an account uses it."""
    return {"PK": f"EMAIL#{normalized_email}", "SK": "EMAIL"}


def session(family_id: str) -> Key:
    """A refresh-token family: one login and every rotation that followed it."""
    return {"PK": f"SESSION#{family_id}", "SK": "SESSION"}


def refresh_token(token_id: str) -> Key:
    return {"PK": f"REFRESH#{token_id}", "SK": "REFRESH"}


def used_token(token_id: str) -> Key:
    """Marks a one-time token (e-mail verification, password reset) as spent."""
    return {"PK": f"ONCE#{token_id}", "SK": "ONCE"}


def rate_counter(family: str, key_kind: str, client_pseudonym: str, window_start: int) -> Key:
    """Hits of one client against one limit in one fixed window."""
    return {"PK": f"RATE#{family}#{key_kind}#{client_pseudonym}", "SK": f"WINDOW#{window_start}"}


def login_guard(kind: str, pseudonym: str) -> Key:
    """Recent failed logins of one address or one source (the login backoff)."""
    return {"PK": f"LOGINGUARD#{kind}#{pseudonym}", "SK": "GUARD"}


def login_known_sources(address_digest: str) -> Key:
    """The sources one address was signed in from lately (the login backoff spares them)."""
    return {"PK": f"LOGINGUARD#known#{address_digest}", "SK": "SOURCES"}


# ------------------------------------------------------------------- catalog
def venue(venue_id: str) -> Key:
    return {"PK": f"VENUE#{venue_id}", "SK": "VENUE"}


def event(event_id: str) -> Key:
    return {"PK": f"EVENT#{event_id}", "SK": "EVENT"}


def ticket_type(event_id: str, ticket_type_id: str) -> Key:
    return {"PK": f"EVENT#{event_id}", "SK": f"TTYPE#{ticket_type_id}"}


def capacity_pool(event_id: str, pool_id: str) -> Key:
    return {"PK": f"EVENT#{event_id}", "SK": f"POOL#{pool_id}"}


def inventory_shard(event_id: str, owner_id: str, shard: int) -> Key:
    """One shard of the counters of a ticket type or a capacity pool (``owner_id``), in a
    partition of its own: every hold of an on-sale writes one shard, and shards sharing a
    partition (the event's, as they once did) share its ~1,000 write units a second. The
    shards of an owner are numbered 0 to its ``shards`` - 1 (the catalog item's), so a
    reader builds their keys and reads them in one BatchGetItem."""
    return {"PK": f"INV#{event_id}#{owner_id}#{shard:02d}", "SK": "INV"}


def voucher(event_id: str, code: str) -> Key:
    return {"PK": f"EVENT#{event_id}", "SK": f"VOUCHER#{code}"}


def owned_by(user_id: str) -> str:
    """GSI1PK of everything an organizer owns (venues, events)."""
    return f"OWNER#{user_id}"


PUBLISHED = "PUBLISHED"  # GSI2PK of every published event (GSI2SK: starts_at#event_id)


def published_in_city(city: str) -> str:
    """GSI3PK of published events in a city (GSI3SK: starts_at#event_id)."""
    return f"PUBLISHED#CITY#{city}"


def published_in_category(category: str) -> str:
    """GSI4PK of published events of a category (GSI4SK: starts_at#event_id)."""
    return f"PUBLISHED#CATEGORY#{category}"


# -------------------------------------------------------------------- outbox
def outbox(item_id: str) -> Key:
    return {"PK": f"OUTBOX#{item_id}", "SK": "OUTBOX"}


def outbox_pending() -> str:
    """GSI3PK of a new unpublished item (one of ``outbox_pending_lists()``), the shard
    taken in turn when the item is written: it keeps it until it is published."""
    return f"OUTBOX#pending#{write_shard(OUTBOX_LIST_SHARDS, 'OUTBOX#pending'):02d}"


def outbox_pending_lists() -> tuple[str, ...]:
    return _every_shard("OUTBOX#pending", OUTBOX_LIST_SHARDS)


OUTBOX_DEAD = "OUTBOX#dead"  # GSI3PK of items that failed every attempt


def outbox_pending_position(occurred_at: str, item_id: str) -> str:
    """GSI3SK of an outbox item in its work list: oldest first."""
    return f"{occurred_at}#{item_id}"


# ------------------------------------------------------------- stripe inbox
def stripe_event(event_id: str) -> Key:
    return {"PK": f"STRIPE_EVENT#{event_id}", "SK": "STRIPE_EVENT"}


def stripe_event_pending(event_id: str) -> Key:
    """A Stripe event's pending marker: beside its inbox item, while it is not queued."""
    return {"PK": f"STRIPE_EVENT#{event_id}", "SK": "PENDING"}


def stripe_inbox_pending() -> str:
    """GSI3PK of a Stripe event's pending marker (one of ``stripe_inbox_pending_lists()``),
    the shard taken in turn when the marker is written: it keeps it until it is deleted."""
    return f"STRIPE_INBOX#pending#{write_shard(STRIPE_INBOX_SHARDS, 'STRIPE_INBOX#pending'):02d}"


def stripe_inbox_pending_lists() -> tuple[str, ...]:
    """Every shard; the first 32 are the ones the list had before (the event id's
    crc32 picked one then), so entries written then are still read."""
    return _every_shard("STRIPE_INBOX#pending", STRIPE_INBOX_SHARDS)


# -------------------------------------------------------------------- orders
def order(order_id: str) -> Key:
    return {"PK": f"ORDER#{order_id}", "SK": "ORDER"}


def orders_of_buyer(user_id: str) -> str:
    """GSI1PK of a buyer's orders (GSI1SK: ORDER#<created at>#<order id>)."""
    return f"BUYER#{user_id}"


def payment_intent(payment_intent_id: str) -> str:
    """GSI2PK of the order a PaymentIntent pays (GSI2SK: ORDER)."""
    return f"PAYMENT_INTENT#{payment_intent_id}"


def payments_processing(order_id: str) -> str:
    """GSI4PK of an order whose payment is processing (GSI4SK: <since>#<order id>), one of
    ``payments_processing_lists()``."""
    return f"PAYMENTS#processing#{_shard(order_id, PLATFORM_LIST_SHARDS)}"


def payments_processing_lists() -> tuple[str, ...]:
    return _every_shard("PAYMENTS#processing", PLATFORM_LIST_SHARDS)


def holds_active() -> str:
    """GSI3PK of a pending order holding seats (GSI3SK: <hold expires at>#<order id>): the
    sweeper's work list, which every order of the platform enters and leaves; one of
    ``holds_active_lists()``, taken in turn when the order is placed (it keeps it until it
    leaves the list, and is never looked up by it). The order id's crc32, used before,
    put 6 of a 200-payment burst's orders on one shard of 128."""
    return f"HOLDS#active#{write_shard(HOLD_LIST_SHARDS, 'HOLDS#active'):02d}"


def holds_active_lists() -> tuple[str, ...]:
    return _every_shard("HOLDS#active", HOLD_LIST_SHARDS)


def buyer_standing(user_id: str, event_id: str) -> Key:
    """Tickets one buyer holds or owns of one event, and their purchase cooldown."""
    return {"PK": f"USER#{user_id}", "SK": f"EVENT_TICKETS#{event_id}"}


def order_number_counter(year: int) -> Key:
    return {"PK": "COUNTER#ORDER_NUMBER", "SK": f"YEAR#{year}"}


# ------------------------------------------------------------------- tickets
def ticket(ticket_id: str) -> Key:
    return {"PK": f"TICKET#{ticket_id}", "SK": "TICKET"}


def ticket_mint(ticket_id: str) -> Key:
    """A ticket's NFT mint record, beside the ticket in its partition."""
    return {"PK": f"TICKET#{ticket_id}", "SK": "NFT"}


def tickets_of_holder(user_id: str) -> str:
    """GSI1PK of the tickets a user holds (GSI1SK: TICKET#<issued at>#<ticket id>)."""
    return f"HOLDER#{user_id}"


def ticket_code(code: str) -> str:
    """GSI2PK of a ticket by its human code (GSI2SK: TICKET)."""
    return f"TICKET_CODE#{code}"


def tickets_of_event(event_id: str) -> str:
    """GSI3PK of a ticket among its event's tickets in change order (GSI3SK: <changed
    at>#<ticket id>): what a scanner bundle sends since its cursor. One of
    ``tickets_of_event_lists(event_id)``, taken in turn at every change of the ticket: a
    door rush moves every ticket it admits, and a change moves the ticket's entry anyway
    (its sort key changes), so moving it to another shard costs no extra write."""
    prefix = f"EVENT_TICKETS#{event_id}"
    return f"{prefix}#{write_shard(TICKET_LIST_SHARDS, prefix):02d}"


def tickets_of_event_lists(event_id: str) -> tuple[str, ...]:
    return _every_shard(f"EVENT_TICKETS#{event_id}", TICKET_LIST_SHARDS)


# ------------------------------------------------------------------- resale
def listing(listing_id: str) -> Key:
    return {"PK": f"LISTING#{listing_id}", "SK": "LISTING"}


def escrow(escrow_id: str) -> Key:
    return {"PK": f"ESCROW#{escrow_id}", "SK": "ESCROW"}


def open_escrows_of_event(event_id: str) -> str:
    """GSI3PK of an event's escrows while open, ``created`` or ``funded`` (GSI3SK:
    ``<ticket id>#<escrow id>``, so a ticket's are one prefix)."""
    return f"EVENT_ESCROWS#open#{event_id}"


def released_escrows_of_event(event_id: str) -> str:
    """GSI3PK of an event's escrows while ``released`` (GSI3SK as the open ones')."""
    return f"EVENT_ESCROWS#released#{event_id}"


# -------------------------------------------------------------- tax (1099-DA)
def tax_profile(user_id: str) -> Key:
    """A seller's tax profile (its TIN sealed)."""
    return {"PK": f"TAX_PROFILE#{user_id}", "SK": "TAX_PROFILE"}


def tax_sale(seller_id: str, year: int, disposed_at: str, escrow_id: str) -> Key:
    """One sale of a seller's year (``disposed_at``: the table's instant form, so a
    year's sales sort oldest first)."""
    return {"PK": f"TAX_SALES#{seller_id}#{year}", "SK": f"SALE#{disposed_at}#{escrow_id}"}


def tax_year(seller_id: str, year: int) -> Key:
    """A seller's sales of one year summed."""
    return {"PK": f"TAX_YEAR#{seller_id}", "SK": f"YEAR#{year}"}


def tax_forms_of_year(year: int) -> str:
    """GSI3PK of the sellers' years that need a form (GSI3SK: the seller id); a year
    enters it with the sale that takes it to the threshold."""
    return f"TAX_FORMS#{year}"


def ticket_acquisition(ticket_id: str, holder_id: str) -> Key:
    """What a holder last paid for a ticket on resale (its cost basis when they sell)."""
    return {"PK": f"TICKET_ACQUIRED#{ticket_id}", "SK": f"HOLDER#{holder_id}"}


def ticket_listed(ticket_id: str) -> Key:
    """Exists while the ticket has an active listing (holds its id): one listing a ticket."""
    return {"PK": f"TICKET#{ticket_id}", "SK": "LISTED"}


def active_listings_of_event(event_id: str) -> str:
    """GSI3PK of an event's active listings (GSI3SK: ``listing_price_position``)."""
    return f"EVENT_LISTINGS#{event_id}"


# Cents, zero-padded wider than any amount (money.MAX_AMOUNT_CENTS): string order is price order.
LISTING_PRICE_DIGITS = 10


def listing_price_position(price_cents: int, listing_id: str) -> str:
    """GSI3SK of an active listing: cheapest first, then oldest (ids are ULIDs)."""
    return f"{price_cents:0{LISTING_PRICE_DIGITS}d}#{listing_id}"


def listings_of_seller(user_id: str) -> str:
    """GSI1PK of a seller's listings (GSI1SK: LISTING#<created at>#<listing id>)."""
    return f"SELLER_LISTINGS#{user_id}"


# ------------------------------------------------------------------- gates
def venue_staff(venue_id: str, user_id: str) -> Key:
    return {"PK": f"VENUE#{venue_id}", "SK": f"STAFF#{user_id}"}


def pairing_code(code_hash: str) -> Key:
    return {"PK": f"PAIRING#{code_hash}", "SK": "PAIRING"}


def device(device_id: str) -> Key:
    return {"PK": f"DEVICE#{device_id}", "SK": "DEVICE"}


def venue_devices(venue_id: str) -> str:
    """GSI1PK of the devices paired with a venue (GSI1SK: DEVICE#<paired at>#<device id>)."""
    return f"VENUE_DEVICES#{venue_id}"


def scan(event_id: str, scan_id: str) -> Key:
    """One scan, spread over partitions: a gate rush writes everywhere, not to one key."""
    return {"PK": f"SCAN#{event_id}#{scan_id}", "SK": "SCAN"}


def scan_log(event_id: str) -> str:
    """GSI1PK of one of an event's scans (GSI1SK: <scanned at>#<scan id>), one of
    ``scan_logs(event_id)``, taken in turn when the scan is logged (a scan is written
    once and never moves): every gate of a door rush writes to all of them."""
    prefix = f"SCANLOG#{event_id}"
    return f"{prefix}#{write_shard(SCAN_LOG_SHARDS, prefix):02d}"


def scan_logs(event_id: str) -> tuple[str, ...]:
    return _every_shard(f"SCANLOG#{event_id}", SCAN_LOG_SHARDS)


# ------------------------------------------------------------- notifications
def notification(key: str) -> Key:
    """One e-mail to send once: ``key`` = sha256(event id, kind, recipient)."""
    return {"PK": f"NOTIFY#{key}", "SK": "NOTIFY"}


# ------------------------------------------------------------------ webhooks
def webhook_endpoint(endpoint_id: str) -> Key:
    return {"PK": f"WEBHOOK#{endpoint_id}", "SK": "WEBHOOK"}


def webhook_delivery(endpoint_id: str, message_id: str) -> Key:
    """One domain event's delivery to one endpoint, in the endpoint's partition."""
    return {"PK": f"WEBHOOK#{endpoint_id}", "SK": f"DELIVERY#{message_id}"}


WEBHOOK_RETRIES = "WEBHOOK_RETRY#pending"  # GSI3PK of deliveries awaiting a retry


# -------------------------------------------------------------------- money
def ledger_transaction(txn_id: str) -> Key:
    """One balanced ledger transaction, its entries inside (domain/ledger.py)."""
    return {"PK": f"LEDGER#{txn_id}", "SK": "TXN"}


def venue_ledger(venue_id: str, shard: int) -> str:
    """GSI1PK of a ledger transaction that touches a venue (GSI1SK: at#txn id), one of
    ``venue_ledgers(venue_id)``: the shard is picked when it is booked."""
    return f"VENUE_LEDGER#{venue_id}#{shard % VENUE_LIST_SHARDS:02d}"


def venue_royalties(venue_id: str) -> str:
    """GSI2PK of a ledger transaction that books or reverses a venue's resale royalty
    (GSI2SK: booked at#txn id): one partition, written once per resale released or
    reversed at the venue."""
    return f"VENUE_ROYALTIES#{venue_id}"


def venue_ledgers(venue_id: str) -> tuple[str, ...]:
    return _every_shard(f"VENUE_LEDGER#{venue_id}", VENUE_LIST_SHARDS)


def account_balance(account_id: str, shard: int) -> Key:
    """One shard of an account's running balance, a partition of its own (a hot account
    is spread over several: ``balance_shards``)."""
    return {"PK": f"BALANCE#{account_id}#{shard:02d}", "SK": "BALANCE"}


def venue_balances(venue_id: str, shard: int) -> str:
    """GSI1PK of a balance shard of a venue's account (GSI1SK: account#shard): shard
    ``n`` of any of the venue's accounts is listed in ``venue_balance_lists``' ``n``."""
    return f"VENUE_BALANCES#{venue_id}#{shard % VENUE_LIST_SHARDS:02d}"


def seller_balances(seller_id: str) -> str:
    """GSI1PK of a seller's account balances (GSI1SK: account#shard); one partition: a
    seller's accounts move once a resale, settlement or payout."""
    return f"SELLER_BALANCES#{seller_id}"


def venue_balance_lists(venue_id: str) -> tuple[str, ...]:
    return _every_shard(f"VENUE_BALANCES#{venue_id}", VENUE_LIST_SHARDS)


def refund(order_id: str, refund_id: str) -> Key:
    return {"PK": f"ORDER#{order_id}", "SK": f"REFUND#{refund_id}"}


def refund_request(order_id: str, request_hash: str) -> Key:
    """Claims one refund request (a client's Idempotency-Key, a cancellation) for one refund."""
    return {"PK": f"ORDER#{order_id}", "SK": f"REFUND_REQUEST#{request_hash}"}


REFUNDS_UNSENT = "REFUNDS#unsent"  # GSI3PK of refunds not yet accepted by Stripe (GSI3SK: at#id)


def dispute(order_id: str, dispute_id: str) -> Key:
    return {"PK": f"ORDER#{order_id}", "SK": f"DISPUTE#{dispute_id}"}


def paid_order_of_event(event_id: str, order_id: str) -> Key:
    """Marks a paid order of an event: what cancelling the event refunds, in a stable order
    (by id, merged over ``paid_order_lists(event_id)``). Written once, in the transaction
    that issues the order (which the order's own state guards), and never looked up by its
    key, so the shard is taken in turn per event when it is written: a container's
    payments of one event cover every shard before any takes two (the order number's
    sequence, used before, put 2 of an event's ~30 payments on one shard of 32 in the
    bench)."""
    prefix = f"EVENT_ORDERS#{event_id}"
    return {
        "PK": f"{prefix}#{write_shard(EVENT_ORDER_SHARDS, prefix):02d}",
        "SK": f"ORDER#{order_id}",
    }


def paid_order_lists(event_id: str) -> tuple[str, ...]:
    return _every_shard(f"EVENT_ORDERS#{event_id}", EVENT_ORDER_SHARDS)


def settlement(event_id: str) -> Key:
    """When an event's proceeds become available, and whether they have (RULES §10)."""
    return {"PK": f"EVENT#{event_id}", "SK": "SETTLEMENT"}


SETTLEMENTS_DUE = "SETTLEMENTS#due"  # GSI4PK of unsettled events (GSI4SK: settles_at#event)


def cancellation_refunds(event_id: str) -> Key:
    """Progress of refunding a cancelled event's orders."""
    return {"PK": f"EVENT#{event_id}", "SK": "CANCELLATION_REFUNDS"}


def payout(venue_id: str, payout_id: str) -> Key:
    return {"PK": f"VENUE#{venue_id}", "SK": f"PAYOUT#{payout_id}"}


def payout_day(venue_id: str, day: str, currency: str) -> Key:
    """The sum of a venue's payouts in one currency on one UTC day (RULES §10 daily
    limit: amounts are per currency)."""
    return {"PK": f"VENUE#{venue_id}", "SK": f"PAYOUT_DAY#{day}#{currency}"}


def payee_partition(kind: str, payee_id: str) -> str:
    """The partition a payee's payouts, day sums and payout account live in: a venue's
    (``VENUE#``) or a resale seller's (``USER#``)."""
    return f"VENUE#{payee_id}" if kind == "venue" else f"USER#{payee_id}"


def payee_payout(kind: str, payee_id: str, payout_id: str) -> Key:
    return {"PK": payee_partition(kind, payee_id), "SK": f"PAYOUT#{payout_id}"}


def payee_payout_day(kind: str, payee_id: str, day: str, currency: str) -> Key:
    return {"PK": payee_partition(kind, payee_id), "SK": f"PAYOUT_DAY#{day}#{currency}"}


def payout_account(kind: str, payee_id: str) -> Key:
    return {"PK": payee_partition(kind, payee_id), "SK": "PAYOUT_ACCOUNT"}


def registration_link(order_id: str) -> Key:
    """Which version of an order's registration link is the live one (absent: the first)."""
    return {"PK": f"ORDER#{order_id}", "SK": "REGISTRATION_LINK"}
