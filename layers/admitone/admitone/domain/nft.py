"""NFT tickets on an EVM chain (SPEC §11, RULES §17): which token a ticket is, and the
transactions, receipts and nonces the chain answers in.

Contract:
- A ticket's token id MUST be its id's 128-bit ULID as an integer (``token_id_for``): fixed
  by the ticket, so minting it again reverts on the contract instead of minting twice.
- One transaction MUST mint at most ``MAX_MINT_BATCH`` tokens (the contract enforces it).
- A transaction is signed before it is sent, so its hash is known, and MAY be recorded,
  before the chain sees it.
- A ticket's mint has a priority fixed when it is queued, by the time left before its event
  starts (``mint_priority``): ``urgent`` under 24 h, ``high`` under 7 days, else
  ``standard``; the tickets of one delivery are minted urgent first.
- A valid ticket of an NFT-enabled event with no mint record yet is ``queued``
  (``mint_standing``): its order's ``order.paid`` is on its way to the worker, which
  records the mint when it takes it up.
- A ticket's mint goes ``queued`` -> ``minting`` (a transaction sent, its hash and nonce
  recorded first) -> ``minted`` (chain, contract, token id, tx hash) | ``failed`` (with a
  reason, after ``MAX_MINT_ATTEMPTS`` attempts). ``minted`` and ``failed`` end minting.
- A transaction still unmined ``replace_after`` it was recorded is replaced at its nonce
  with fees raised enough for the pool to take it (``replaced``): not another attempt, the
  same one outbidding itself. Only one of the two can be mined (one nonce), and the
  token's mint is recognised by whichever was. A replacement the fee cap stops is an
  attempt spent (``attempt_refused``). Custody moves are replaced and counted the same
  way as mints (``in_flight``, ``attempts_made``).
- A minted token follows its ticket: held by the custodial address of the ticket's holder
  (``safeTransferFrom`` after a transfer), ``burned`` once the ticket is void. A custody
  transaction is recorded (``move_tx_hash``) before it is sent, like a mint, and counted
  in ``move_attempts`` (the record's ``attempts`` stay the mint's): after
  ``MAX_MINT_ATTEMPTS`` the record is ``failed`` with the reason, the token left where the
  chain has it for an operator.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from admitone.domain.errors import DomainError
from admitone.domain.ids import Prefix, id_to_bytes
from admitone.domain.tickets import Ticket, TicketStatus

# RULES §17: at most 100 tokens per transaction on an EVM chain (polygon).
MAX_MINT_BATCH = 100
# RULES §17: 3 attempts, backoff from 5 s doubling.
MAX_MINT_ATTEMPTS = 3
FIRST_RETRY_DELAY = timedelta(seconds=5)
REASON_MAX_LENGTH = 300


class MintState(StrEnum):
    QUEUED = "queued"
    MINTING = "minting"
    MINTED = "minted"
    FAILED = "failed"
    # The ticket was voided (refunded, charged back, its event cancelled) after its NFT
    # was minted: the token is burned and exists no more.
    BURNED = "burned"


FINAL_STATES = frozenset({MintState.MINTED, MintState.FAILED, MintState.BURNED})


class MintPriority(StrEnum):
    URGENT = "urgent"
    HIGH = "high"
    STANDARD = "standard"


# A ticket whose event is about to start is the one a holder may look for at the door
# or want to resell now; one months away can wait for a quieter batch.
URGENT_BEFORE_START = timedelta(hours=24)
HIGH_BEFORE_START = timedelta(days=7)
PRIORITY_RANK = {MintPriority.URGENT: 0, MintPriority.HIGH: 1, MintPriority.STANDARD: 2}


def mint_priority(starts_at: datetime, *, now: datetime) -> MintPriority:
    """RULES §17's priority of a ticket's mint, by the time left before its event starts
    (an event already started is urgent)."""
    left = starts_at - now
    if left < URGENT_BEFORE_START:
        return MintPriority.URGENT
    if left < HIGH_BEFORE_START:
        return MintPriority.HIGH
    return MintPriority.STANDARD


@dataclass(frozen=True)
class MintTerms:
    """What minting needs to know of an event: whether its tickets are NFTs, and when it
    starts (their priority)."""

    nft_enabled: bool
    starts_at: datetime


@dataclass(frozen=True)
class TicketMint:
    """A ticket's NFT: where it is minted, to whom, and how far minting it has come."""

    ticket_id: str
    order_id: str
    event_id: str
    chain: str
    contract: str
    token_id: int
    holder_address: str
    state: MintState
    updated_at: datetime
    priority: MintPriority = MintPriority.STANDARD
    attempts: int = 0
    tx_hash: str | None = None
    nonce: int | None = None
    block_number: int | None = None
    reason: str | None = None
    # A custody transaction (transfer or burn) sent and not yet recorded as done.
    move_tx_hash: str | None = None
    # Attempts at the custody move under way (0 once the token is where its ticket is).
    move_attempts: int = 0

    @property
    def final(self) -> bool:
        return self.state in FINAL_STATES

    @property
    def custody(self) -> bool:
        """Its transactions now move the minted token (transfers, burns), not mint it."""
        return self.state is MintState.MINTED

    @property
    def attempts_made(self) -> int:
        """The attempts of what is under way: the mint, or once minted the custody move."""
        return self.move_attempts if self.custody else self.attempts

    @property
    def in_flight(self) -> str | None:
        """The hash of the transaction under way: the mint's, or the custody move's."""
        return self.move_tx_hash if self.custody else self.tx_hash


@dataclass(frozen=True)
class AwaitedMint:
    """A ticket's NFT before the worker has taken it up: ``queued``. Its token id is fixed
    by the ticket; its chain, contract, holder address and priority are recorded when the
    worker takes it up."""

    ticket_id: str
    token_id: int
    since: datetime
    state: MintState = MintState.QUEUED


def mint_standing(
    ticket: Ticket, record: TicketMint | None, *, nft_enabled: bool
) -> TicketMint | AwaitedMint | None:
    """How far the ticket's NFT has come: its mint record once the worker has one, else
    ``queued`` for a valid ticket of an NFT-enabled event (the worker mints exactly those),
    else None (no NFT)."""
    if record is not None:
        return record
    if nft_enabled and ticket.status is TicketStatus.VALID:
        return AwaitedMint(ticket.id, token_id_for(ticket.id), since=ticket.issued_at)
    return None


def retry_delay(attempts: int) -> timedelta:
    """How long to wait before attempt ``attempts + 1`` (5 s, then 10 s, ...)."""
    return FIRST_RETRY_DELAY * (1 << max(attempts - 1, 0))


def sending(mint: TicketMint, transaction: SignedTransaction, *, now: datetime) -> TicketMint:
    """One more attempt: ``transaction`` mints the token and is about to be sent."""
    return replace(
        mint,
        state=MintState.MINTING,
        attempts=mint.attempts + 1,
        tx_hash=transaction.tx_hash,
        nonce=transaction.nonce,
        reason=None,
        updated_at=now,
    )


def replaced(mint: TicketMint, replacement: SignedTransaction, *, now: datetime) -> TicketMint:
    """``replacement`` takes the nonce of the stuck transaction under way (the mint's, or the
    custody move's) and is about to be sent (the attempt is the same one: its count stays)."""
    if mint.custody:
        return replace(mint, move_tx_hash=replacement.tx_hash, updated_at=now)
    return replace(mint, tx_hash=replacement.tx_hash, nonce=replacement.nonce, updated_at=now)


def attempt_refused(mint: TicketMint, reason: str, *, now: datetime) -> TicketMint:
    """One attempt spent without a transaction going out (the chain would refuse it, or
    the fee cap stops its replacement): counted against the mint, or once minted against
    the custody move; the transaction under way, if any, stays recorded."""
    if mint.custody:
        counted = replace(mint, move_attempts=mint.move_attempts + 1)
    else:
        counted = replace(mint, attempts=mint.attempts + 1)
    return replace(counted, reason=reason[:REASON_MAX_LENGTH], updated_at=now)


def minted(mint: TicketMint, *, tx_hash: str, block_number: int, now: datetime) -> TicketMint:
    """The chain minted the token in ``tx_hash`` (whichever attempt sent it)."""
    return replace(
        mint,
        state=MintState.MINTED,
        tx_hash=tx_hash,
        block_number=block_number,
        reason=None,
        updated_at=now,
    )


def failed(mint: TicketMint, reason: str, *, now: datetime) -> TicketMint:
    """Given up on: ``reason`` says why (shortened), for an operator to act on."""
    return replace(mint, state=MintState.FAILED, reason=reason[:REASON_MAX_LENGTH], updated_at=now)


def moving(mint: TicketMint, transaction: SignedTransaction, *, now: datetime) -> TicketMint:
    """One more attempt: ``transaction`` moves (or burns) the minted token and is about to
    be sent."""
    return replace(
        mint,
        move_tx_hash=transaction.tx_hash,
        move_attempts=mint.move_attempts + 1,
        reason=None,
        updated_at=now,
    )


def followed(mint: TicketMint, holder_address: str | None, *, now: datetime) -> TicketMint:
    """The token is where its ticket says: held by ``holder_address``, or burned (None)."""
    done = replace(mint, move_tx_hash=None, move_attempts=0, reason=None, updated_at=now)
    if holder_address is None:
        return replace(done, state=MintState.BURNED)
    return replace(done, holder_address=holder_address)


def token_id_for(ticket_id: str) -> int:
    """The token id of a ticket (raises ``InvalidId`` for anything but a ticket id)."""
    return int.from_bytes(id_to_bytes(ticket_id, Prefix.TICKET))


@dataclass(frozen=True)
class TokenMint:
    """Mint ``token_id`` to ``holder`` (a 0x address)."""

    token_id: int
    holder: str


@dataclass(frozen=True)
class SignedTransaction:
    """A transaction signed by the platform's key and not yet known to be mined. Its hash
    is final: a replacement at the same nonce is another transaction with another hash."""

    tx_hash: str
    nonce: int
    raw: bytes
    to: str
    data: str
    gas: int
    max_fee_per_gas: int
    max_priority_fee_per_gas: int


@dataclass(frozen=True)
class UnminedTransaction:
    """A transaction the chain holds but has not mined (in its pool): what a replacement at
    its nonce must outbid."""

    tx_hash: str
    nonce: int
    to: str
    data: str
    gas: int
    max_fee_per_gas: int
    max_priority_fee_per_gas: int


@dataclass(frozen=True)
class ChainReceipt:
    """A mined transaction: ``succeeded`` False means it reverted (and still used its nonce)."""

    tx_hash: str
    succeeded: bool
    block_number: int
    gas_used: int
    effective_gas_price: int


@dataclass(frozen=True)
class Nonces:
    """The platform key's transaction counts: mined, and mined or waiting in the pool."""

    confirmed: int
    pending: int


@dataclass(frozen=True)
class MintRecord:
    """Where the chain says a token was minted (its Transfer from the zero address)."""

    token_id: int
    holder: str
    tx_hash: str
    block_number: int


class ChainRejected(DomainError):
    """The chain would refuse the transaction (the contract reverts, or its gas is over the
    cap): sending it again as it is cannot succeed."""

    code = "CHAIN_REJECTED"
    title = "The chain refused the transaction"


class GasPriceOverCap(DomainError):
    """The chain's base fee is above what the platform pays per gas: try again later."""

    code = "GAS_PRICE_OVER_CAP"
    title = "Gas is too expensive right now"
