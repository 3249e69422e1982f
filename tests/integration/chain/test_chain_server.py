"""The local chain as web3.py and any Ethereum JSON-RPC client see it over HTTP: the wire
encoding, JSON-RPC framing and errors, reverts with their reasons, signed transactions
from keys of our own, the ticket contract deployed once at start, and transactions held
in a pool (replaced there as a node replaces them) until mined."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from eth_account import Account
from web3 import Web3
from web3.exceptions import ContractLogicError, TransactionNotFound, Web3RPCError

from scripts.devstack import ticket_contract
from scripts.devstack.chainserver import wire
from tests.integration.chain.pool import held_in_the_pool, mine


def _rpc(url: str, body: Any) -> Any:
    answer = requests.post(url, json=body, timeout=10)
    assert answer.status_code == 200
    return answer.json()


def test_results_are_encoded_as_ethereum_json_rpc_encodes_them():
    assert wire(0) == "0x0"
    assert wire(255) == "0xff"
    assert wire(True) is True
    assert wire(None) is None
    assert wire(b"\x01\xab") == "0x01ab"
    assert wire({"gasUsed": 21000, "logs": [{"data": b""}]}) == {
        "gasUsed": "0x5208",
        "logs": [{"data": "0x"}],
    }


def test_a_request_gets_its_id_back_with_quantities_in_hex(chain_url: str):
    answer = _rpc(chain_url, {"jsonrpc": "2.0", "id": 7, "method": "eth_chainId", "params": []})
    assert answer["id"] == 7
    assert answer["jsonrpc"] == "2.0"
    assert answer["result"].startswith("0x")
    assert int(answer["result"], 16) == Web3(Web3.HTTPProvider(chain_url)).eth.chain_id


def test_a_batch_is_answered_in_order(chain_url: str):
    answers = _rpc(
        chain_url,
        [
            {"jsonrpc": "2.0", "id": 1, "method": "eth_blockNumber", "params": []},
            {"jsonrpc": "2.0", "id": 2, "method": "eth_accounts", "params": []},
        ],
    )
    assert [a["id"] for a in answers] == [1, 2]
    assert len(answers[1]["result"]) == 10


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"jsonrpc": "2.0", "id": 1, "method": "eth_noSuchThing", "params": []}, -32601),
        ({"jsonrpc": "2.0", "id": 1, "params": []}, -32600),
        ({"jsonrpc": "2.0", "id": 1, "method": "eth_getBalance", "params": "0x1"}, -32602),
    ],
)
def test_a_bad_request_gets_a_json_rpc_error_not_a_broken_connection(
    chain_url: str, body: Any, code: int
):
    assert _rpc(chain_url, body)["error"]["code"] == code


def test_a_body_that_is_not_json_is_a_parse_error(chain_url: str):
    answer = requests.post(chain_url, data=b"{", timeout=10)
    assert answer.json()["error"]["code"] == -32700


def test_a_stranger_signs_and_sends_its_own_transactions(chain_url: str):
    w3 = Web3(Web3.HTTPProvider(chain_url))
    stranger = Account.create()
    funded = w3.eth.send_transaction(
        {"from": w3.eth.accounts[3], "to": stranger.address, "value": 10**18}
    )
    w3.eth.wait_for_transaction_receipt(funded)
    receiver = Account.create().address
    transaction = {
        "to": receiver,
        "value": 12345,
        "gas": 21000,
        "maxFeePerGas": 10**10,
        "maxPriorityFeePerGas": 10**9,
        "nonce": w3.eth.get_transaction_count(stranger.address, "pending"),
        "chainId": w3.eth.chain_id,
    }
    sent = w3.eth.send_raw_transaction(stranger.sign_transaction(transaction).raw_transaction)
    receipt = w3.eth.wait_for_transaction_receipt(sent)
    assert receipt["status"] == 1
    assert receipt["from"] == stranger.address
    assert w3.eth.get_balance(receiver) == 12345
    assert w3.eth.get_transaction_count(stranger.address) == 1


def _funded_stranger(w3: Web3) -> Any:
    stranger = Account.create()
    funded = w3.eth.send_transaction(
        {"from": w3.eth.accounts[3], "to": stranger.address, "value": 10**18}
    )
    w3.eth.wait_for_transaction_receipt(funded)
    return stranger


def _payment(w3: Web3, nonce: int, **changes: Any) -> dict[str, Any]:
    return {
        "to": w3.eth.accounts[4],
        "value": 1,
        "gas": 21000,
        "maxFeePerGas": 10**10,
        "maxPriorityFeePerGas": 10**9,
        "nonce": nonce,
        "chainId": w3.eth.chain_id,
        **changes,
    }


def test_a_transaction_signed_for_another_chain_is_refused_as_a_node_refuses_it(chain_url: str):
    w3 = Web3(Web3.HTTPProvider(chain_url))
    stranger = _funded_stranger(w3)
    for_polygon = stranger.sign_transaction(_payment(w3, 0, chainId=137)).raw_transaction
    with pytest.raises(Web3RPCError, match="invalid chain id: signed for 137"):
        w3.eth.send_raw_transaction(for_polygon)
    assert w3.eth.get_transaction_count(stranger.address) == 0


def test_a_used_nonce_is_refused_with_an_error_not_a_dropped_connection(chain_url: str):
    w3 = Web3(Web3.HTTPProvider(chain_url))
    stranger = _funded_stranger(w3)
    first = stranger.sign_transaction(_payment(w3, 0)).raw_transaction
    w3.eth.wait_for_transaction_receipt(w3.eth.send_raw_transaction(first))
    for again in (first, stranger.sign_transaction(_payment(w3, 0, value=2)).raw_transaction):
        with pytest.raises(Web3RPCError) as refused:
            w3.eth.send_raw_transaction(again)
        assert refused.value.rpc_response["error"]["code"] == -32000
        assert "nonce" in refused.value.rpc_response["error"]["message"]
    assert w3.eth.get_transaction_count(stranger.address) == 1


def test_the_ticket_contract_is_deployed_once_with_the_minter_authorised_and_funded(
    chain_url: str,
):
    minter_key = "0x" + "42" * 32
    first = ticket_contract.deploy(chain_url, minter_key, "http://127.0.0.1:3000/nft/")
    again = ticket_contract.deploy(chain_url, minter_key, "http://127.0.0.1:3000/nft/")
    assert again == first
    w3 = Web3(Web3.HTTPProvider(chain_url))
    contract = w3.eth.contract(address=first.address, abi=ticket_contract.artifact()["abi"])
    assert contract.functions.owner().call() == w3.eth.accounts[0] == first.owner
    assert contract.functions.is_minter(Account.from_key(minter_key).address).call()
    assert w3.eth.get_balance(first.minter) >= ticket_contract.MINTER_FUNDS_WEI
    assert first.chain_id == w3.eth.chain_id


def test_a_revert_comes_back_as_the_contracts_reason(chain_url: str):
    deployment = ticket_contract.deploy(chain_url, "0x" + "42" * 32, "http://x/")
    w3 = Web3(Web3.HTTPProvider(chain_url))
    contract = w3.eth.contract(address=deployment.address, abi=ticket_contract.artifact()["abi"])
    with pytest.raises(ContractLogicError, match="no such token"):
        contract.functions.ownerOf(2**200).call()
    with pytest.raises(ContractLogicError, match="only a minter mints"):
        contract.functions.mint(w3.eth.accounts[5], 1).transact({"from": w3.eth.accounts[5]})


def test_held_transactions_wait_in_the_pool_until_mined_and_count_as_pending(chain_url: str):
    w3 = Web3(Web3.HTTPProvider(chain_url))
    stranger = _funded_stranger(w3)
    with held_in_the_pool(chain_url):
        first = w3.eth.send_raw_transaction(
            stranger.sign_transaction(_payment(w3, 0)).raw_transaction
        )
        second = w3.eth.send_raw_transaction(
            stranger.sign_transaction(_payment(w3, 1)).raw_transaction
        )
        assert w3.eth.get_transaction(first)["blockNumber"] is None
        with pytest.raises(TransactionNotFound):
            w3.eth.get_transaction_receipt(first)
        assert w3.eth.get_transaction_count(stranger.address) == 0
        assert w3.eth.get_transaction_count(stranger.address, "pending") == 2

        mine(chain_url)

        mined = [w3.eth.get_transaction_receipt(h) for h in (first, second)]
        assert [r["status"] for r in mined] == [1, 1]
        assert mined[0]["blockNumber"] == mined[1]["blockNumber"]  # one block
        assert w3.eth.get_transaction_count(stranger.address) == 2
    assert (
        w3.eth.get_transaction_receipt(
            w3.eth.send_raw_transaction(stranger.sign_transaction(_payment(w3, 2)).raw_transaction)
        )["status"]
        == 1
    )  # mined at once again


def test_a_pooled_transaction_is_replaced_only_by_one_paying_ten_percent_more(chain_url: str):
    w3 = Web3(Web3.HTTPProvider(chain_url))
    stranger = _funded_stranger(w3)
    fees = {"maxFeePerGas": 10**10, "maxPriorityFeePerGas": 10**9}
    with held_in_the_pool(chain_url):
        stuck = w3.eth.send_raw_transaction(
            stranger.sign_transaction(_payment(w3, 0, **fees)).raw_transaction
        )
        for cheap in (
            {"maxFeePerGas": 10**10 + 10**8, "maxPriorityFeePerGas": 2 * 10**9},  # cap +1 %
            {"maxFeePerGas": 2 * 10**10, "maxPriorityFeePerGas": 10**9 + 10**7},  # tip +1 %
        ):
            underpriced = stranger.sign_transaction(_payment(w3, 0, value=2, **cheap))
            with pytest.raises(Web3RPCError, match="replacement transaction underpriced"):
                w3.eth.send_raw_transaction(underpriced.raw_transaction)
        bumped = {"maxFeePerGas": 11 * 10**9, "maxPriorityFeePerGas": 11 * 10**8}
        replacement = w3.eth.send_raw_transaction(
            stranger.sign_transaction(_payment(w3, 0, value=3, **bumped)).raw_transaction
        )
        mine(chain_url)

    assert w3.eth.get_transaction_receipt(replacement)["status"] == 1
    assert w3.eth.get_transaction(replacement)["value"] == 3
    with pytest.raises(TransactionNotFound):
        w3.eth.get_transaction_receipt(stuck)
    assert w3.eth.get_transaction_count(stranger.address) == 1
