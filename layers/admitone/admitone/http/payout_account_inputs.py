"""The body of ``PUT .../payout-account`` (a seller's or a venue's) and its answer."""

from __future__ import annotations

from datetime import datetime
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from admitone.domain.payouts import PayoutAccount

# Stripe's connected account ids: acct_ and up to 32 letters and digits.
ACCOUNT_ID_PATTERN = r"^acct_[A-Za-z0-9]{1,32}$"


class PayoutAccountRequest(BaseModel):
    """Either ``country`` (a connected account is made there, Express, for transfers) or
    ``account_id`` (one of the platform's connected accounts is linked), not both."""

    model_config = ConfigDict(extra="forbid")

    country: str | None = Field(default=None, pattern=r"^[A-Z]{2}$")
    account_id: str | None = Field(default=None, pattern=ACCOUNT_ID_PATTERN)

    @model_validator(mode="after")
    def _one_of(self) -> Self:
        if self.country is not None and self.account_id is not None:
            raise ValueError("give country (make an account) or account_id (link one), not both")
        return self


class PayoutAccountView(BaseModel):
    account_id: str
    country: str
    linked_at: datetime

    @classmethod
    def of(cls, account: PayoutAccount) -> PayoutAccountView:
        return cls(
            account_id=account.account_id, country=account.country, linked_at=account.linked_at
        )
