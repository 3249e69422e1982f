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
from eth_tester.exceptions import TransactionFailed
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
        self._lock = threading.Lock()

    def answer(self, request: Any) -> dict[str, Any]:
        if not isinstance(request, dict) or not isinstance(request.get("method"), str):
            return _error(None, INVALID_REQUEST, "not a JSON-RPC request")
        request_id = request.get("id")
        params = request.get("params", [])
        if not isinstance(params, list):
            return _error(request_id, INVALID_PARAMS, "params must be a list")
        return self._call(request_id, request["method"], params)

    def _call(self, request_id: Any, method: str, params: list[Any]) -> dict[str, Any]:
        try:
            if method == "eth_sendRawTransaction":
                self._refuse_another_chains(params)
            with self._lock:
                response = self.w3.manager._make_request(method, params)
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
