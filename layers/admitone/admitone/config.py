"""Typed settings, read once per container from the environment.

This is the only module that reads ``os.environ``. A missing required variable
fails at the first ``settings()`` call (the first invocation), naming the variable.
"""

from __future__ import annotations

import os
from functools import cache

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from admitone import __version__


class SettingsError(RuntimeError):
    """The function's environment is incomplete or malformed."""


class Settings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True)

    stage: str = Field(alias="STAGE", min_length=1)
    aws_region: str = Field(alias="AWS_REGION", min_length=1)
    table_name: str = Field(alias="TABLE_NAME", min_length=1)
    event_bus_name: str = Field(alias="EVENT_BUS_NAME", min_length=1)
    # Secrets Manager ids; the values never sit in the environment.
    stripe_secret_id: str = Field(alias="STRIPE_SECRET_ID", min_length=1)
    signing_keys_secret_id: str = Field(alias="SIGNING_KEYS_SECRET_ID", min_length=1)
    stripe_api_base: str = Field(alias="STRIPE_API_BASE", default="https://api.stripe.com")
    # `iss` of every JWT this stack signs and accepts.
    jwt_issuer: str = Field(alias="JWT_ISSUER", min_length=1)
    # Sender of every e-mail (an address of the verified SES identity).
    mail_from: str = Field(alias="MAIL_FROM", pattern=r"^[^@\s]+@[^@\s]+$")
    # The FIFO queue the Stripe webhook intake feeds (one group per PaymentIntent).
    payment_events_queue_url: str = Field(alias="PAYMENT_EVENTS_QUEUE_URL", min_length=1)
    # The queue that refunds a cancelled event's orders, page by page (it feeds itself).
    cancellation_refunds_queue_url: str | None = Field(
        alias="CANCELLATION_REFUNDS_QUEUE_URL", default=None
    )
    # Where the mint worker puts the messages of tickets it gave up minting (RULES §17).
    mint_dlq_url: str | None = Field(alias="MINT_DLQ_URL", default=None)
    # Where the buyer-facing app lives: links in e-mails point there.
    app_base_url: str = Field(alias="APP_BASE_URL", pattern=r"^https?://")
    # Organizer webhooks may target http://127.0.0.1 (a local stack's receivers); a
    # deployed stack leaves it false: https to public addresses only.
    webhooks_allow_loopback: bool = Field(alias="WEBHOOKS_ALLOW_LOOPBACK", default=False)
    secrets_max_age_seconds: int = Field(alias="SECRETS_MAX_AGE_SECONDS", default=300, ge=0)
    # How long a funded resale escrow waits before its payment is captured (RULES §13);
    # the release queue delays its messages as long (SQS allows at most 900 s).
    resale_cooling_seconds: int = Field(alias="RESALE_COOLING_SECONDS", default=600, ge=0, le=900)
    # The KMS key (an alias) that wraps the data keys of sealed secrets (TINs, webhook
    # signing secrets: ports/envelopes.py). Only the functions that seal or open need it.
    envelope_key_id: str | None = Field(alias="ENVELOPE_KEY_ID", default=None, min_length=1)


class ObservabilitySettings(BaseModel):
    """What error reporting and tracing need at import (cold start), before a handler
    runs: nothing here is required, so a module imports even where ``settings()`` fails."""

    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True)

    stage: str | None = Field(alias="STAGE", default=None)
    # Empty or unset: no error reporting, and sentry_sdk is never imported.
    sentry_dsn: str | None = Field(alias="SENTRY_DSN", default=None)
    # What Sentry files errors under; a deployment may pass its commit (template: Release).
    release: str = Field(alias="RELEASE", default=f"admitone@{__version__}")
    # The template derives it from its Tracing parameter; off unless asked for.
    trace_disabled: bool = Field(alias="POWERTOOLS_TRACE_DISABLED", default=True)

    @property
    def tracing(self) -> bool:
        return not self.trace_disabled


class ChainSettings(BaseModel):
    """The mint worker's chain (only its function has these variables): where the JSON-RPC
    node is, which chain and contract, the secret with the keys, and the caps."""

    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True)

    chain_name: str = Field(alias="CHAIN_NAME", default="polygon")
    rpc_url: str = Field(alias="CHAIN_RPC_URL", pattern=r"^https?://")
    chain_id: int = Field(alias="CHAIN_ID", gt=0)
    contract_address: str = Field(alias="TICKET_CONTRACT_ADDRESS", pattern=r"^0x[0-9a-fA-F]{40}$")
    # The block the contract was deployed in: its logs are searched from there.
    contract_block: int = Field(alias="TICKET_CONTRACT_BLOCK", default=0, ge=0)
    keys_secret_id: str = Field(alias="CHAIN_KEYS_SECRET_ID", min_length=1)
    max_gas: int = Field(alias="CHAIN_MAX_GAS", default=6_000_000, gt=0)
    max_fee_gwei: int = Field(alias="CHAIN_MAX_FEE_GWEI", default=1_000, gt=0)
    # How long one attempt waits for its transaction's receipt before leaving it to the next.
    receipt_wait_seconds: int = Field(alias="CHAIN_RECEIPT_WAIT_SECONDS", default=20, gt=0)
    # How long a sent transaction may stay unmined before it is replaced with a higher fee
    # (Polygon mines a block every ~2 s: minutes unmined means its fee is too low).
    replace_after_seconds: int = Field(alias="CHAIN_REPLACE_AFTER_SECONDS", default=120, gt=0)

    @field_validator("contract_address")
    @classmethod
    def _deployed(cls, address: str) -> str:
        # The template's default until the contract is deployed: minting must stop loudly
        # (its messages reach the DLQ and its alarm), not mint to nowhere.
        if int(address, 16) == 0:
            raise ValueError("the ticket contract is not deployed (zero address)")
        return address


def _environment() -> dict[str, str]:
    env = dict(os.environ)
    # Lambda sets AWS_REGION; local tools often only set AWS_DEFAULT_REGION.
    if "AWS_REGION" not in env and "AWS_DEFAULT_REGION" in env:
        env["AWS_REGION"] = env["AWS_DEFAULT_REGION"]
    # An empty optional variable (SENTRY_DSN="") means "not configured".
    return {key: value for key, value in env.items() if value != ""}


@cache
def settings() -> Settings:
    try:
        return Settings.model_validate(_environment())
    except ValidationError as exc:
        missing = ", ".join(
            str(error["loc"][0]) for error in exc.errors(include_url=False) if error["loc"]
        )
        raise SettingsError(f"environment is incomplete or malformed: {missing}") from None


@cache
def chain_settings() -> ChainSettings:
    try:
        return ChainSettings.model_validate(_environment())
    except ValidationError as exc:
        missing = ", ".join(
            str(error["loc"][0]) for error in exc.errors(include_url=False) if error["loc"]
        )
        raise SettingsError(f"chain settings incomplete or malformed: {missing}") from None


@cache
def observability_settings() -> ObservabilitySettings:
    try:
        return ObservabilitySettings.model_validate(_environment())
    except ValidationError as exc:
        malformed = ", ".join(
            str(error["loc"][0]) for error in exc.errors(include_url=False) if error["loc"]
        )
        raise SettingsError(f"environment is malformed: {malformed}") from None
