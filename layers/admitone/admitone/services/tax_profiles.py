"""A seller's tax profile (RULES §18): saved with the TIN sealed, shown with it masked.

``PUT /me/tax-profile`` replaces the caller's profile whole; the TIN is checked, sealed
under a fresh data key bound to the caller (``tin_context``) and never stored, logged or
returned in clear. Every answer shows it masked, opened from the sealed value.
"""

from __future__ import annotations

from datetime import UTC, datetime

from admitone.domain.accounts import Principal
from admitone.domain.tax_forms import (
    PayeeAddress,
    ShownProfile,
    TaxProfile,
    TaxProfileMissing,
    TinKind,
    checked_address,
    checked_name,
    mask_tin,
    normalized_tin,
    tin_context,
)
from admitone.observability import logger
from admitone.ports import Ports


def save_tax_profile(
    ports: Ports,
    caller: Principal,
    *,
    legal_name: str,
    tin_kind: TinKind,
    tin: str,
    address: PayeeAddress,
    now: datetime | None = None,
) -> ShownProfile:
    digits = normalized_tin(tin, tin_kind)
    profile = TaxProfile(
        user_id=caller.user_id,
        legal_name=checked_name(legal_name),
        tin_kind=tin_kind,
        sealed_tin=ports.envelopes.seal(digits, context=tin_context(caller.user_id)),
        address=checked_address(address),
        updated_at=now or datetime.now(UTC),
    )
    ports.store.tax_profiles.save(profile)
    logger.info("tax profile saved", extra={"tin_kind": tin_kind.value})
    return _shown(profile, digits)


def tax_profile_of(ports: Ports, caller: Principal) -> ShownProfile:
    profile = ports.store.tax_profiles.get(caller.user_id)
    if profile is None:
        raise TaxProfileMissing("You have saved no tax profile.")
    return shown(ports, profile)


def shown(ports: Ports, profile: TaxProfile) -> ShownProfile:
    """``profile`` with its TIN opened and masked."""
    digits = ports.envelopes.open(profile.sealed_tin, context=tin_context(profile.user_id))
    return _shown(profile, digits)


def _shown(profile: TaxProfile, digits: str) -> ShownProfile:
    return ShownProfile(
        legal_name=profile.legal_name,
        tin_kind=profile.tin_kind,
        tin_masked=mask_tin(digits, profile.tin_kind),
        address=profile.address,
        updated_at=profile.updated_at,
    )
