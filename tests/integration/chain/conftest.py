"""The ticket contract deployed on an in-process EVM (eth-tester over py-evm): every test
gets a fresh chain with ten funded accounts."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from eth_tester.exceptions import TransactionFailed
from web3 import EthereumTesterProvider, Web3
from web3.contract import Contract
from web3.exceptions import ContractLogicError

from scripts.contract_build import ARTIFACT
from tests.conftest import ROOT

BASE_URI = "https://tickets.admitone.example/nft/"


def artifact() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((ROOT / ARTIFACT).read_text())
    return loaded


@dataclass
class Chain:
    w3: Web3
    contract: Contract
    owner: str
    minter: str
    alice: str
    bob: str
    carol: str

    def send(self, call: Any, sender: str) -> Any:
        """Send ``call`` as ``sender`` and return its receipt."""
        return self.w3.eth.wait_for_transaction_receipt(call.transact({"from": sender}))

    def deploy(self, abi: list[Any], bytecode: str, *args: Any) -> Contract:
        receipt = self.send(
            self.w3.eth.contract(abi=abi, bytecode=bytecode).constructor(*args), self.owner
        )
        return self.w3.eth.contract(address=receipt.contractAddress, abi=abi)


@pytest.fixture
def chain() -> Chain:
    w3 = Web3(EthereumTesterProvider())
    owner, minter, alice, bob, carol = w3.eth.accounts[:5]
    compiled = artifact()
    bare = Chain(w3, None, owner, minter, alice, bob, carol)  # type: ignore[arg-type]
    bare.contract = bare.deploy(
        compiled["abi"], compiled["bytecode"], "AdmitOne Tickets", "ADMIT", BASE_URI, minter
    )
    return bare


@contextlib.contextmanager
def reverts(reason: str) -> Iterator[None]:
    """The transaction or call inside reverts, saying ``reason``."""
    with pytest.raises((TransactionFailed, ContractLogicError)) as failure:
        yield
    assert reason in str(failure.value)
