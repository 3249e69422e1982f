"""Minting tickets' NFTs (SPEC §11, RULES §17) from ``order.paid``, exactly once per ticket
however often the queue delivers the event.

For each ticket of an NFT-enabled event a mint record is created ``queued`` (once: a
conditional create) with its priority. Then the tickets of every order in the delivery,
urgent first, are cut into batches of at most ``MAX_MINT_BATCH`` tokens: per batch one transaction
is prepared (signed, so its hash is known) and every ticket in it is recorded ``minting``
with that hash and nonce **before** it is sent; once its receipt shows it mined, each
ticket is recorded ``minted`` together with its ``ticket.minted`` outbox item.

A worker that dies between sending and recording leaves ``minting`` records naming the
transaction: the next delivery asks the chain for that receipt, or for the token's mint
(its Transfer from the zero address, whichever transaction made it), and records what
the chain says. It cannot mint twice: a ticket's token id is fixed by the ticket and the
contract refuses an id minted before. An attempt that cannot finish (not mined within the
wait, the chain unavailable, a revert) hands the message back to the queue with a backoff
from 5 s doubling; after ``MAX_MINT_ATTEMPTS`` sends the tickets are ``failed`` with the
reason, and the message goes on to the dead-letter queue for an operator.

A transaction the chain still holds unmined, a mint or a custody move alike, is not sent
again beside itself (a second transaction at the next nonce would wait behind it): the
tickets wait for it, and once it is ``replace_after`` old it is replaced at its own nonce
with fees raised past what the pool requires (capped), recorded before it is sent
(``_outbid``, one path for both). One nonce mines one of the two, and the receipts of both
(later, the token's mint or owner) say which. A replacement the fee cap stops counts as an
attempt; the last of ``MAX_MINT_ATTEMPTS`` fails the tickets with the reason and sends the
message on to the dead-letter queue.

A minted token follows its ticket (``ticket.transferred``, ``order.refunded``,
``order.charged_back``): the worker reads the ticket as it is now, not the event, so
events arriving out of order still end with the token held by the custodial address of
the ticket's current holder, or burned once the ticket is void. The custody transaction
is recorded before it is sent; after a crash the token's owner on the chain (or that
transaction's receipt) says whether it happened, and one the chain never saw (the worker
died between recording and sending it) is sent anew: a transfer from an owner who no
longer holds the token, or a burn of a burned one, reverts, so the token moves once. A
custody move has 3 attempts of its own (``move_attempts``), then the record is
``failed``. A token still being minted is followed on a later attempt.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from admitone.domain.errors import Conflict, DependencyUnavailable
from admitone.domain.events import (
    OrderChargedBack,
    OrderPaid,
    OrderRefunded,
    TicketMinted,
    TicketTransferred,
)
from admitone.domain.nft import (
    FIRST_RETRY_DELAY,
    MAX_MINT_ATTEMPTS,
    MAX_MINT_BATCH,
    PRIORITY_RANK,
    ChainReceipt,
    ChainRejected,
    GasPriceOverCap,
    MintPriority,
    MintState,
    TicketMint,
    TokenMint,
    UnminedTransaction,
    attempt_refused,
    failed,
    followed,
    mint_priority,
    minted,
    moving,
    replaced,
    retry_delay,
    sending,
    token_id_for,
)
from admitone.domain.tickets import Ticket, TicketStatus
from admitone.observability import logger
from admitone.ports.chain import Chain
from admitone.ports.mints import EventMintTerms
from admitone.ports.queues import Queues
from admitone.ports.store import Store

RECEIPT_POLL_SECONDS = 0.25


class MintGivenUp(Exception):
    """The attempts at these tickets' transactions are spent: they are ``failed`` now."""

    def __init__(self, ticket_ids: list[str]) -> None:
        super().__init__(", ".join(ticket_ids))
        self.ticket_ids = ticket_ids


class MintPending(Exception):
    """Some tickets are not minted yet and are worth another attempt after ``retry_in``."""

    def __init__(self, reason: str, retry_in: timedelta) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_in = retry_in


@dataclass(frozen=True)
class Delivery:
    """One message of the mint queue, as the queue delivered it (to hand back for a later
    attempt by its receipt handle)."""

    message_id: str
    body: str
    queue_arn: str
    receipt_handle: str


@dataclass
class MintOutcome:
    minted: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    # Failed in this run (their last attempt was spent): their messages go to the DLQ.
    gave_up: list[str] = field(default_factory=list)
    # Messages that come back later (after their backoff): the run reports them failed.
    retried: list[str] = field(default_factory=list)
    # Messages that mint nothing (another event type, an event without NFTs).
    skipped: list[str] = field(default_factory=list)
    # Tickets whose tokens were brought where the ticket is (moved, burned, or already there).
    followed: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Minting:
    """What minting needs besides the messages: the store, the events' terms, the chain
    and the clock."""

    store: Store
    events: EventMintTerms
    chain: Chain
    chain_name: str
    receipt_wait: timedelta
    # A transaction unmined this long after it was recorded is replaced with a higher fee.
    replace_after: timedelta
    now: Callable[[], datetime] = lambda: datetime.now(UTC)
    sleep: Callable[[float], None] = time.sleep


@dataclass(frozen=True)
class _Wanted:
    delivery: Delivery
    order: OrderPaid
    priority: MintPriority


def mint_deliveries(
    deliveries: Sequence[Delivery], minting: Minting, queues: Queues
) -> MintOutcome:
    """One delivery of the mint queue (bus events): every ticket of the NFT-enabled paid
    orders minted in as few transactions as ``MAX_MINT_BATCH`` allows, urgent tickets
    first, then the tokens of transferred or voided tickets followed. A message with a
    ticket still pending comes back after its backoff; one with a ticket given up on goes
    to the dead-letter queue."""
    outcome = MintOutcome()
    wanted: list[_Wanted] = []
    to_follow: list[tuple[Delivery, list[str]]] = []
    for delivery in deliveries:
        try:
            bus_event = json.loads(delivery.body)
            kind, data = bus_event.get("detail-type"), bus_event["detail"]["data"]
            if kind in CUSTODY_EVENTS:
                to_follow.append((delivery, _tickets_to_follow(kind, data, minting.store)))
                continue
            if kind != "order.paid":
                outcome.skipped.append(delivery.message_id)
                continue
            order = OrderPaid.model_validate(data)
        except (ValueError, KeyError, TypeError):
            # Not an event this worker can read: the queue's redrive dead-letters it.
            logger.error("unreadable mint message", extra={"message_id": delivery.message_id})
            outcome.retried.append(delivery.message_id)
            continue
        terms = minting.events.of_event(order.event_id)
        if terms is None or not terms.nft_enabled:
            outcome.skipped.append(delivery.message_id)
            continue
        wanted.append(_Wanted(delivery, order, mint_priority(terms.starts_at, now=minting.now())))
    pending = _mint(wanted, minting, outcome)
    for want in wanted:
        waits = [pending[t] for t in want.order.ticket_ids if t in pending]
        if waits:
            retry_in = max(waits)
            queues.retry_message_in(want.delivery.queue_arn, want.delivery.receipt_handle, retry_in)
            outcome.retried.append(want.delivery.message_id)
        if any(t in outcome.gave_up for t in want.order.ticket_ids):
            queues.dead_letter_mint(want.delivery.body)
    # After the mints: a transfer delivered with its ticket's order.paid follows the token.
    _follow_deliveries(to_follow, minting, queues, outcome)
    return outcome


def _follow_deliveries(
    to_follow: Sequence[tuple[Delivery, list[str]]],
    minting: Minting,
    queues: Queues,
    outcome: MintOutcome,
) -> None:
    for delivery, ticket_ids in to_follow:
        waits, gave_up = [], []
        for ticket_id in ticket_ids:
            try:
                _follow(ticket_id, minting)
            except MintPending as later:
                logger.warning("NFT custody pending", extra={"reason": later.reason})
                waits.append(later.retry_in)
            except MintGivenUp as spent:
                gave_up += spent.ticket_ids
            except DependencyUnavailable as unavailable:  # the chain: the others may still move
                logger.warning("NFT custody pending", extra={"reason": unavailable.detail})
                waits.append(FIRST_RETRY_DELAY)
        if waits:
            queues.retry_message_in(delivery.queue_arn, delivery.receipt_handle, max(waits))
            outcome.retried.append(delivery.message_id)
        if gave_up:
            outcome.gave_up += gave_up
            outcome.failed += gave_up
            queues.dead_letter_mint(delivery.body)
        if not waits and not gave_up:
            outcome.followed += ticket_ids


CUSTODY_EVENTS = frozenset({"ticket.transferred", "order.refunded", "order.charged_back"})


def _tickets_to_follow(kind: str, data: dict[str, Any], store: Store) -> list[str]:
    """The tickets whose tokens a custody event may have moved on."""
    if kind == "ticket.transferred":
        return [TicketTransferred.model_validate(data).ticket_id]
    if kind == "order.charged_back":
        return OrderChargedBack.model_validate(data).void_ticket_ids
    # A refund does not name its tickets: those of the order that are void now.
    order = store.orders.get(OrderRefunded.model_validate(data).order_id)
    return list(order.ticket_ids) if order else []


def _follow(ticket_id: str, minting: Minting) -> None:
    """Bring the ticket's token where the ticket is now (see the module docstring); raises
    ``MintPending`` when that has to wait for a later attempt."""
    store, chain = minting.store, minting.chain
    record, ticket = store.mints.get(ticket_id), store.tickets.get(ticket_id)
    if record is None or ticket is None or record.state in (MintState.FAILED, MintState.BURNED):
        return  # nothing on the chain to move: a mint queued later mints to the holder
    target = None if ticket.status is TicketStatus.VOID else chain.holder_address(ticket.holder_id)
    if record.state is MintState.QUEUED:
        if target is None:
            change = failed(
                record, "the ticket was voided before its NFT was minted", now=minting.now()
            )
        else:
            change = replace(record, holder_address=target, updated_at=minting.now())
        _commit_or_retry(store, change, record)
        return
    if record.state is MintState.MINTING:
        raise MintPending("its NFT is still being minted", FIRST_RETRY_DELAY)
    if record.move_tx_hash is None and target is not None and record.holder_address == target:
        return
    _move(record, target, minting)


def _move(record: TicketMint, target: str | None, minting: Minting) -> None:
    """Move the minted token to ``target`` (burn it for None), once."""
    if record.move_tx_hash is not None:
        record = _awaited_move(record, record.move_tx_hash, minting)
    owner = minting.chain.owner_of(record.token_id)
    if owner == target:  # done (or done by a worker that died before recording it)
        _commit_or_retry(minting.store, followed(record, target, now=minting.now()), record)
        return
    if owner is None and target is not None:  # burned, yet its ticket is valid: an operator's case
        raise MintPending(f"token {record.token_id} was burned", FIRST_RETRY_DELAY)
    _send_move(record, owner, target, minting)


def _awaited_move(record: TicketMint, tx_hash: str, minting: Minting) -> TicketMint:
    """The record of a custody transaction sent earlier, once the chain has mined it or
    does not know it (never sent: a worker died between recording and sending it; or
    dropped from the pool): the token's owner then says what is left to do, and a move
    still needed is sent anew. While the chain holds it unmined it is waited for, and past
    ``replace_after`` outbid like a stuck mint (``_outbid``)."""
    chain = minting.chain
    if chain.receipt(tx_hash) is not None:
        return record
    stuck = chain.unmined(tx_hash)
    if stuck is None:
        logger.warning(
            "NFT custody transaction unknown to the chain: sent anew",
            extra={"ticket_id": record.ticket_id, "tx_hash": tx_hash},
        )
        return record
    (replacing,), _ = _outbid(stuck, [record], minting)
    return replacing


def _send_move(record: TicketMint, owner: str | None, target: str | None, minting: Minting) -> None:
    """One attempt at moving the token from ``owner`` to ``target`` (burning it for None):
    recorded before it is sent."""
    store, chain = minting.store, minting.chain
    if record.move_attempts >= MAX_MINT_ATTEMPTS:
        if _give_up([record], minting):
            raise MintGivenUp([record.ticket_id])
        raise MintPending("another delivery settled the move meanwhile", FIRST_RETRY_DELAY)
    retry_in = retry_delay(record.move_attempts + 1)
    try:
        if owner is None or target is None:
            signed = chain.prepare_burn(record.token_id)
        else:
            signed = chain.prepare_transfer(record.token_id, sender=owner, receiver=target)
    except (ChainRejected, GasPriceOverCap) as refused:
        _note_failure([record], refused.detail, minting)
        raise MintPending(refused.detail, retry_in) from refused
    except DependencyUnavailable as lost:
        raise MintPending(lost.detail, FIRST_RETRY_DELAY) from lost
    in_flight = moving(record, signed, now=minting.now())
    _commit_or_retry(store, in_flight, record)
    try:
        chain.send(signed)
        receipt = _await_receipt(signed.tx_hash, minting)
    except (ChainRejected, DependencyUnavailable) as lost:
        raise MintPending(lost.detail, retry_in) from lost
    if receipt is None or not receipt.succeeded:
        raise MintPending(f"{signed.tx_hash} did not move the token", retry_in)
    _commit_or_retry(store, followed(in_flight, target, now=minting.now()), in_flight)
    logger.info(
        "NFT followed its ticket", extra={"ticket_id": record.ticket_id, "tx_hash": signed.tx_hash}
    )


def _commit_or_retry(store: Store, change: TicketMint, as_read: TicketMint) -> None:
    try:
        _commit(store, [(change, as_read)])
    except Conflict:
        raise MintPending(
            "another delivery changed the mint meanwhile", FIRST_RETRY_DELAY
        ) from None


def _mint(
    wanted: Sequence[_Wanted], minting: Minting, outcome: MintOutcome
) -> dict[str, timedelta]:
    """Mint the orders' tickets (see the module docstring); the tickets still on their way,
    with the backoff before their next attempt."""
    records: list[TicketMint] = []
    seen: set[str] = set()  # an order delivered twice in one batch is minted once
    for want in sorted(wanted, key=lambda w: PRIORITY_RANK[w.priority]):
        tickets = [
            ticket
            for ticket in (minting.store.tickets.get(t) for t in want.order.ticket_ids)
            if ticket is not None and ticket.status is TicketStatus.VALID and ticket.id not in seen
        ]
        seen.update(t.id for t in tickets)
        records += _queued(tickets, want.priority, minting)
    outcome.minted += [m.ticket_id for m in records if m.state is MintState.MINTED]
    outcome.failed += [m.ticket_id for m in records if m.state is MintState.FAILED]
    receipts: dict[str, ChainReceipt | None] = {}
    pending: dict[str, timedelta] = {}
    open_records = []
    for record in (m for m in records if not m.final):
        try:
            open_records.append(_settled(record, minting, receipts))
        except DependencyUnavailable as lost:
            # Only this ticket's message comes back; the others of the delivery go on.
            logger.warning(
                "NFT mint pending", extra={"ticket_id": record.ticket_id, "reason": lost.detail}
            )
            pending[record.ticket_id] = FIRST_RETRY_DELAY
    outcome.minted += [m.ticket_id for m in open_records if m.state is MintState.MINTED]
    unsent = _unstick([m for m in open_records if not m.final], minting, outcome, pending)
    # Stable: urgent tickets first, each priority in the order its messages came.
    to_mint = sorted(unsent, key=lambda m: PRIORITY_RANK[m.priority])
    for start in range(0, len(to_mint), MAX_MINT_BATCH):
        batch = to_mint[start : start + MAX_MINT_BATCH]
        outcome.gave_up += _give_up(batch, minting)
        attempted = [m for m in batch if m.attempts < MAX_MINT_ATTEMPTS]
        try:
            outcome.minted += _mint_batch(attempted, minting)
        except MintPending as later:
            logger.warning("NFT mint pending", extra={"reason": later.reason})
            pending.update((m.ticket_id, later.retry_in) for m in attempted)
    outcome.failed += outcome.gave_up
    return pending


def _queued(
    tickets: Sequence[Ticket], priority: MintPriority, minting: Minting
) -> list[TicketMint]:
    """Every ticket's mint record, created ``queued`` where there is none yet."""
    existing = {m.ticket_id: m for m in minting.store.mints.of_tickets([t.id for t in tickets])}
    records: list[TicketMint] = []
    for ticket in tickets:
        record = existing.get(ticket.id)
        if record is None:
            record = TicketMint(
                ticket_id=ticket.id,
                order_id=ticket.order_id,
                event_id=ticket.event_id,
                chain=minting.chain_name,
                contract=minting.chain.contract_address,
                token_id=token_id_for(ticket.id),
                holder_address=minting.chain.holder_address(ticket.holder_id),
                state=MintState.QUEUED,
                priority=priority,
                updated_at=minting.now(),
            )
            try:
                _commit(minting.store, [(record, None)])
            except Conflict:  # another delivery created it first: take theirs
                record = minting.store.mints.get(ticket.id) or record
        records.append(record)
    return records


def _settled(
    record: TicketMint, minting: Minting, receipts: dict[str, ChainReceipt | None]
) -> TicketMint:
    """A ``minting`` record as the chain has it now: ``minted`` if its transaction (or any
    other) minted the token, else unchanged."""
    if record.state is not MintState.MINTING:
        return record
    chain = minting.chain
    receipt = None
    if record.tx_hash:
        # One batch's tickets share their transaction: ask the chain once.
        if record.tx_hash not in receipts:
            receipts[record.tx_hash] = chain.receipt(record.tx_hash)
        receipt = receipts[record.tx_hash]
    if receipt is not None and receipt.succeeded:
        return _record_minted(record, receipt.tx_hash, receipt.block_number, minting)
    found = chain.find_mint(record.token_id)
    if found is not None:
        return _record_minted(record, found.tx_hash, found.block_number, minting)
    return record


def _unstick(
    records: Sequence[TicketMint],
    minting: Minting,
    outcome: MintOutcome,
    pending: dict[str, timedelta],
) -> list[TicketMint]:
    """Tickets whose transaction the chain still holds unmined wait for it, or past
    ``replace_after`` have it replaced (adding them to ``pending`` while they are still on
    their way); the records to mint in a new transaction."""
    unsent: list[TicketMint] = []
    by_transaction: dict[str, list[TicketMint]] = {}
    for record in records:
        if record.state is MintState.MINTING and record.tx_hash:
            by_transaction.setdefault(record.tx_hash, []).append(record)
        else:
            unsent.append(record)
    for tx_hash, sent in by_transaction.items():
        try:
            stuck = minting.chain.unmined(tx_hash)
            if stuck is None:  # never reached the chain, dropped, or reverted: mint anew
                unsent += sent
                continue
            outcome.minted += _replace(stuck, sent, minting)
        except MintPending as later:
            logger.warning("NFT mint pending", extra={"reason": later.reason})
            pending.update((m.ticket_id, later.retry_in) for m in sent)
        except MintGivenUp as spent:
            outcome.gave_up += spent.ticket_ids
            pending.update(
                (t.ticket_id, minting.replace_after)
                for t in sent
                if t.ticket_id not in spent.ticket_ids
            )
        except DependencyUnavailable as lost:
            logger.warning("NFT mint pending", extra={"reason": lost.detail})
            pending.update((m.ticket_id, FIRST_RETRY_DELAY) for m in sent)
    return unsent


def _replace(stuck: UnminedTransaction, sent: Sequence[TicketMint], minting: Minting) -> list[str]:
    """The mint transaction ``stuck`` outbid (``_outbid``); the ids minted."""
    in_flight, receipt = _outbid(stuck, sent, minting)
    if not receipt.succeeded:
        raise MintPending(f"{receipt.tx_hash} reverted", FIRST_RETRY_DELAY)
    return [
        _record_minted(m, receipt.tx_hash, receipt.block_number, minting).ticket_id
        for m in in_flight
    ]


def _outbid(
    stuck: UnminedTransaction, sent: Sequence[TicketMint], minting: Minting
) -> tuple[list[TicketMint], ChainReceipt]:
    """Once ``stuck`` (the transaction under way for ``sent``: a batch mint, or a custody
    move) has waited ``replace_after``, replace it at its nonce with higher fees, recorded
    before it is sent; the records naming the replacement and the receipt of whichever of
    the two the chain mined. Raises ``MintPending`` while neither is mined; a replacement
    the fee cap stops is an attempt spent, and the last one raises ``MintGivenUp``."""
    waited = minting.now() - max(m.updated_at for m in sent)
    if waited < minting.replace_after:
        raise MintPending(f"{stuck.tx_hash} is not mined yet", minting.replace_after - waited)
    chain = minting.chain
    try:
        replacement = chain.prepare_replacement(stuck)
    except GasPriceOverCap as refused:
        gave_up = _give_up(_note_failure(sent, refused.detail, minting), minting)
        if gave_up:
            raise MintGivenUp(gave_up) from refused
        raise MintPending(refused.detail, minting.replace_after) from refused
    in_flight = [replaced(m, replacement, now=minting.now()) for m in sent]
    try:
        _commit(minting.store, list(zip(in_flight, sent, strict=True)))
    except Conflict:
        replacing = "another delivery is replacing the transaction"
        raise MintPending(replacing, FIRST_RETRY_DELAY) from None
    logger.warning(
        "stuck NFT transaction replaced",
        extra={"tx_hash": stuck.tx_hash, "replacement": replacement.tx_hash, "nonce": stuck.nonce},
    )
    try:
        chain.send(replacement)
        receipt = _await_receipt(replacement.tx_hash, minting)
    except ChainRejected:  # its nonce is taken: by the stuck transaction, mined meanwhile?
        receipt = None
    # One nonce: the stuck transaction may be the one the chain mined.
    receipt = receipt or chain.receipt(stuck.tx_hash)
    if receipt is None:
        raise MintPending(
            f"neither {stuck.tx_hash} nor its replacement {replacement.tx_hash} is mined yet",
            minting.replace_after,
        )
    return in_flight, receipt


def _give_up(batch: Sequence[TicketMint], minting: Minting) -> list[str]:
    """Record ``failed`` for the records whose attempts (at minting, or at the custody move
    under way) are spent; their ids."""
    given_up = []
    for record in batch:
        if record.attempts_made < MAX_MINT_ATTEMPTS:
            continue
        try:
            _commit(minting.store, [(failed(record, _gave_up(record), now=minting.now()), record)])
        except Conflict:  # another delivery settled it meanwhile
            continue
        logger.error("NFT mint failed for good", extra={"ticket_id": record.ticket_id})
        given_up.append(record.ticket_id)
    return given_up


def _mint_batch(batch: list[TicketMint], minting: Minting) -> list[str]:
    """Send one transaction minting ``batch`` and record the outcome; the ids minted."""
    if not batch:
        return []
    retry_in = retry_delay(max(m.attempts for m in batch) + 1)
    chain = minting.chain
    try:
        signed = chain.prepare_mint_batch([TokenMint(m.token_id, m.holder_address) for m in batch])
    except (ChainRejected, GasPriceOverCap, DependencyUnavailable) as refused:
        _note_failure(batch, refused.detail, minting)
        raise MintPending(refused.detail, retry_in) from refused
    in_flight = [sending(m, signed, now=minting.now()) for m in batch]
    try:
        _commit(minting.store, list(zip(in_flight, batch, strict=True)))
    except Conflict:
        raise MintPending("another delivery is minting these tickets", retry_in) from None
    try:
        chain.send(signed)
        receipt = _await_receipt(signed.tx_hash, minting)
    except (ChainRejected, DependencyUnavailable) as lost:
        raise MintPending(lost.detail, retry_in) from lost
    if receipt is None:
        raise MintPending(f"{signed.tx_hash} is not mined yet", retry_in)
    if not receipt.succeeded:
        raise MintPending(f"{signed.tx_hash} reverted", retry_in)
    return [
        _record_minted(m, receipt.tx_hash, receipt.block_number, minting).ticket_id
        for m in in_flight
    ]


def _await_receipt(tx_hash: str, minting: Minting) -> ChainReceipt | None:
    deadline = minting.now() + minting.receipt_wait
    while True:
        receipt = minting.chain.receipt(tx_hash)
        if receipt is not None or minting.now() >= deadline:
            return receipt
        minting.sleep(RECEIPT_POLL_SECONDS)


def _record_minted(record: TicketMint, tx_hash: str, block: int, minting: Minting) -> TicketMint:
    done = minted(record, tx_hash=tx_hash, block_number=block, now=minting.now())
    uow = minting.store.unit_of_work()
    uow.mints.record(done, as_read=record)
    uow.outbox.announce(
        "ticket.minted",
        TicketMinted(
            ticket_id=done.ticket_id,
            order_id=done.order_id,
            event_id=done.event_id,
            chain=done.chain,
            contract=done.contract,
            token_id=str(done.token_id),
            holder_address=done.holder_address,
            tx_hash=tx_hash,
        ),
        now=done.updated_at,
    )
    try:
        uow.commit()
    except Conflict:  # another delivery recorded it first
        return minting.store.mints.get(record.ticket_id) or done
    logger.info("NFT minted", extra={"ticket_id": done.ticket_id, "tx_hash": tx_hash})
    return done


def _note_failure(batch: Sequence[TicketMint], reason: str, minting: Minting) -> list[TicketMint]:
    """An attempt that could not even be sent still counts (RULES §17: 3 attempts), as does
    a replacement the fee cap stopped; the records as counted."""
    counted = []
    for record in batch:
        tried = attempt_refused(record, reason, now=minting.now())
        try:
            _commit(minting.store, [(tried, record)])
        except Conflict:  # another delivery moved it on meanwhile
            continue
        counted.append(tried)
    return counted


def _gave_up(record: TicketMint) -> str:
    done = "move" if record.custody else "mint"
    last = record.reason or f"transaction {record.in_flight} did not {done} the token"
    return f"{MAX_MINT_ATTEMPTS} attempts: {last}"


def _commit(store: Store, changes: Sequence[tuple[TicketMint, TicketMint | None]]) -> None:
    uow = store.unit_of_work()
    for record, as_read in changes:
        uow.mints.record(record, as_read=as_read)
    uow.commit()
