"""The chain port's web3 adapter against the local chain over HTTP JSON-RPC, as the mint
worker will use it against Polygon: prepared (signed) transactions whose hash is known
before the chain sees them, receipts, nonces, custody transfers and burns, caps, and what
a crash between sending and recording leaves to be found."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from eth_account import Account
from web3 import Web3

from admitone.adapters.chain.evm import EvmChain
from admitone.domain.errors import DependencyUnavailable
from admitone.domain.ids import Prefix, new_id
from admitone.domain.nft import (
    ChainRejected,
    GasPriceOverCap,
    TokenMint,
    UnminedTransaction,
    token_id_for,
)
from scripts.devstack import ticket_contract
from tests.integration.chain.pool import held_in_the_pool, mine
from tests.local_servers import free_port

MAX_GAS = 5_000_000
MAX_FEE = 500 * 10**9  # 500 gwei


@dataclass
class Deployed:
    w3: Web3
    address: str
    minter_key: str

    def chain(self, **overrides: object) -> EvmChain:
        settings: dict[str, object] = {
            "rpc_url": self.w3.provider.endpoint_uri,  # type: ignore[attr-defined]
            "chain_id": self.w3.eth.chain_id,
            "contract_address": self.address,
            "minter_key": self.minter_key,
            "custody_seed": b"custody seed of this test",
            "max_gas": MAX_GAS,
            "max_fee_per_gas": MAX_FEE,
        }
        return EvmChain(**{**settings, **overrides})  # type: ignore[arg-type]


@pytest.fixture
def deployed(chain_url: str) -> Deployed:
    """A contract of its own (owner: a dev account) with a fresh, funded minter key."""
    w3 = Web3(Web3.HTTPProvider(chain_url))
    owner = w3.eth.accounts[1]
    minter = Account.create()
    compiled = ticket_contract.artifact()
    factory = w3.eth.contract(abi=compiled["abi"], bytecode=compiled["bytecode"])
    receipt = w3.eth.wait_for_transaction_receipt(
        factory.constructor("T", "T", "http://x/", minter.address).transact({"from": owner})
    )
    w3.eth.wait_for_transaction_receipt(
        w3.eth.send_transaction({"from": owner, "to": minter.address, "value": 10**19})
    )
    return Deployed(w3, receipt["contractAddress"], minter.key.hex())


def _holders(count: int) -> list[str]:
    return [Account.create().address for _ in range(count)]


def _tokens(count: int) -> list[int]:
    return [token_id_for(new_id(Prefix.TICKET)) for _ in range(count)]


def test_a_batch_is_signed_before_it_is_sent_and_its_receipt_names_that_hash(deployed: Deployed):
    chain = deployed.chain()
    holders, tokens = _holders(3), _tokens(3)
    before = chain.nonces()

    prepared = chain.prepare_mint_batch(
        [TokenMint(t, h) for t, h in zip(tokens, holders, strict=True)]
    )

    assert prepared.nonce == before.pending
    assert chain.receipt(prepared.tx_hash) is None  # the chain has not seen it
    assert all(chain.owner_of(t) is None for t in tokens)
    chain.send(prepared)
    receipt = chain.receipt(prepared.tx_hash)
    assert receipt is not None
    assert receipt.succeeded
    assert receipt.gas_used <= prepared.gas
    assert [chain.owner_of(t) for t in tokens] == holders
    assert chain.nonces().confirmed == before.confirmed + 1


def test_sending_the_same_transaction_again_is_harmless_and_mints_once(deployed: Deployed):
    chain = deployed.chain()
    [holder], [token] = _holders(1), _tokens(1)
    prepared = chain.prepare_mint_batch([TokenMint(token, holder)])
    chain.send(prepared)
    nonces = chain.nonces()

    chain.send(prepared)

    assert chain.nonces() == nonces
    assert chain.owner_of(token) == holder


def test_after_a_crash_between_sending_and_recording_the_chain_says_what_was_minted(
    deployed: Deployed,
):
    [holder], [token] = _holders(1), _tokens(1)
    crashed = deployed.chain()
    sent = crashed.prepare_mint_batch([TokenMint(token, holder)])
    crashed.send(sent)
    del crashed  # nothing was recorded

    retry = deployed.chain()
    found = retry.find_mint(token)
    assert found is not None
    assert (found.tx_hash, found.holder) == (sent.tx_hash, holder)
    with pytest.raises(ChainRejected, match="token already minted"):
        retry.prepare_mint_batch([TokenMint(token, holder)])
    assert retry.owner_of(token) == holder


def test_a_token_never_minted_has_no_owner_and_no_mint(deployed: Deployed):
    chain = deployed.chain()
    assert chain.contract_address == deployed.address
    assert chain.minter_address == Account.from_key(deployed.minter_key).address
    assert chain.chain_id == deployed.w3.eth.chain_id
    [token] = _tokens(1)
    assert chain.owner_of(token) is None
    assert chain.find_mint(token) is None


def test_the_minter_moves_a_token_between_custodial_addresses(deployed: Deployed):
    chain = deployed.chain()
    seller, buyer = _holders(2)
    [token] = _tokens(1)
    chain.send(chain.prepare_mint_batch([TokenMint(token, seller)]))

    moved = chain.prepare_transfer(token, sender=seller, receiver=buyer)
    chain.send(moved)

    assert chain.owner_of(token) == buyer
    receipt = chain.receipt(moved.tx_hash)
    assert receipt is not None
    assert receipt.succeeded


def test_a_transfer_from_an_address_that_does_not_hold_the_token_is_rejected(deployed: Deployed):
    chain = deployed.chain()
    holder, stranger, buyer = _holders(3)
    [token] = _tokens(1)
    chain.send(chain.prepare_mint_batch([TokenMint(token, holder)]))
    with pytest.raises(ChainRejected, match="the sender does not hold the token"):
        chain.prepare_transfer(token, sender=stranger, receiver=buyer)


def test_a_burned_token_has_no_owner_but_its_mint_is_still_on_record(deployed: Deployed):
    chain = deployed.chain()
    [holder], [token] = _holders(1), _tokens(1)
    minted = chain.prepare_mint_batch([TokenMint(token, holder)])
    chain.send(minted)

    chain.send(chain.prepare_burn(token))

    assert chain.owner_of(token) is None
    found = chain.find_mint(token)
    assert found is not None
    assert found.tx_hash == minted.tx_hash
    with pytest.raises(ChainRejected, match="token was burned"):
        chain.prepare_mint_batch([TokenMint(token, holder)])


def test_a_batch_of_one_hundred_fits_and_one_more_is_refused_before_the_chain(deployed: Deployed):
    chain = deployed.chain()
    holders, tokens = _holders(101), _tokens(101)
    mints = [TokenMint(t, h) for t, h in zip(tokens, holders, strict=True)]
    with pytest.raises(ValueError, match="1 to 100 tokens"):
        chain.prepare_mint_batch(mints)
    with pytest.raises(ValueError, match="1 to 100 tokens"):
        chain.prepare_mint_batch([])

    full = chain.prepare_mint_batch(mints[:100])
    chain.send(full)

    receipt = chain.receipt(full.tx_hash)
    assert receipt is not None
    assert receipt.succeeded
    assert chain.owner_of(tokens[99]) == holders[99]


def test_gas_over_the_cap_is_rejected_before_anything_is_sent(deployed: Deployed):
    chain = deployed.chain(max_gas=100_000)
    holders, tokens = _holders(10), _tokens(10)
    before = chain.nonces()
    with pytest.raises(ChainRejected, match="over the cap"):
        chain.prepare_mint_batch([TokenMint(t, h) for t, h in zip(tokens, holders, strict=True)])
    assert chain.nonces() == before


def test_a_base_fee_over_the_fee_cap_means_try_later(deployed: Deployed):
    chain = deployed.chain(max_fee_per_gas=1)
    [holder], [token] = _holders(1), _tokens(1)
    with pytest.raises(GasPriceOverCap):
        chain.prepare_mint_batch([TokenMint(token, holder)])


def test_a_replacement_takes_the_nonce_with_higher_fees_and_the_original_can_no_longer_land(
    deployed: Deployed,
):
    chain = deployed.chain()
    [holder], [token] = _holders(1), _tokens(1)
    stuck = chain.prepare_mint_batch([TokenMint(token, holder)])

    replacement = chain.prepare_replacement(stuck)

    assert replacement.nonce == stuck.nonce
    assert replacement.tx_hash != stuck.tx_hash
    assert replacement.max_fee_per_gas >= stuck.max_fee_per_gas * 1.1
    assert replacement.max_priority_fee_per_gas >= stuck.max_priority_fee_per_gas * 1.1
    chain.send(replacement)
    assert chain.owner_of(token) == holder
    with pytest.raises(ChainRejected, match=f"nonce {stuck.nonce} is taken"):
        chain.send(stuck)
    assert chain.receipt(stuck.tx_hash) is None


def test_a_transaction_stuck_in_the_pool_is_read_back_and_replaced_there(
    deployed: Deployed, chain_url: str
):
    chain = deployed.chain()
    [holder], [token] = _holders(1), _tokens(1)
    with held_in_the_pool(chain_url):
        stuck = chain.prepare_mint_batch([TokenMint(token, holder)])
        chain.send(stuck)

        pooled = chain.unmined(stuck.tx_hash)
        assert pooled == UnminedTransaction(
            tx_hash=stuck.tx_hash,
            nonce=stuck.nonce,
            to=stuck.to,
            data=stuck.data,
            gas=stuck.gas,
            max_fee_per_gas=stuck.max_fee_per_gas,
            max_priority_fee_per_gas=stuck.max_priority_fee_per_gas,
        )
        assert chain.receipt(stuck.tx_hash) is None
        replacement = chain.prepare_replacement(pooled)
        chain.send(replacement)  # the pool takes it: fees raised past its 10 %
        assert chain.unmined(stuck.tx_hash) is None  # out of the pool, never to be mined
        assert chain.unmined(replacement.tx_hash) is not None
        assert chain.owner_of(token) is None
        mine(chain_url)

    receipt = chain.receipt(replacement.tx_hash)
    assert receipt is not None
    assert receipt.succeeded
    assert chain.unmined(replacement.tx_hash) is None  # mined
    assert chain.receipt(stuck.tx_hash) is None
    assert chain.owner_of(token) == holder
    assert chain.nonces().confirmed == stuck.nonce + 1


def test_a_replacement_over_the_fee_cap_is_refused(deployed: Deployed):
    [holder], [token] = _holders(1), _tokens(1)
    stuck = deployed.chain().prepare_mint_batch([TokenMint(token, holder)])
    tight = deployed.chain(max_fee_per_gas=stuck.max_fee_per_gas)
    with pytest.raises(GasPriceOverCap, match=f"replacing nonce {stuck.nonce}"):
        tight.prepare_replacement(stuck)


def test_only_the_minter_key_mints(deployed: Deployed):
    key = Account.create()
    w3 = deployed.w3
    w3.eth.wait_for_transaction_receipt(
        w3.eth.send_transaction({"from": w3.eth.accounts[1], "to": key.address, "value": 10**18})
    )
    outsider = deployed.chain(minter_key=key.key.hex())
    [holder], [token] = _holders(1), _tokens(1)
    with pytest.raises(ChainRejected, match="only a minter mints"):
        outsider.prepare_mint_batch([TokenMint(token, holder)])


def test_each_holder_has_one_custodial_address_of_its_own(deployed: Deployed):
    chain, again = deployed.chain(), deployed.chain()
    alice, bob = new_id(Prefix.USER), new_id(Prefix.USER)
    assert chain.holder_address(alice) == again.holder_address(alice)  # any container
    assert Web3.is_checksum_address(chain.holder_address(alice))
    assert chain.holder_address(alice) != chain.holder_address(bob)
    other_platform = deployed.chain(custody_seed=b"another platform's seed")
    assert other_platform.holder_address(alice) != chain.holder_address(alice)


def test_an_unreachable_chain_is_a_dependency_unavailable(deployed: Deployed):
    chain = deployed.chain(rpc_url=f"http://127.0.0.1:{free_port()}", timeout_seconds=2)
    with pytest.raises(DependencyUnavailable):
        chain.nonces()
    with pytest.raises(DependencyUnavailable):
        chain.owner_of(1)
