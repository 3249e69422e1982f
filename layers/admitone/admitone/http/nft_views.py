"""What the API shows of a ticket's NFT (on the ticket and on its order): a module of its own
so that neither view drags in the other's services."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from admitone.domain.nft import AwaitedMint, TicketMint


class NftView(BaseModel):
    """A ticket's NFT: ``queued`` -> ``minting`` -> ``minted`` | ``failed`` (with a reason);
    ``burned`` once its ticket is void. Priority, chain, contract and holder address are
    null while it is ``queued`` and the mint worker has not taken it up yet."""

    state: str
    priority: str | None
    chain: str | None
    contract: str | None
    # Decimal text: a 128-bit id is too wide for a JSON number.
    token_id: str
    holder_address: str | None
    tx_hash: str | None
    reason: str | None
    updated_at: datetime

    @classmethod
    def of(cls, mint: TicketMint | AwaitedMint | None) -> NftView | None:
        if mint is None:
            return None
        if isinstance(mint, AwaitedMint):
            return cls(
                state=mint.state.value,
                priority=None,
                chain=None,
                contract=None,
                token_id=str(mint.token_id),
                holder_address=None,
                tx_hash=None,
                reason=None,
                updated_at=mint.since,
            )
        return cls(
            state=mint.state.value,
            priority=mint.priority.value,
            chain=mint.chain,
            contract=mint.contract,
            token_id=str(mint.token_id),
            holder_address=mint.holder_address,
            tx_hash=mint.tx_hash,
            reason=mint.reason,
            updated_at=mint.updated_at,
        )
