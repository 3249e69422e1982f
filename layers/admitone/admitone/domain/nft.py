"""NFT tickets on an EVM chain (SPEC §11, RULES §17): which token a ticket is, and the
transactions, receipts and nonces the chain answers in.

Contract:
- A ticket's token id MUST be its id's 128-bit ULID as an integer (``token_id_for``): fixed
  by the ticket, so minting it again reverts on the contract instead of minting twice.
- One transaction MUST mint at most ``MAX_MINT_BATCH`` tokens (the contract enforces it).
- A transaction is signed before it is sent, so its hash is known, and MAY be recorded,
  before the chain sees it.
"""

from __future__ import annotations

from dataclasses import dataclass

from admitone.domain.errors import DomainError
from admitone.domain.ids import Prefix, id_to_bytes

# RULES §17: at most 100 tokens per transaction on an EVM chain (polygon).
MAX_MINT_BATCH = 100


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
