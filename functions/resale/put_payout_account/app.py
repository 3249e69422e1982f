"""PUT /me/payout-account: where the caller's resale proceeds are paid, a Stripe connected
account made for them (``country``) or one of the platform's they name (``account_id``).
422 PAYOUT_ACCOUNT_UNKNOWN for an account Stripe does not know."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body

from admitone.domain.payouts import Payee, PayeeKind
from admitone.http.payout_account_inputs import PayoutAccountRequest, PayoutAccountView
from admitone.http.principal import principal
from admitone.http.problems import documented
from admitone.http.resolver import http_handler, http_resolver
from admitone.services.payout_accounts import link_payout_account
from admitone.services.wiring import ports

app = http_resolver()


@app.put("/me/payout-account", openapi_extensions=documented(503))
def put_payout_account(request: Annotated[PayoutAccountRequest, Body()]) -> PayoutAccountView:
    caller = principal(app)
    account = link_payout_account(
        ports(),
        Payee(PayeeKind.SELLER, caller.user_id),
        email=caller.email,
        country=request.country,
        account_id=request.account_id,
    )
    return PayoutAccountView.of(account)


handler = http_handler(app)
