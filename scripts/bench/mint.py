"""NFT minting on the local stack's EVM (issue 20): throughput by batch size, gas per
token, and the mint worker's latency from payment to ``minted``.

It starts its own local stack (moto, localstripe, the chain with the ticket contract, the
gateway and the workers, as `scripts/run` does) on free ports.

Printed:
- per batch size (1, 10, 50, 100 tokens per transaction): tokens minted per second
  through the chain adapter the worker uses (prepare = estimate + sign, send, wait for
  the receipt), over the JSON-RPC server, and gas used per token from the receipts;
- latency from the moment the buyer sees the order paid to the moment every ticket of
  it shows ``minted`` on GET /tickets/{id}, over a few runs of the demo's purchase (two
  tickets each), through outbox -> bus -> the mint queue -> MintWorkerFunction.

The local chain mines each transaction at once: figures for Polygon add its block time
(~2 s) per transaction, which batching divides among the tokens.

Prints figures; asserts nothing. Run: ``.venv/bin/python -m scripts.bench.mint [--tokens 200]``.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path

from admitone.adapters.chain.evm import EvmChain
from admitone.domain.ids import Prefix, new_id
from admitone.domain.nft import TokenMint, token_id_for
from scripts import demo_story
from scripts.devstack.loopback import free_port
from scripts.devstack.stack import ROOT, LocalStack, Ports
from scripts.devstack.ticket_contract import deploy

BATCH_SIZES = (1, 10, 50, 100)


def minting_chain(stack: LocalStack) -> EvmChain:
    """The stack's ticket contract through a minter key of the bench's own (its nonces
    are not the worker's)."""
    minter_key = "0x" + secrets.token_hex(32)
    deployment = deploy(stack.chain_url, minter_key, f"{stack.api_url}/nft/")
    return EvmChain(
        rpc_url=stack.chain_url,
        chain_id=deployment.chain_id,
        contract_address=deployment.address,
        minter_key=minter_key,
        custody_seed=secrets.token_bytes(32),
        max_gas=6_000_000,
        max_fee_per_gas=1_000 * 10**9,
    )


def throughput(chain: EvmChain, batch: int, tokens: int) -> tuple[float, float]:
    """Tokens per second and gas per token minting ``tokens`` in batches of ``batch``."""
    holders = [chain.holder_address(new_id(Prefix.USER)) for _ in range(10)]
    gas = 0
    started = time.perf_counter()
    for start in range(0, tokens, batch):
        count = min(batch, tokens - start)
        mints = [
            TokenMint(token_id_for(new_id(Prefix.TICKET)), holders[n % len(holders)])
            for n in range(count)
        ]
        signed = chain.prepare_mint_batch(mints)
        chain.send(signed)
        while (receipt := chain.receipt(signed.tx_hash)) is None:
            time.sleep(0.01)
        if not receipt.succeeded:
            raise RuntimeError(f"a mint of {count} reverted: {signed.tx_hash}")
        gas += receipt.gas_used
    elapsed = time.perf_counter() - started
    return tokens / elapsed, gas / tokens


def worker_latency(stack: LocalStack, runs: int) -> list[float]:
    """Seconds from 'the buyer sees the order paid' to 'every ticket shows minted'."""
    latencies = []
    with tempfile.TemporaryDirectory() as out:
        for _ in range(runs):
            with contextlib.redirect_stdout(io.StringIO()):  # the demo narrates each step
                story = demo_story.run(
                    stack.api_url,
                    stack.moto_url,
                    stack.stripe_url,
                    Path(out),
                    chain_url=stack.chain_url,
                )
            assert story.minted_seen is not None
            latencies.append(story.minted_seen - story.paid_seen)
    return latencies


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tokens", type=int, default=200, help="tokens per batch size")
    parser.add_argument("--runs", type=int, default=3, help="purchases timed for latency")
    args = parser.parse_args()
    ports = Ports(api=free_port(), moto=free_port(), stripe=free_port(), chain=free_port())
    with tempfile.TemporaryDirectory() as logs:
        stack = LocalStack(
            ports,
            lambda *_: None,
            template_path=ROOT / "template.yaml",
            root=ROOT,
            run_schedules=False,
            log_dir=Path(logs),
        )
        stack.start()
        try:
            chain = minting_chain(stack)
            print(f"minting {args.tokens} tokens per batch size on {stack.chain_url}")
            single = None
            for batch in BATCH_SIZES:
                per_second, gas_per_token = throughput(chain, batch, args.tokens)
                single = single or per_second
                print(
                    f"batch {batch:>3}: {per_second:7.1f} tokens/s "
                    f"(x{per_second / single:.1f} single), {gas_per_token:,.0f} gas per token"
                )
            latencies = worker_latency(stack, args.runs)
            print(
                f"payment seen -> every ticket minted (2 tickets, {args.runs} purchases): "
                f"median {statistics.median(latencies):.2f} s, max {max(latencies):.2f} s"
            )
        finally:
            stack.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
