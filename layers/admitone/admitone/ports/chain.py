"""The EVM chain the tickets' NFTs live on, through the platform's (minter's) key.

Transactions are prepared (estimated, capped, signed: their hash is known) apart from being
sent, so that a caller can record a transaction before the chain sees it and, after a
crash, ask the chain what became of it by hash, by token or by nonce. The chain being
unreachable is ``DependencyUnavailable``; a transaction the contract would revert, or whose
gas is over the cap, is ``ChainRejected`` when prepared; a base fee over the fee cap is
``GasPriceOverCap``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence

from admitone.domain.nft import (
    ChainReceipt,
    MintRecord,
    Nonces,
    SignedTransaction,
    TokenMint,
    UnminedTransaction,
)


class Chain(ABC):
    @property
    @abstractmethod
    def chain_id(self) -> int: ...

    @property
    @abstractmethod
    def contract_address(self) -> str: ...

    @property
    @abstractmethod
    def minter_address(self) -> str: ...

    @abstractmethod
    def holder_address(self, holder_id: str) -> str:
        """The holder's custodial address: derived from the platform's custody key and the
        holder's id (the same on every call and in every container); its key never
        leaves the adapter."""

    @abstractmethod
    def owner_of(self, token_id: int) -> str | None:
        """The token's holder, or None when it does not exist (never minted, or burned)."""

    @abstractmethod
    def nonces(self) -> Nonces:
        """The minter's transaction counts (mined; mined or pending)."""

    @abstractmethod
    def prepare_mint_batch(
        self, mints: Sequence[TokenMint], *, nonce: int | None = None
    ) -> SignedTransaction:
        """One transaction minting each token to its holder (1 to ``MAX_MINT_BATCH``), at
        ``nonce`` (default: the minter's next pending nonce)."""

    @abstractmethod
    def prepare_transfer(
        self, token_id: int, *, sender: str, receiver: str, nonce: int | None = None
    ) -> SignedTransaction:
        """``safeTransferFrom`` of the token from ``sender`` to ``receiver``, by the minter
        as the custodian of both addresses."""

    @abstractmethod
    def prepare_burn(self, token_id: int, *, nonce: int | None = None) -> SignedTransaction: ...

    @abstractmethod
    def prepare_replacement(
        self, stuck: SignedTransaction | UnminedTransaction
    ) -> SignedTransaction:
        """The same call at the same nonce with fees raised enough for the pool to take it
        in place of ``stuck`` (raises ``GasPriceOverCap`` past the cap)."""

    @abstractmethod
    def send(self, transaction: SignedTransaction) -> None:
        """Hand the transaction to the chain. Sending one the chain already has (in its
        pool or mined) is not an error."""

    @abstractmethod
    def receipt(self, tx_hash: str) -> ChainReceipt | None:
        """The transaction's receipt, or None while it is not mined (or unknown)."""

    @abstractmethod
    def unmined(self, tx_hash: str) -> UnminedTransaction | None:
        """The transaction while the chain holds it unmined; None once it is mined, or when
        the chain does not know it (never sent, dropped from the pool, or replaced)."""

    @abstractmethod
    def find_mint(self, token_id: int) -> MintRecord | None:
        """The transaction that minted the token, or None when it never was."""
