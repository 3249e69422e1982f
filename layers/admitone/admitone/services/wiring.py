"""The composition root: the one place that picks an adapter for each port.

Handlers pass ``ports()`` to the services they call; the bundle is built once per
container (like the clients it wraps, nothing connects until first used), and tests
swap it for fakes (``tests/fakes``) or clear it with the rest of a container's caches.
"""

from __future__ import annotations

from datetime import timedelta
from functools import cache
from typing import TYPE_CHECKING

from admitone.adapters.bus import EventBridgeBus
from admitone.adapters.dynamo.store import DynamoStore
from admitone.adapters.mail import SesMail
from admitone.adapters.queues import SqsQueues
from admitone.adapters.secrets import secret_json
from admitone.adapters.stripe_payments import StripePayments
from admitone.config import chain_settings
from admitone.ports import Ports

if TYPE_CHECKING:  # only the mint worker builds these: every other function skips the imports
    from admitone.ports.chain import Chain
    from admitone.services.nft_minting import Minting


@cache
def ports() -> Ports:
    return Ports(
        store=DynamoStore(),
        payments=StripePayments(),
        mail=SesMail(),
        bus=EventBridgeBus(),
        queues=SqsQueues(),
    )


@cache
def chain() -> Chain:
    """The chain the mint worker mints on. Only its function calls this: web3 ships in
    that function's own requirements, not in the layer."""
    from admitone.adapters.chain.evm import EvmChain  # noqa: PLC0415

    config = chain_settings()
    keys = secret_json(config.keys_secret_id)
    return EvmChain(
        rpc_url=config.rpc_url,
        chain_id=config.chain_id,
        contract_address=config.contract_address,
        minter_key=str(keys["minter_key"]),
        custody_seed=bytes.fromhex(str(keys["custody_seed"])),
        max_gas=config.max_gas,
        max_fee_per_gas=config.max_fee_gwei * 10**9,
        from_block=config.contract_block,
    )


def minting() -> Minting:
    from admitone.adapters.dynamo.mints import DynamoEventMintTerms  # noqa: PLC0415
    from admitone.services.nft_minting import Minting  # noqa: PLC0415

    config = chain_settings()
    return Minting(
        store=ports().store,
        events=DynamoEventMintTerms(),
        chain=chain(),
        chain_name=config.chain_name,
        receipt_wait=timedelta(seconds=config.receipt_wait_seconds),
        replace_after=timedelta(seconds=config.replace_after_seconds),
    )
