"""Log in with e-mail and password: a token pair, or a refusal that does not say
whether the address has an account. RULES §16 lockout: 10 failures lock for 1 hour."""

from __future__ import annotations

import math
from datetime import UTC, datetime

from admitone.adapters import passwords
from admitone.adapters.dynamo import accounts
from admitone.domain.accounts import lock_after_failure, normalize_email
from admitone.domain.errors import AccountLocked, EmailNotVerified, InvalidCredentials
from admitone.domain.ids import Prefix, new_id
from admitone.observability import logger
from admitone.services.session_tokens import RefreshToken, TokenPair, issue_pair, start_session

_REFUSED = "The e-mail address or password is wrong."


def login(email: str, password: str, *, now: datetime | None = None) -> TokenPair:
    now = now or datetime.now(UTC)
    found = accounts.user_with_hash_by_email(normalize_email(email))
    if found is None:
        passwords.burn_verification_time(password)
        raise InvalidCredentials(_REFUSED)
    user, password_hash = found
    logger.append_keys(user_id=user.id)
    locked_for = user.locked_for(now)
    if locked_for is not None:
        raise AccountLocked(
            "Too many failed logins; try again later.",
            retry_after_seconds=math.ceil(locked_for.total_seconds()),
        )
    if not passwords.verify_password(password_hash, password):
        failures = accounts.record_failed_login(user.id)
        lock_until = lock_after_failure(failures, now)
        if lock_until is not None:
            accounts.lock_user(user.id, lock_until)
            logger.warning("account locked after repeated failed logins")
        raise InvalidCredentials(_REFUSED)
    if not user.email_verified:
        raise EmailNotVerified("Verify your e-mail address before logging in.")
    rehashed = passwords.hash_password(password) if passwords.needs_rehash(password_hash) else None
    accounts.record_successful_login(user.id, rehashed)
    refresh = RefreshToken.new()
    start_session(user, refresh, family_id=new_id(Prefix.SESSION, now=now), now=now)
    logger.info("logged in")
    return issue_pair(user, refresh, now)
