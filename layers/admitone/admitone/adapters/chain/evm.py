"""The chain port over Ethereum JSON-RPC with web3.py: Polygon PoS in production, the local
stack's chain locally, through the same code (an HTTP provider, the proof-of-authority
middleware Polygon's blocks need, transactions signed here with the minter's key).

web3 ships in the mint worker's own requirements, never in the layer: only a function that
composes this adapter imports it (an import-linter contract keeps it here).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

import requests
from eth_account import Account
from web3 import Web3
from web3.exceptions import ContractLogicError, TransactionNotFound, Web3RPCError
from web3.middleware import ExtraDataToPOAMiddleware

from admitone.domain.errors import DependencyUnavailable
from admitone.domain.nft import (
    MAX_MINT_BATCH,
    ChainReceipt,
    ChainRejected,
    GasPriceOverCap,
    MintRecord,
    Nonces,
    SignedTransaction,
    TokenMint,
    UnminedTransaction,
)
from admitone.ports.chain import Chain

ARTIFACT = Path(__file__).with_name("admitone_ticket.json")
ZERO_ADDRESS = "0x" + "00" * 20
# Estimates are exact for the state they ran on; the state a block later may cost more.
GAS_HEADROOM = 1.2
# A pool takes a replacement at the same nonce only with both fees raised by >= 10 %
# (geth, bor); 12.5 % leaves room for rounding.
REPLACEMENT_BUMP = 1.125
# Private keys are the integers 1 .. n-1 of secp256k1's group order n.
SECP256K1_ORDER = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141


@cache
def ticket_abi() -> list[dict[str, Any]]:
    abi: list[dict[str, Any]] = json.loads(ARTIFACT.read_text())["abi"]
    return abi


class EvmChain(Chain):
    def __init__(
        self,
        *,
        rpc_url: str,
        chain_id: int,
        contract_address: str,
        minter_key: str,
        custody_seed: bytes,
        max_gas: int,
        max_fee_per_gas: int,
        from_block: int = 0,
        timeout_seconds: float = 5,
    ) -> None:
        """``max_gas`` caps one transaction's gas, ``max_fee_per_gas`` (wei) what the
        platform pays per gas; ``from_block`` is where the contract was deployed (the
        earliest block its logs are searched from)."""
        self.w3 = Web3(Web3.HTTPProvider(rpc_url, request_kwargs={"timeout": timeout_seconds}))
        # Polygon PoS blocks carry validator signatures in extraData (97 bytes, not 32).
        self.w3.middleware_onion.inject(ExtraDataToPOAMiddleware, layer=0)
        self._chain_id = chain_id
        self._account = Account.from_key(minter_key)
        self._custody_seed = custody_seed
        self._holder_addresses: dict[str, str] = {}
        self._contract = self.w3.eth.contract(
            address=Web3.to_checksum_address(contract_address), abi=ticket_abi()
        )
        self._max_gas = max_gas
        self._max_fee_per_gas = max_fee_per_gas
        self._from_block = from_block

    @property
    def chain_id(self) -> int:
        return self._chain_id

    @property
    def contract_address(self) -> str:
        return str(self._contract.address)

    @property
    def minter_address(self) -> str:
        return str(self._account.address)

    def holder_address(self, holder_id: str) -> str:
        if holder_id not in self._holder_addresses:
            key = custodial_key(self._custody_seed, holder_id)
            self._holder_addresses[holder_id] = str(Account.from_key(key).address)
        return self._holder_addresses[holder_id]

    def owner_of(self, token_id: int) -> str | None:
        with _reaching_the_chain():
            if not self._contract.functions.exists(token_id).call():
                return None
            return str(self._contract.functions.ownerOf(token_id).call())

    def nonces(self) -> Nonces:
        with _reaching_the_chain():
            return Nonces(
                confirmed=self.w3.eth.get_transaction_count(self._account.address, "latest"),
                pending=self.w3.eth.get_transaction_count(self._account.address, "pending"),
            )

    def prepare_mint_batch(
        self, mints: Sequence[TokenMint], *, nonce: int | None = None
    ) -> SignedTransaction:
        if not 1 <= len(mints) <= MAX_MINT_BATCH:
            raise ValueError(f"a batch mints 1 to {MAX_MINT_BATCH} tokens, not {len(mints)}")
        call = self._contract.functions.mint_batch(
            [Web3.to_checksum_address(m.holder) for m in mints], [m.token_id for m in mints]
        )
        return self._prepare(call, nonce)

    def prepare_transfer(
        self, token_id: int, *, sender: str, receiver: str, nonce: int | None = None
    ) -> SignedTransaction:
        call = self._contract.functions.safeTransferFrom(
            Web3.to_checksum_address(sender), Web3.to_checksum_address(receiver), token_id
        )
        return self._prepare(call, nonce)

    def prepare_burn(self, token_id: int, *, nonce: int | None = None) -> SignedTransaction:
        return self._prepare(self._contract.functions.burn(token_id), nonce)

    def prepare_replacement(
        self, stuck: SignedTransaction | UnminedTransaction
    ) -> SignedTransaction:
        with _reaching_the_chain():
            base_fee, priority = self._market()
        priority = max(priority, math.ceil(stuck.max_priority_fee_per_gas * REPLACEMENT_BUMP))
        max_fee = max(2 * base_fee + priority, math.ceil(stuck.max_fee_per_gas * REPLACEMENT_BUMP))
        if max_fee > self._max_fee_per_gas:
            raise GasPriceOverCap(
                f"replacing nonce {stuck.nonce} needs {max_fee} wei per gas, "
                f"over the cap of {self._max_fee_per_gas}"
            )
        return self._sign(
            {"to": stuck.to, "data": stuck.data, "value": 0, "gas": stuck.gas},
            nonce=stuck.nonce,
            max_fee=max_fee,
            priority=priority,
        )

    def send(self, transaction: SignedTransaction) -> None:
        with _reaching_the_chain():
            try:
                self.w3.eth.send_raw_transaction(transaction.raw)
            except Web3RPCError as refused:
                if self._chain_has(transaction.tx_hash):
                    return
                message = _message(refused)
                if "nonce" in message.lower():
                    raise ChainRejected(
                        f"nonce {transaction.nonce} is taken by another transaction ({message})"
                    ) from None
                raise

    def receipt(self, tx_hash: str) -> ChainReceipt | None:
        with _reaching_the_chain():
            try:
                found = self.w3.eth.get_transaction_receipt(tx_hash)  # type: ignore[arg-type]
            except TransactionNotFound:
                return None
        return ChainReceipt(
            tx_hash=_hex(found["transactionHash"]),
            succeeded=found["status"] == 1,
            block_number=found["blockNumber"],
            gas_used=found["gasUsed"],
            effective_gas_price=found["effectiveGasPrice"],
        )

    def unmined(self, tx_hash: str) -> UnminedTransaction | None:
        with _reaching_the_chain():
            try:
                found = self.w3.eth.get_transaction(tx_hash)  # type: ignore[arg-type]
            except TransactionNotFound:
                return None
        if found.get("blockNumber") is not None:
            return None
        return UnminedTransaction(
            tx_hash=_hex(found["hash"]),
            nonce=found["nonce"],
            to=str(found["to"]),
            data=_hex(found["input"]),
            gas=found["gas"],
            max_fee_per_gas=found["maxFeePerGas"],
            max_priority_fee_per_gas=found["maxPriorityFeePerGas"],
        )

    def find_mint(self, token_id: int) -> MintRecord | None:
        with _reaching_the_chain():
            logs = self._contract.events.Transfer().get_logs(
                from_block=self._from_block,
                argument_filters={"sender": ZERO_ADDRESS, "token_id": token_id},
            )
        if not logs:
            return None
        minted = logs[0]
        return MintRecord(
            token_id=token_id,
            holder=str(minted["args"]["receiver"]),
            tx_hash=_hex(minted["transactionHash"]),
            block_number=minted["blockNumber"],
        )

    # ------------------------------------------------------------------ helpers
    def _prepare(self, call: Any, nonce: int | None) -> SignedTransaction:
        with _reaching_the_chain():
            try:
                estimate = call.estimate_gas({"from": self._account.address})
            except ContractLogicError as reverted:
                raise ChainRejected(_message(reverted)) from None
            if estimate > self._max_gas:
                raise ChainRejected(f"the transaction needs {estimate} gas, over the cap")
            base_fee, priority = self._market()
            if nonce is None:
                nonce = self.w3.eth.get_transaction_count(self._account.address, "pending")
        if base_fee + priority > self._max_fee_per_gas:
            raise GasPriceOverCap(
                f"the base fee ({base_fee} wei) is over the cap of {self._max_fee_per_gas}"
            )
        built = call.build_transaction(
            {
                "from": self._account.address,
                "gas": min(math.ceil(estimate * GAS_HEADROOM), self._max_gas),
                "nonce": nonce,
                "chainId": self._chain_id,
                "maxFeePerGas": min(2 * base_fee + priority, self._max_fee_per_gas),
                "maxPriorityFeePerGas": priority,
            }
        )
        return self._sign(
            {"to": built["to"], "data": built["data"], "value": 0, "gas": built["gas"]},
            nonce=nonce,
            max_fee=built["maxFeePerGas"],
            priority=priority,
        )

    def _market(self) -> tuple[int, int]:
        """The latest block's base fee and the tip the node suggests, in wei per gas."""
        base_fee = int(self.w3.eth.get_block("latest")["baseFeePerGas"])
        return base_fee, int(self.w3.eth.max_priority_fee)

    def _sign(
        self, call: dict[str, Any], *, nonce: int, max_fee: int, priority: int
    ) -> SignedTransaction:
        transaction = {
            **call,
            "type": 2,
            "nonce": nonce,
            "chainId": self._chain_id,
            "maxFeePerGas": max_fee,
            "maxPriorityFeePerGas": priority,
        }
        signed = self._account.sign_transaction(transaction)
        return SignedTransaction(
            tx_hash=_hex(signed.hash),
            nonce=nonce,
            raw=bytes(signed.raw_transaction),
            to=str(call["to"]),
            data=str(call["data"]),
            gas=int(call["gas"]),
            max_fee_per_gas=max_fee,
            max_priority_fee_per_gas=priority,
        )

    def _chain_has(self, tx_hash: str) -> bool:
        try:
            self.w3.eth.get_transaction(tx_hash)  # type: ignore[arg-type]
        except TransactionNotFound:
            return False
        return True


def custodial_key(seed: bytes, holder_id: str) -> bytes:
    """The private key of a holder's custodial address: HMAC-SHA256 of the holder's id under
    the platform's custody seed (counted on in the rare case it is not a valid key)."""
    for counter in range(256):
        message = f"admitone custody v1:{holder_id}:{counter}".encode()
        candidate = hmac.new(seed, message, hashlib.sha256).digest()
        if 0 < int.from_bytes(candidate) < SECP256K1_ORDER:
            return candidate
    raise ValueError("no custodial key for this holder")  # pragma: no cover  (p < 2**-30000)


@contextmanager
def _reaching_the_chain() -> Iterator[None]:
    """The node unreachable, timing out or failing is the chain being unavailable."""
    try:
        yield
    except (requests.RequestException, Web3RPCError) as lost:
        raise DependencyUnavailable("The chain is unavailable.") from lost


def _message(error: Exception) -> str:
    response = getattr(error, "rpc_response", None)
    if isinstance(response, dict) and isinstance(response.get("error"), dict):
        return str(response["error"].get("message", error))
    return str(error.args[0]) if error.args else type(error).__name__


def _hex(value: bytes | str) -> str:
    return value if isinstance(value, str) else "0x" + bytes(value).hex()
