"""The one Stripe client of the container: real SDK, lazily built, short timeouts.

``stripe`` is imported only when a function first talks to Stripe, so functions
that never do pay nothing for it at cold start.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

from admitone.adapters.secrets import secret_json
from admitone.config import settings

if TYPE_CHECKING:
    from stripe import StripeClient

# (connect, read) seconds: a Lambda behind API Gateway has ~10 s in all.
STRIPE_TIMEOUT = (2.0, 6.0)


@cache
def stripe_client() -> StripeClient:
    from stripe import RequestsClient, StripeClient  # noqa: PLC0415  (cold-start cost)

    keys = secret_json(settings().stripe_secret_id)
    return StripeClient(
        keys["api_key"],
        base_addresses={"api": settings().stripe_api_base},
        max_network_retries=2,
        http_client=RequestsClient(timeout=STRIPE_TIMEOUT),
    )


def probe_stripe() -> None:
    """Raise unless Stripe answers an authenticated read."""
    stripe_client().v1.balance.retrieve()
