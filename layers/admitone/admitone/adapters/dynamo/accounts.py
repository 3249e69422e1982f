"""Users, their unique addresses, refresh-token families and one-time tokens."""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from admitone.adapters.dynamo import keys
from admitone.adapters.dynamo.table import (
    ConditionFailed,
    Item,
    TransactionCancelled,
    check_op,
    delete_op,
    get,
    put_op,
    transact,
    update,
    update_op,
)
from admitone.adapters.dynamo.transaction import Transaction
from admitone.domain.accounts import NotificationPreferences, User
from admitone.domain.errors import DependencyUnavailable, ResetLinkSuperseded, TokenAlreadyUsed
from admitone.domain.jwt_tokens import PasswordResetClaims, Role, VerifiedJwt

_NEW = "attribute_not_exists(PK)"


class EmailTaken(Exception):
    """Another account already uses the address."""


class OneTimeTokenSpent(Exception):
    """The one-time token was already used."""


@dataclass(frozen=True)
class Rotation:
    """A refresh token spent and its successor stored: whose session, when it started,
    and when the successor expires (never after the session's end)."""

    user_id: str
    session_started_at: datetime
    expires_at: datetime


class RotationRefused(Exception):
    """A refresh token could not be rotated; ``why`` is one of the class constants."""

    UNKNOWN = "unknown"
    REUSED = "reused"
    REVOKED = "revoked"

    def __init__(self, why: str, family_id: str | None = None) -> None:
        super().__init__(why)
        self.why = why
        self.family_id = family_id


def _epoch(moment: datetime) -> int:
    return int(moment.timestamp())


def _moment(epoch: int | None) -> datetime | None:
    return None if epoch is None else datetime.fromtimestamp(epoch, tz=UTC)


def _epoch_ms(moment: datetime) -> int:
    # Session starts and revocations are compared to each other: a login in the same
    # second as a password reset must still be told apart from the sessions it ended.
    return int(moment.timestamp() * 1000)


# --------------------------------------------------------------------- users
def _user_item(user: User, password_hash: str) -> Item:
    return {
        **keys.user(user.id),
        "entity": "user",
        "user_id": user.id,
        "email": user.email,
        "name": user.name,
        "roles": [role.value for role in user.roles],
        "email_verified": user.email_verified,
        "phone": user.phone,
        "preferences": user.preferences.model_dump(),
        "password_hash": password_hash,
        "created_at": _epoch(user.created_at),
    }


def _to_user(item: Item) -> User:
    return User(
        id=item["user_id"],
        email=item["email"],
        name=item["name"],
        roles=tuple(Role(role) for role in item["roles"]),
        created_at=datetime.fromtimestamp(item["created_at"], tz=UTC),
        email_verified=bool(item.get("email_verified")),
        phone=item.get("phone"),
        preferences=NotificationPreferences.model_validate(item.get("preferences") or {}),
        sessions_revoked_at=(
            None
            if item.get("sessions_revoked_at") is None
            else datetime.fromtimestamp(item["sessions_revoked_at"] / 1000, tz=UTC)
        ),
        password_version=int(item.get("password_version", 0)),
        suspended_at=_moment(item.get("suspended_at")),
        suspension_reason=item.get("suspension_reason"),
    )


def create_user(user: User, password_hash: str) -> None:
    """The user and the claim on their address, together; ``EmailTaken`` if claimed."""
    try:
        transact(
            [
                put_op(
                    {**keys.email_claim(user.email), "entity": "email", "user_id": user.id},
                    condition=_NEW,
                ),
                put_op(_user_item(user, password_hash), condition=_NEW),
            ]
        )
    except TransactionCancelled as cancelled:
        if cancelled.failed(0):
            raise EmailTaken(user.email) from None
        raise


def withdraw_unverified_user(user: User) -> bool:
    """Undo ``create_user``: the address claim and the user, together, only while the
    claim is still this user's and the address unverified; False (nothing removed) if not."""
    try:
        transact(
            [
                delete_op(
                    keys.email_claim(user.email),
                    condition="user_id = :id",
                    values={":id": user.id},
                ),
                delete_op(
                    keys.user(user.id),
                    condition="email_verified = :no",
                    values={":no": False},
                ),
            ]
        )
    except TransactionCancelled:
        return False
    return True


def user_by_id(user_id: str, *, consistent: bool = False) -> User | None:
    """The user, or None; ``DependencyUnavailable`` when the table cannot be read (the
    authorizer reads every caller here, and answers 503 rather than fail the request)."""
    try:
        item = get(keys.user(user_id), consistent=consistent)
    except (BotoCoreError, ClientError) as exc:
        raise DependencyUnavailable("The account store is unavailable.") from exc
    return _to_user(item) if item else None


def user_with_hash_by_email(email: str) -> tuple[User, str] | None:
    claim = get(keys.email_claim(email))
    if claim is None:
        return None
    item = get(keys.user(claim["user_id"]), consistent=True)
    return (_to_user(item), item["password_hash"]) if item else None


def record_successful_login(user_id: str, new_password_hash: str | None = None) -> None:
    """Store the fresh hash of a password just verified, if it needs one. Also drops
    what the old hour-long lockout left on the item (login_guard counts failures now)."""
    expression = "REMOVE failed_logins, locked_until"
    values: dict[str, Any] | None = None
    if new_password_hash is not None:
        expression = "SET password_hash = :hash REMOVE failed_logins, locked_until"
        values = {":hash": new_password_hash}
    update(keys.user(user_id), expression, values=values)


def update_profile(user_id: str, changes: dict[str, Any]) -> User:
    """Set the given profile attributes (name, phone, preferences); None removes one."""
    sets = [f"#{name} = :{name}" for name, value in changes.items() if value is not None]
    removes = [f"#{name}" for name, value in changes.items() if value is None]
    expression = " ".join(
        part
        for part in (
            "SET " + ", ".join(sets) if sets else "",
            "REMOVE " + ", ".join(removes) if removes else "",
        )
        if part
    )
    item = update(
        keys.user(user_id),
        expression,
        names={f"#{name}": name for name in changes},
        values={f":{name}": value for name, value in changes.items() if value is not None},
        condition="attribute_exists(PK)",
    )
    return _to_user(item)


def set_roles(user_id: str, roles: tuple[Role, ...], *, now: datetime) -> User | None:
    """New roles and, in the same write, every session of the user ended (refresh
    families and access tokens alike: they carry the old roles). None if no such user."""
    try:
        item = update(
            keys.user(user_id),
            "SET #roles = :roles, sessions_revoked_at = :now",
            names={"#roles": "roles"},
            values={":roles": [role.value for role in roles], ":now": _epoch_ms(now)},
            condition="attribute_exists(PK)",
        )
    except ConditionFailed:
        return None
    return _to_user(item)


def suspend_user(user_id: str, *, reason: str | None, now: datetime) -> User | None:
    """Suspend the user and end every session of theirs, in one write. Suspending again
    keeps the first moment (and ends sessions again: there are none). None if no such user."""
    sets = "suspended_at = if_not_exists(suspended_at, :at), sessions_revoked_at = :now"
    values: dict[str, Any] = {":at": _epoch(now), ":now": _epoch_ms(now)}
    if reason is None:
        expression = f"SET {sets} REMOVE suspension_reason"
    else:
        expression = f"SET {sets}, suspension_reason = :reason"
        values[":reason"] = reason
    try:
        item = update(
            keys.user(user_id), expression, values=values, condition="attribute_exists(PK)"
        )
    except ConditionFailed:
        return None
    return _to_user(item)


def reinstate_user(user_id: str) -> User | None:
    """Lift a suspension (a no-op when there is none). The sessions it ended stay ended."""
    try:
        item = update(
            keys.user(user_id),
            "REMOVE suspended_at, suspension_reason",
            condition="attribute_exists(PK)",
        )
    except ConditionFailed:
        return None
    return _to_user(item)


def _spend_op(token_id: str, expires_at: datetime) -> dict[str, Any]:
    return put_op(
        {**keys.used_token(token_id), "entity": "used_token", "expires_at": _epoch(expires_at)},
        condition=_NEW,
    )


def verify_email(user_id: str, token_id: str, token_expires_at: datetime) -> None:
    try:
        transact(
            [
                _spend_op(token_id, token_expires_at),
                update_op(
                    keys.user(user_id),
                    "SET email_verified = :yes",
                    values={":yes": True},
                    condition="attribute_exists(PK)",
                ),
            ]
        )
    except TransactionCancelled as cancelled:
        if cancelled.failed(0):
            raise OneTimeTokenSpent(token_id) from None
        raise


def reset_password(
    user_id: str,
    password_hash: str,
    *,
    link: VerifiedJwt[PasswordResetClaims],
    now: datetime,
) -> None:
    """New password (its version bumped), the address verified (the link reached it),
    and every session started before now dead (the login backoff is forgotten by the
    service). ``TokenAlreadyUsed`` when the link was spent, or the password it was sent
    for has changed since (another link, or any other change, came first)."""
    version = link.claims.pwv
    # Items written before versions existed carry none: that is version 0.
    unchanged = (
        "password_version = :version" if version else "attribute_not_exists(password_version)"
    )
    values: dict[str, Any] = {
        ":hash": password_hash,
        ":next": version + 1,
        ":now": _epoch_ms(now),
        ":verified": True,
    }
    if version:
        values[":version"] = version
    transaction = Transaction()
    transaction.stage(
        "reset_link",
        _spend_op(link.token_id, link.expires_at),
        error=TokenAlreadyUsed("This reset link was already used."),
    )
    transaction.stage(
        "user",
        update_op(
            keys.user(user_id),
            "SET password_hash = :hash, password_version = :next, sessions_revoked_at = :now,"
            " email_verified = :verified REMOVE failed_logins, locked_until",
            values=values,
            condition=f"attribute_exists(PK) AND {unchanged}",
        ),
        error=ResetLinkSuperseded(),
    )
    transaction.commit()


# ------------------------------------------------------------------ sessions
def _refresh_item(
    token_id: str, family_id: str, user_id: str, secret_hash: str, expires_at: datetime
) -> Item:
    return {
        **keys.refresh_token(token_id),
        "entity": "refresh_token",
        "family_id": family_id,
        "user_id": user_id,
        "secret_hash": secret_hash,
        "status": "active",
        "expires_at": _epoch(expires_at),
    }


def start_session(
    *,
    user_id: str,
    family_id: str,
    token_id: str,
    secret_hash: str,
    now: datetime,
    expires_at: datetime,
    ends_at: datetime,
) -> None:
    """A new session (refresh-token family) with its first token, which expires at
    ``expires_at``; no token of the family outlives ``ends_at`` (nor does the item: the
    table's TTL reads ``expires_at``)."""
    transact(
        [
            put_op(
                {
                    **keys.session(family_id),
                    "entity": "session",
                    "user_id": user_id,
                    "started_at_ms": _epoch_ms(now),
                    "revoked": False,
                    "ends_at": _epoch(ends_at),
                    "expires_at": _epoch(ends_at),
                },
                condition=_NEW,
            ),
            put_op(
                _refresh_item(token_id, family_id, user_id, secret_hash, expires_at), condition=_NEW
            ),
        ]
    )


def rotate_refresh_token(
    *,
    token_id: str,
    secret_hash: str,
    new_token_id: str,
    new_secret_hash: str,
    now: datetime,
    expires_at: datetime,
) -> Rotation:
    """Spend the presented token and issue its successor in one transaction; the
    successor expires at ``expires_at`` or at the session's end, whichever is first.

    Raises ``RotationRefused``: ``REUSED`` when the token was already rotated (the
    caller revokes the family), ``REVOKED`` when its family or all of the user's
    sessions were revoked, ``UNKNOWN`` otherwise (unknown, expired, or the session over).
    """
    current = get(keys.refresh_token(token_id), consistent=True)
    if (
        current is None
        or not hmac.compare_digest(current["secret_hash"], secret_hash)
        or current["expires_at"] <= _epoch(now)
    ):
        raise RotationRefused(RotationRefused.UNKNOWN)
    family_id, user_id = current["family_id"], current["user_id"]
    session = get(keys.session(family_id), consistent=True)
    if session is None:
        raise RotationRefused(RotationRefused.UNKNOWN)
    # Sessions started before the absolute end existed end with their first week.
    session_end = int(session["ends_at"] if "ends_at" in session else session["expires_at"])
    if session_end <= _epoch(now):
        raise RotationRefused(RotationRefused.UNKNOWN)
    successor_expiry = min(_epoch(expires_at), session_end)
    try:
        transact(
            [
                update_op(
                    keys.refresh_token(token_id),
                    "SET #status = :used, used_at = :now",
                    names={"#status": "status"},
                    values={
                        ":used": "used",
                        ":now": _epoch(now),
                        ":active": "active",
                        ":hash": secret_hash,
                    },
                    condition="#status = :active AND secret_hash = :hash",
                ),
                check_op(keys.session(family_id), "revoked = :no", values={":no": False}),
                check_op(
                    keys.user(user_id),
                    "attribute_exists(PK) AND (attribute_not_exists(sessions_revoked_at) "
                    "OR sessions_revoked_at < :started)",
                    values={":started": session["started_at_ms"]},
                ),
                put_op(
                    _refresh_item(
                        new_token_id,
                        family_id,
                        user_id,
                        new_secret_hash,
                        datetime.fromtimestamp(successor_expiry, tz=UTC),
                    ),
                    condition=_NEW,
                ),
            ]
        )
    except TransactionCancelled as cancelled:
        if cancelled.failed(0):
            raise RotationRefused(RotationRefused.REUSED, family_id) from None
        raise RotationRefused(RotationRefused.REVOKED, family_id) from None
    return Rotation(
        user_id=str(user_id),
        session_started_at=datetime.fromtimestamp(session["started_at_ms"] / 1000, tz=UTC),
        expires_at=datetime.fromtimestamp(successor_expiry, tz=UTC),
    )


def revoke_session(family_id: str) -> None:
    update(keys.session(family_id), "SET revoked = :yes", values={":yes": True})


def family_of(token_id: str, secret_hash: str) -> str | None:
    item = get(keys.refresh_token(token_id), consistent=True)
    if item is None or not hmac.compare_digest(item["secret_hash"], secret_hash):
        return None
    return str(item["family_id"])
