"""A real EVM for the local stack: py-evm (through eth-tester) behind an Ethereum JSON-RPC
endpoint on loopback, so that web3.py reaches it over HTTP exactly as it reaches Polygon.
Run: python -m scripts.devstack.chainserver --port 8545

Why this and not another node: py-evm is the EVM of the Ethereum Foundation's Python
tooling and installs from the package index with nothing downloaded at run time (anvil,
hardhat and geth are binaries or npm installs that fetch a compiler or a node; pyrevm has
no wheel for Python 3.13). eth-tester mines each transaction into its own block at once.

The JSON-RPC methods are web3.py's own mapping onto eth-tester (its EthereumTesterProvider
with its request and result formatters); this module adds the HTTP server, JSON-RPC
framing (single and batch requests, errors with codes) and Ethereum's wire encoding
(quantities and byte strings as 0x-hex). Ten development accounts are funded and
unlocked (``eth_accounts``, ``eth_sendTransaction``) as on any development chain; every
other key signs its own transactions (``eth_sendRawTransaction``).

Like anvil and hardhat it can hold transactions unmined: ``evm_setAutomine`` [false]
keeps what is sent in a pool until ``evm_mine`` (or ``evm_setAutomine`` [true]) mines
the pool into one block, so that a stuck transaction and its replacement can be played
out. While held, the pool behaves as a node's: a transaction at a nonce already pooled
replaces it only with both fees raised by at least 10 % (geth's "replacement transaction
underpriced" otherwise), and the ``pending`` transaction count includes what is pooled.
"""

from __future__ import annotations

import argparse
import json
import signal
import threading
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import rlp
from eth_account import Account
from eth_tester.exceptions import TransactionFailed
from eth_tester.utils.transactions import extract_valid_transaction_params
from web3 import EthereumTesterProvider, Web3

# JSON-RPC 2.0 error codes, and the one Ethereum nodes answer for a revert.
PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602
INTERNAL_ERROR = -32603
SERVER_ERROR = -32000
EXECUTION_REVERTED = 3
# "Error(string)": a revert reason encoded as the EVM returns it.
REVERT_SELECTOR = "0x08c379a0"
# A pooled transaction is replaced only by one paying at least this much more (geth's
# default price bump, 10 %).
REPLACEMENT_BUMP_PERCENT = 110


def wire(value: Any) -> Any:
    """A result in Ethereum's JSON-RPC encoding: integers as hex quantities, bytes as hex."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        return hex(value)
    if isinstance(value, bytes | bytearray):
        return "0x" + bytes(value).hex()
    if isinstance(value, Mapping):
        return {key: wire(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [wire(item) for item in value]
    raise TypeError(f"no JSON-RPC encoding for {type(value).__name__}")


class Chain:
    """One EVM; requests are answered one at a time, as a node orders its transactions."""

    def __init__(self) -> None:
        self.w3 = Web3(EthereumTesterProvider())
        self.chain_id = self.w3.eth.chain_id
        self._tester = self.w3.provider.ethereum_tester  # type: ignore[attr-defined]
        self._lock = threading.Lock()

    def answer(self, request: Any) -> dict[str, Any]:
        if not isinstance(request, dict) or not isinstance(request.get("method"), str):
            return _error(None, INVALID_REQUEST, "not a JSON-RPC request")
        request_id = request.get("id")
        params = request.get("params", [])
        if not isinstance(params, list):
            return _error(request_id, INVALID_PARAMS, "params must be a list")
        if request["method"] == "evm_setAutomine":
            return self._set_automine(request_id, params)
        if request["method"] == "evm_mine":
            return self._mine(request_id)
        return self._call(request_id, request["method"], params)

    def _call(self, request_id: Any, method: str, params: list[Any]) -> dict[str, Any]:
        try:
            if method == "eth_sendRawTransaction":
                self._refuse_another_chains(params)
            with self._lock:
                if method == "eth_sendRawTransaction" and not self._tester.auto_mine_transactions:
                    self._refuse_an_underpriced_replacement(params)
                    response = self._send_behind_the_pool(params)
                else:
                    response = self.w3.manager._make_request(method, params)
                if method == "eth_getTransactionCount" and "result" in response:
                    response["result"] = self._counting_the_pool(params, response["result"])
        except TransactionFailed as failure:
            reason = str(failure.args[0]) if failure.args else "execution reverted"
            return _error(request_id, EXECUTION_REVERTED, reason, _revert_data(reason))
        except (TypeError, KeyError) as bad:
            return _error(request_id, INVALID_PARAMS, f"{type(bad).__name__}: {bad}")
        except Exception as refused:
            # What a node says when it refuses a transaction (a used nonce, a fee under the
            # base fee, another chain's signature): geth's code for it, with the reason.
            return _error(request_id, SERVER_ERROR, str(refused) or type(refused).__name__)
        if "error" in response:
            error = response["error"]
            message = error.get("message", "") if isinstance(error, dict) else str(error)
            code = METHOD_NOT_FOUND if "RPC Endpoint" in message else INTERNAL_ERROR
            return _error(request_id, code, message)
        return {"jsonrpc": "2.0", "id": request_id, "result": wire(response.get("result"))}

    def _set_automine(self, request_id: Any, params: list[Any]) -> dict[str, Any]:
        if len(params) != 1 or not isinstance(params[0], bool):
            return _error(request_id, INVALID_PARAMS, "evm_setAutomine takes [true] or [false]")
        with self._lock:
            if params[0]:
                self._tester.enable_auto_mine_transactions()  # mines what the pool holds
            else:
                self._tester.disable_auto_mine_transactions()
        return {"jsonrpc": "2.0", "id": request_id, "result": True}

    def _mine(self, request_id: Any) -> dict[str, Any]:
        with self._lock:
            # Each sender's in nonce order, as a node builds a block (a replacement joins
            # the pool after the transactions sent behind the one it replaced).
            self._tester._pending_transactions.sort(key=lambda t: (t["from"], t["nonce"]))
            self._tester.mine_blocks(1)
        return {"jsonrpc": "2.0", "id": request_id, "result": "0x0"}

    def _pooled(self, sender: str) -> list[dict[str, Any]]:
        pool: list[dict[str, Any]] = self._tester._pending_transactions
        return [t for t in pool if str(t["from"]).lower() == sender.lower()]

    def _refuse_an_underpriced_replacement(self, params: list[Any]) -> None:
        raw = bytes.fromhex(str(params[0]).removeprefix("0x")) if params else b""
        sender = Account.recover_transaction(raw)
        nonce, max_fee, priority = _nonce_and_fees(raw)
        for pooled in self._pooled(sender):
            if pooled["nonce"] != nonce:
                continue
            old_fee = pooled.get("max_fee_per_gas", pooled.get("gas_price", 0))
            old_priority = pooled.get("max_priority_fee_per_gas", old_fee)
            if (
                max_fee * 100 < old_fee * REPLACEMENT_BUMP_PERCENT
                or priority * 100 < old_priority * REPLACEMENT_BUMP_PERCENT
            ):
                raise ValueError("replacement transaction underpriced")

    def _send_behind_the_pool(self, params: list[Any]) -> Any:
        """Send a held transaction, checked against the state after its sender's pooled
        ones, as a node queues it behind them (eth-tester alone checks it against the
        mined state, refusing a second pooled nonce)."""
        raw = bytes.fromhex(str(params[0]).removeprefix("0x"))
        nonce = _nonce_and_fees(raw)[0]
        earlier = [t for t in self._pooled(Account.recover_transaction(raw)) if t["nonce"] < nonce]
        snapshot = self._tester.take_snapshot()
        try:
            for pooled in sorted(earlier, key=lambda t: int(t["nonce"])):
                self._tester._add_transaction_to_pending_block(
                    extract_valid_transaction_params(pooled), txn_internal_type="send_signed"
                )
            return self.w3.manager._make_request("eth_sendRawTransaction", params)
        finally:
            self._tester.revert_to_snapshot(snapshot)

    def _counting_the_pool(self, params: list[Any], mined_count: Any) -> Any:
        if len(params) < 2 or params[1] != "pending":  # [address, block]
            return mined_count
        mined = int(mined_count, 16) if isinstance(mined_count, str) else int(mined_count)
        return max([mined, *(int(t["nonce"]) + 1 for t in self._pooled(str(params[0])))])

    def _refuse_another_chains(self, params: list[Any]) -> None:
        """eth-tester executes a transaction signed for any chain; a node refuses one that
        is not for its own (EIP-155), and so must this chain, or a misconfigured chain id
        would pass every local test and fail on Polygon."""
        raw = bytes.fromhex(str(params[0]).removeprefix("0x")) if params else b""
        signed_for = _signed_chain_id(raw)
        if signed_for is not None and signed_for != self.chain_id:
            raise ValueError(
                f"invalid chain id: signed for {signed_for}, this chain is {self.chain_id}"
            )


def _signed_chain_id(raw: bytes) -> int | None:
    """The chain id a raw transaction was signed for (None: a pre-EIP-155 signature)."""
    if raw and raw[0] <= 0x7F:  # typed (EIP-2718): type byte, then an RLP list led by chainId
        return int.from_bytes(rlp.decode(raw[1:])[0])
    v = int.from_bytes(rlp.decode(raw)[6])
    return (v - 35) // 2 if v >= 35 else None


def _nonce_and_fees(raw: bytes) -> tuple[int, int, int]:
    """A raw transaction's nonce, fee cap and tip (a legacy one's gas price is both)."""
    if raw and raw[0] == 2:  # EIP-1559: chainId, nonce, tip, fee cap, ...
        _chain_id, nonce, tip, fee_cap = rlp.decode(raw[1:])[:4]
        return int.from_bytes(nonce), int.from_bytes(fee_cap), int.from_bytes(tip)
    typed = bool(raw) and raw[0] <= 0x7F  # EIP-2930 leads with chainId
    fields = rlp.decode(raw[1:])[1:] if typed else rlp.decode(raw)
    price = int.from_bytes(fields[1])
    return int.from_bytes(fields[0]), price, price


def _revert_data(reason: str) -> str:
    """The revert's return data: the reason ABI-encoded as Error(string)."""
    text = reason.removeprefix("execution reverted: ").encode()
    length = len(text).to_bytes(32).hex()
    padded = text.hex().ljust(((len(text) + 31) // 32) * 64, "0")
    return REVERT_SELECTOR + (32).to_bytes(32).hex() + length + padded


def _error(request_id: Any, code: int, message: str, data: str | None = None) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message}
    if data is not None:
        error["data"] = data
    return {"jsonrpc": "2.0", "id": request_id, "error": error}


def handler_for(chain: Chain) -> type[BaseHTTPRequestHandler]:
    class JsonRpcHandler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            try:
                request = json.loads(self.rfile.read(length))
            except (json.JSONDecodeError, UnicodeDecodeError):
                self._send(_error(None, PARSE_ERROR, "the body is not JSON"))
                return
            if isinstance(request, list):
                self._send([chain.answer(item) for item in request])
            else:
                self._send(chain.answer(request))

        def _send(self, answer: Any) -> None:
            body = json.dumps(answer).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: a mint worker polls receipts many times a second."""

    return JsonRpcHandler


def serve(port: int, chain: Chain | None = None) -> ThreadingHTTPServer:
    server = ThreadingHTTPServer(("127.0.0.1", port), handler_for(chain or Chain()))
    server.daemon_threads = True
    return server


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--port", type=int, default=8545)
    args = parser.parse_args()
    # The terminal's Ctrl-C reaches this process too; the stack that started it stops it.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    chain = Chain()
    server = serve(args.port, chain)
    chain_id = chain.chain_id
    # Said once the port is bound: the stack waits for these words.
    print(
        f"chain listening on http://127.0.0.1:{server.server_port} (chain id {chain_id})",
        flush=True,
    )
    server.serve_forever()


if __name__ == "__main__":
    main()
