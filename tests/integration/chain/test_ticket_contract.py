"""The ticket contract (contracts/admitone_ticket.vy) as EIP-721 and RULES §17 say, executed
by a real EVM: who holds what, who may move it, minting only by minters and at most 100
per transaction, a token id minted at most once, and the events wallets read."""

from __future__ import annotations

from typing import Any

import pytest
import vyper
from eth_utils import keccak

from tests.integration.chain.conftest import BASE_URI, Chain, reverts

ZERO = "0x" + "00" * 20

# A contract that takes ERC-721 tokens and remembers what it was told.
ACCEPTING_RECEIVER = """
# pragma version 0.4.3
last_operator: public(address)
last_sender: public(address)
last_token: public(uint256)
last_data: public(Bytes[1024])

@external
def onERC721Received(
    operator: address, sender: address, token_id: uint256, data: Bytes[1024]
) -> bytes4:
    self.last_operator = operator
    self.last_sender = sender
    self.last_token = token_id
    self.last_data = data
    return 0x150b7a02
"""

# A contract with the hook that answers the wrong magic value.
REFUSING_RECEIVER = """
# pragma version 0.4.3
@external
def onERC721Received(
    operator: address, sender: address, token_id: uint256, data: Bytes[1024]
) -> bytes4:
    return 0xdeadbeef
"""

# A contract that knows nothing of ERC-721.
UNAWARE_CONTRACT = """
# pragma version 0.4.3
@external
def ping() -> uint256:
    return 1
"""


def _deploy_source(chain: Chain, source: str) -> Any:
    compiled = vyper.compile_code(source, output_formats=["abi", "bytecode"])
    return chain.deploy(compiled["abi"], compiled["bytecode"])


def _transfers(chain: Chain, receipt: Any) -> list[tuple[str, str, int]]:
    return [
        (log.args.sender, log.args.receiver, log.args.token_id)
        for log in chain.contract.events.Transfer().process_receipt(receipt)
    ]


def _mint(chain: Chain, holder: str, token_id: int) -> Any:
    return chain.send(chain.contract.functions.mint(holder, token_id), chain.minter)


def test_the_contract_says_what_it_is_and_which_interfaces_it_implements(chain: Chain):
    calls = chain.contract.functions
    assert calls.name().call() == "AdmitOne Tickets"
    assert calls.symbol().call() == "ADMIT"
    assert calls.owner().call() == chain.owner
    assert calls.is_minter(chain.minter).call()
    assert not calls.is_minter(chain.alice).call()
    assert calls.MAX_BATCH().call() == 100
    for interface in ("0x01ffc9a7", "0x80ac58cd", "0x5b5e139f"):  # ERC-165, -721, metadata
        assert calls.supportsInterface(bytes.fromhex(interface[2:])).call(), interface
    assert not calls.supportsInterface(bytes.fromhex("ffffffff")).call()


def test_the_erc721_functions_have_the_standard_selectors(chain: Chain):
    # Wallets and marketplaces call these by selector: the ERC-721 interface id is their XOR.
    signatures = [
        "balanceOf(address)",
        "ownerOf(uint256)",
        "safeTransferFrom(address,address,uint256,bytes)",
        "safeTransferFrom(address,address,uint256)",
        "transferFrom(address,address,uint256)",
        "approve(address,uint256)",
        "setApprovalForAll(address,bool)",
        "getApproved(uint256)",
        "isApprovedForAll(address,address)",
    ]
    abi_signatures = {
        f"{item['name']}({','.join(i['type'] for i in item['inputs'])})"
        for item in chain.contract.abi
        if item["type"] == "function"
    }
    assert set(signatures) <= abi_signatures
    interface_id = 0
    for signature in signatures:
        interface_id ^= int.from_bytes(keccak(text=signature)[:4])
    assert interface_id == 0x80AC58CD


def test_a_minted_token_belongs_to_its_receiver_and_says_so_in_a_transfer_from_zero(chain: Chain):
    receipt = _mint(chain, chain.alice, 7)
    calls = chain.contract.functions
    assert calls.ownerOf(7).call() == chain.alice
    assert calls.balanceOf(chain.alice).call() == 1
    assert calls.exists(7).call()
    assert calls.tokenURI(7).call() == f"{BASE_URI}7"
    assert _transfers(chain, receipt) == [(ZERO, chain.alice, 7)]


def test_only_a_minter_mints(chain: Chain):
    for outsider in (chain.alice, chain.owner):
        with reverts("only a minter mints"):
            chain.send(chain.contract.functions.mint(outsider, 1), outsider)
        with reverts("only a minter mints"):
            chain.send(chain.contract.functions.mint_batch([outsider], [1]), outsider)
    assert not chain.contract.functions.exists(1).call()


def test_the_owner_grants_and_revokes_the_minter_role_and_nobody_else_can(chain: Chain):
    calls = chain.contract.functions
    with reverts("only the owner sets minters"):
        chain.send(calls.set_minter(chain.alice, True), chain.minter)
    receipt = chain.send(calls.set_minter(chain.alice, True), chain.owner)
    assert [
        (log.args.minter, log.args.allowed)
        for log in chain.contract.events.MinterSet().process_receipt(receipt)
    ] == [(chain.alice, True)]
    chain.send(calls.mint(chain.bob, 1), chain.alice)
    chain.send(calls.set_minter(chain.alice, False), chain.owner)
    with reverts("only a minter mints"):
        chain.send(calls.mint(chain.bob, 2), chain.alice)


def test_ownership_moves_only_by_the_owner_and_never_to_the_zero_address(chain: Chain):
    calls = chain.contract.functions
    with reverts("only the owner hands over ownership"):
        chain.send(calls.transfer_ownership(chain.alice), chain.alice)
    with reverts("ownership to the zero address"):
        chain.send(calls.transfer_ownership(ZERO), chain.owner)
    receipt = chain.send(calls.transfer_ownership(chain.carol), chain.owner)
    moved = chain.contract.events.OwnershipTransferred().process_receipt(receipt)
    assert [(e.args.previous_owner, e.args.new_owner) for e in moved] == [
        (chain.owner, chain.carol)
    ]
    assert calls.owner().call() == chain.carol
    with reverts("only the owner sets minters"):
        chain.send(calls.set_minter(chain.bob, True), chain.owner)


def test_a_token_id_is_minted_once_even_after_it_was_burned(chain: Chain):
    _mint(chain, chain.alice, 7)
    with reverts("token already minted"):
        _mint(chain, chain.bob, 7)
    chain.send(chain.contract.functions.burn(7), chain.minter)
    with reverts("token was burned"):
        _mint(chain, chain.bob, 7)
    with reverts("mint to the zero address"):
        _mint(chain, ZERO, 8)


def test_a_batch_mints_each_token_to_its_receiver_with_one_event_each(chain: Chain):
    receivers = [chain.alice, chain.bob, chain.alice]
    receipt = chain.send(chain.contract.functions.mint_batch(receivers, [1, 2, 3]), chain.minter)
    calls = chain.contract.functions
    assert [calls.ownerOf(t).call() for t in (1, 2, 3)] == receivers
    assert calls.balanceOf(chain.alice).call() == 2
    assert _transfers(chain, receipt) == [
        (ZERO, r, t) for r, t in zip(receivers, [1, 2, 3], strict=True)
    ]


def test_a_batch_holds_at_most_one_hundred_tokens(chain: Chain):
    calls = chain.contract.functions
    chain.send(calls.mint_batch([chain.alice] * 100, list(range(1, 101))), chain.minter)
    assert calls.balanceOf(chain.alice).call() == 100
    # 101 entries do not even decode as the function's arguments.
    with reverts("execution reverted"):
        chain.send(calls.mint_batch([chain.bob] * 101, list(range(200, 301))), chain.minter)
    assert calls.balanceOf(chain.bob).call() == 0


def test_a_batch_is_all_or_nothing(chain: Chain):
    calls = chain.contract.functions
    _mint(chain, chain.alice, 2)
    with reverts("token already minted"):
        chain.send(calls.mint_batch([chain.bob] * 3, [1, 2, 3]), chain.minter)
    assert not calls.exists(1).call()
    assert not calls.exists(3).call()
    with reverts("one receiver per token"):
        chain.send(calls.mint_batch([chain.bob], [4, 5]), chain.minter)


def test_the_holder_transfers_and_the_balances_follow(chain: Chain):
    _mint(chain, chain.alice, 7)
    calls = chain.contract.functions
    receipt = chain.send(calls.transferFrom(chain.alice, chain.bob, 7), chain.alice)
    assert calls.ownerOf(7).call() == chain.bob
    assert calls.balanceOf(chain.alice).call() == 0
    assert calls.balanceOf(chain.bob).call() == 1
    assert _transfers(chain, receipt) == [(chain.alice, chain.bob, 7)]


def test_nobody_else_moves_a_token_and_the_sender_must_be_its_holder(chain: Chain):
    _mint(chain, chain.alice, 7)
    calls = chain.contract.functions
    with reverts("not allowed to move this token"):
        chain.send(calls.transferFrom(chain.alice, chain.bob, 7), chain.bob)
    with reverts("the sender does not hold the token"):
        chain.send(calls.transferFrom(chain.bob, chain.carol, 7), chain.alice)
    with reverts("transfer to the zero address"):
        chain.send(calls.transferFrom(chain.alice, ZERO, 7), chain.alice)
    with reverts("no such token"):
        chain.send(calls.transferFrom(chain.alice, chain.bob, 8), chain.alice)
    assert calls.ownerOf(7).call() == chain.alice


def test_an_approved_address_moves_that_one_token_once(chain: Chain):
    _mint(chain, chain.alice, 7)
    _mint(chain, chain.alice, 8)
    calls = chain.contract.functions
    receipt = chain.send(calls.approve(chain.bob, 7), chain.alice)
    approvals = chain.contract.events.Approval().process_receipt(receipt)
    assert [(a.args.holder, a.args.approved, a.args.token_id) for a in approvals] == [
        (chain.alice, chain.bob, 7)
    ]
    assert calls.getApproved(7).call() == chain.bob
    with reverts("not allowed to move this token"):
        chain.send(calls.transferFrom(chain.alice, chain.bob, 8), chain.bob)
    chain.send(calls.transferFrom(chain.alice, chain.carol, 7), chain.bob)
    assert calls.ownerOf(7).call() == chain.carol
    # The approval went with the transfer (EIP-721).
    assert calls.getApproved(7).call() == ZERO


def test_only_the_holder_or_its_operator_approves(chain: Chain):
    _mint(chain, chain.alice, 7)
    calls = chain.contract.functions
    with reverts("not the holder or its operator"):
        chain.send(calls.approve(chain.bob, 7), chain.bob)
    with reverts("the holder approves itself"):
        chain.send(calls.approve(chain.alice, 7), chain.alice)
    with reverts("no such token"):
        calls.getApproved(99).call()


def test_an_operator_moves_and_approves_every_token_of_its_holder_until_revoked(chain: Chain):
    _mint(chain, chain.alice, 7)
    _mint(chain, chain.alice, 8)
    calls = chain.contract.functions
    receipt = chain.send(calls.setApprovalForAll(chain.bob, True), chain.alice)
    granted = chain.contract.events.ApprovalForAll().process_receipt(receipt)
    assert [(g.args.holder, g.args.operator, g.args.approved) for g in granted] == [
        (chain.alice, chain.bob, True)
    ]
    assert calls.isApprovedForAll(chain.alice, chain.bob).call()
    chain.send(calls.approve(chain.carol, 8), chain.bob)
    chain.send(calls.transferFrom(chain.alice, chain.carol, 7), chain.bob)
    assert calls.ownerOf(7).call() == chain.carol
    chain.send(calls.setApprovalForAll(chain.bob, False), chain.alice)
    with reverts("not allowed to move this token"):
        chain.send(calls.transferFrom(chain.alice, chain.bob, 8), chain.bob)
    with reverts("the holder is its own operator"):
        chain.send(calls.setApprovalForAll(chain.alice, True), chain.alice)


def test_a_minter_moves_any_token_between_custodial_addresses(chain: Chain):
    _mint(chain, chain.alice, 7)
    calls = chain.contract.functions
    chain.send(calls.safeTransferFrom(chain.alice, chain.bob, 7), chain.minter)
    assert calls.ownerOf(7).call() == chain.bob


def test_safe_transfer_to_a_receiving_contract_tells_it_who_sent_what(chain: Chain):
    receiver = _deploy_source(chain, ACCEPTING_RECEIVER)
    _mint(chain, chain.alice, 7)
    calls = chain.contract.functions
    chain.send(calls.safeTransferFrom(chain.alice, receiver.address, 7, b"seat 12A"), chain.alice)
    assert calls.ownerOf(7).call() == receiver.address
    told = receiver.functions
    assert told.last_operator().call() == chain.alice
    assert told.last_sender().call() == chain.alice
    assert told.last_token().call() == 7
    assert told.last_data().call() == b"seat 12A"


@pytest.mark.parametrize("source", [REFUSING_RECEIVER, UNAWARE_CONTRACT])
def test_safe_transfer_to_a_contract_that_does_not_take_tokens_reverts(chain: Chain, source: str):
    refuser = _deploy_source(chain, source)
    _mint(chain, chain.alice, 7)
    calls = chain.contract.functions
    with reverts("execution reverted"):
        chain.send(calls.safeTransferFrom(chain.alice, refuser.address, 7), chain.alice)
    assert calls.ownerOf(7).call() == chain.alice
    # A plain transfer does not ask (EIP-721): the caller takes that risk.
    chain.send(calls.transferFrom(chain.alice, refuser.address, 7), chain.alice)
    assert calls.ownerOf(7).call() == refuser.address


def test_burning_removes_the_token_and_says_so_in_a_transfer_to_zero(chain: Chain):
    _mint(chain, chain.alice, 7)
    calls = chain.contract.functions
    chain.send(calls.approve(chain.bob, 7), chain.alice)
    receipt = chain.send(calls.burn(7), chain.minter)
    assert _transfers(chain, receipt) == [(chain.alice, ZERO, 7)]
    assert not calls.exists(7).call()
    assert calls.balanceOf(chain.alice).call() == 0
    with reverts("no such token"):
        calls.ownerOf(7).call()
    with reverts("no such token"):
        calls.tokenURI(7).call()


def test_the_holder_burns_its_own_token_and_a_stranger_cannot(chain: Chain):
    _mint(chain, chain.alice, 7)
    calls = chain.contract.functions
    with reverts("not allowed to burn this token"):
        chain.send(calls.burn(7), chain.bob)
    chain.send(calls.burn(7), chain.alice)
    assert not calls.exists(7).call()


def test_the_zero_address_holds_nothing(chain: Chain):
    with reverts("the zero address holds nothing"):
        chain.contract.functions.balanceOf(ZERO).call()
