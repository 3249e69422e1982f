"""Where a payee's payouts go (issue 19): a Stripe connected account, made for them
(Express, able to receive transfers) or one of the platform's they name. Linking again
replaces the account; payouts already recorded go to the account linked when their
transfer is made."""

from __future__ import annotations

from datetime import UTC, datetime

from admitone.domain.errors import FieldError
from admitone.domain.payouts import Payee, PayoutAccount, PayoutAccountUnknown
from admitone.observability import logger
from admitone.ports import Ports


def link_payout_account(
    ports: Ports,
    payee: Payee,
    *,
    email: str,
    country: str | None = None,
    account_id: str | None = None,
    now: datetime | None = None,
) -> PayoutAccount:
    """Make a connected account for ``payee`` in ``country``, or link ``account_id``
    (exactly one of them is given: the request model checks it)."""
    now = now or datetime.now(UTC)
    if account_id is not None:
        if not ports.payments.connected_account_exists(account_id):
            raise PayoutAccountUnknown(
                "No such connected account.",
                errors=(
                    FieldError("account_id", "not a connected account", PayoutAccountUnknown.code),
                ),
            )
        linked_country = country or "US"
    else:
        linked_country = (country or "US").upper()
        # One account per payee and country, however often the request is repeated.
        account_id = ports.payments.create_connected_account(
            payee,
            country=linked_country,
            email=email,
            idempotency_key=f"payout-account:{payee.kind.value}:{payee.id}:{linked_country}",
        )
    account = PayoutAccount(
        payee=payee, account_id=account_id, country=linked_country.upper(), linked_at=now
    )
    ports.store.payouts.link_account(account)
    logger.info("payout account linked", extra={"payee_kind": payee.kind.value})
    return account


def payout_account(ports: Ports, payee: Payee) -> PayoutAccount | None:
    return ports.store.payouts.account(payee)
