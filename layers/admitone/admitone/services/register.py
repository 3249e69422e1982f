"""Register an account. Known and unknown addresses get the same answer in about the
same time; the mailbox owner learns which case it was.

The account is written, then its verification e-mail sent. When the send fails, the
account is withdrawn again (nobody has its link yet) and the error answers the request
(503 for SES down or throttled: retry), so that a retry registers afresh and gets the
e-mail. Should the withdrawal fail too, or the function die between the two, the retry
reaches the known-address e-mail, whose reset link verifies the address (a reset proves
the mailbox): every path ends with a usable account.
"""

from __future__ import annotations

from datetime import UTC, datetime

from admitone.adapters import mail, passwords
from admitone.adapters.dynamo import accounts
from admitone.adapters.signing_keys import load_keyset
from admitone.config import settings
from admitone.domain import messages
from admitone.domain.accounts import User, check_password_policy, normalize_email
from admitone.domain.ids import Prefix, new_id
from admitone.domain.jwt_tokens import (
    EmailVerificationClaims,
    Role,
    email_fingerprint,
    issue_jwt,
)
from admitone.observability import logger


def app_link(path: str, **query: str) -> str:
    return messages.app_link(settings().app_base_url, path, **query)


def verification_link(user: User, now: datetime) -> str:
    token = issue_jwt(
        EmailVerificationClaims(sub=user.id, eml=email_fingerprint(user.email)),
        keys=load_keyset(),
        issuer=settings().jwt_issuer,
        now=now,
    )
    return app_link("/verify-email", token=token.token)


def register(email: str, password: str, name: str, *, now: datetime | None = None) -> None:
    now = now or datetime.now(UTC)
    address = normalize_email(email)
    check_password_policy(password)
    # Hash before looking the address up: both paths pay for it, so the answer's
    # timing does not tell whether the address has an account.
    password_hash = passwords.hash_password(password)
    user = User(
        id=new_id(Prefix.USER, now=now),
        email=address,
        name=name.strip(),
        roles=(Role.BUYER,),
        created_at=now,
    )
    try:
        accounts.create_user(user, password_hash)
    except accounts.EmailTaken:
        logger.info("registration for an existing address")
        # Greet the owner by the name on file: the name just typed is anyone's text.
        existing = accounts.user_with_hash_by_email(address)
        mail.send_email(
            messages.account_already_exists(
                address,
                existing[0].name if existing else "",
                login_url=app_link("/login"),
                reset_url=app_link("/forgot-password"),
            )
        )
        return
    logger.append_keys(user_id=user.id)
    logger.info("account registered")
    try:
        mail.send_email(messages.verify_email(address, user.name, verification_link(user, now)))
    except Exception:
        # Not a catch-all: the failure goes on to the caller, once the account is gone.
        withdrawn = accounts.withdraw_unverified_user(user)
        logger.warning("verification e-mail not sent", extra={"account_withdrawn": withdrawn})
        raise
