"""The composition root: the one place that picks an adapter for each port.

Handlers pass ``ports()`` to the services they call; the bundle is built once per
container (like the clients it wraps, nothing connects until first used), and tests
swap it for fakes (``tests/fakes``) or clear it with the rest of a container's caches.
"""

from __future__ import annotations

from datetime import timedelta
from functools import cache, cached_property
from typing import TYPE_CHECKING

from admitone.adapters.secrets import secret_json
from admitone.config import SettingsError, chain_settings, settings
from admitone.ports import Ports

# For the annotations only: each adapter is imported on first use (AwsPorts), and only
# the mint worker builds a chain and the minting service.
if TYPE_CHECKING:
    from admitone.ports.bus import Bus
    from admitone.ports.chain import Chain
    from admitone.ports.envelopes import Envelopes
    from admitone.ports.mail import Mail
    from admitone.ports.payments import Payments
    from admitone.ports.queues import Queues
    from admitone.ports.store import Store
    from admitone.services.nft_minting import Minting

# The imports inside the properties below are the point of them (see AwsPorts).
# ruff: noqa: PLC0415


class AwsPorts(Ports):
    """Each adapter is imported and built when a service first asks for it: a function
    that only reads a ticket never loads the mail, bus, queue or Stripe adapters."""

    @cached_property
    def store(self) -> Store:
        from admitone.adapters.dynamo.store import DynamoStore

        return DynamoStore()

    @cached_property
    def payments(self) -> Payments:
        from admitone.adapters.stripe_payments import StripePayments

        return StripePayments()

    @cached_property
    def mail(self) -> Mail:
        from admitone.adapters.mail import SesMail

        return SesMail()

    @cached_property
    def bus(self) -> Bus:
        from admitone.adapters.bus import EventBridgeBus

        return EventBridgeBus()

    @cached_property
    def queues(self) -> Queues:
        from admitone.adapters.queues import SqsQueues

        return SqsQueues()

    @cached_property
    def envelopes(self) -> Envelopes:
        from admitone.adapters.kms_envelopes import KmsEnvelopes

        key_id = settings().envelope_key_id
        if key_id is None:
            raise SettingsError("ENVELOPE_KEY_ID is not set: this function seals no secrets")
        return KmsEnvelopes(key_id)


@cache
def ports() -> Ports:
    return AwsPorts()


@cache
def chain() -> Chain:
    """The chain the mint worker mints on. Only its function calls this: web3 ships in
    that function's own requirements, not in the layer."""
    from admitone.adapters.chain.evm import EvmChain

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
    from admitone.adapters.dynamo.mints import DynamoEventMintTerms
    from admitone.services.nft_minting import Minting

    config = chain_settings()
    return Minting(
        store=ports().store,
        events=DynamoEventMintTerms(),
        chain=chain(),
        chain_name=config.chain_name,
        receipt_wait=timedelta(seconds=config.receipt_wait_seconds),
        replace_after=timedelta(seconds=config.replace_after_seconds),
    )
