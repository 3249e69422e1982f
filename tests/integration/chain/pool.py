"""Holding the local chain's transactions unmined, as a congested network does (the chain
server's ``evm_setAutomine``/``evm_mine``, named as anvil and hardhat name them)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import requests


def rpc(url: str, method: str, *params: Any) -> Any:
    answer = requests.post(
        url, json={"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)}, timeout=10
    ).json()
    assert "error" not in answer, answer
    return answer["result"]


def mine(url: str) -> None:
    """Mine what the pool holds into one block."""
    rpc(url, "evm_mine")


@contextlib.contextmanager
def held_in_the_pool(url: str) -> Iterator[None]:
    """Transactions sent inside wait in the pool until ``mine``; on leaving, whatever is
    still pooled is mined and the chain mines each transaction at once again."""
    rpc(url, "evm_setAutomine", False)
    try:
        yield
    finally:
        rpc(url, "evm_setAutomine", True)
