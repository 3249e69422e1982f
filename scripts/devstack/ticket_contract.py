"""The ticket contract on the local chain: deployed by the chain's first development account
(its owner), with the platform's minter key authorised and funded for gas.

The contract is the first thing that account creates, so its address follows from the
account alone (CREATE at nonce 0): deploying again finds it instead of making a second
one, whether the stack starts it or a tool attaches to a running stack.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import rlp
from eth_account import Account
from eth_utils import keccak, to_checksum_address
from web3 import Web3

from scripts.contract_build import ARTIFACT, ROOT
from scripts.devstack.failures import FAILED, ToolFailure

COLLECTION_NAME = "AdmitOne Tickets"
COLLECTION_SYMBOL = "ADMIT"
# Gas money for the minter: a batch of 100 costs ~2.6 M gas; this pays for thousands.
MINTER_FUNDS_WEI = 100 * 10**18


@dataclass(frozen=True)
class Deployment:
    rpc_url: str
    chain_id: int
    address: str
    owner: str
    minter: str


def creation_address(sender: str, nonce: int) -> str:
    """Where a CREATE by ``sender`` at ``nonce`` puts its contract."""
    encoded = rlp.encode([bytes.fromhex(sender.removeprefix("0x")), nonce])
    return to_checksum_address(keccak(encoded)[12:])


def artifact() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((ROOT / ARTIFACT).read_text())
    return loaded


def deploy(rpc_url: str, minter_key: str, metadata_base: str) -> Deployment:
    """The ticket contract on the chain at ``rpc_url``, deployed once, ``minter_key``'s
    address a minter with gas to spend; a token's metadata is at ``metadata_base`` + id."""
    w3 = Web3(Web3.HTTPProvider(rpc_url, request_kwargs={"timeout": 10}))
    owner = w3.eth.accounts[0]
    minter = Account.from_key(minter_key).address
    address = creation_address(owner, 0)
    compiled = artifact()
    if not w3.eth.get_code(address):
        if w3.eth.get_transaction_count(owner) != 0:
            raise ToolFailure(
                f"the local chain's first account has sent transactions but created no "
                f"contract at {address}; restart the stack (its chain starts empty)",
                FAILED,
            )
        factory = w3.eth.contract(abi=compiled["abi"], bytecode=compiled["bytecode"])
        sent = factory.constructor(
            COLLECTION_NAME, COLLECTION_SYMBOL, metadata_base, minter
        ).transact({"from": owner})
        receipt = w3.eth.wait_for_transaction_receipt(sent, timeout=30)
        if receipt["status"] != 1 or receipt["contractAddress"] != address:
            raise ToolFailure(f"deploying the ticket contract failed ({receipt})", FAILED)
    contract = w3.eth.contract(address=address, abi=compiled["abi"])
    if not contract.functions.is_minter(minter).call():
        _wait(w3, contract.functions.set_minter(minter, True).transact({"from": owner}))
    if w3.eth.get_balance(minter) < MINTER_FUNDS_WEI // 2:
        _wait(w3, w3.eth.send_transaction({"from": owner, "to": minter, "value": MINTER_FUNDS_WEI}))
    return Deployment(rpc_url, w3.eth.chain_id, address, owner, minter)


def _wait(w3: Web3, sent: Any) -> None:
    receipt = w3.eth.wait_for_transaction_receipt(sent, timeout=30)
    if receipt["status"] != 1:
        raise ToolFailure(f"a set-up transaction on the local chain failed ({receipt})", FAILED)
