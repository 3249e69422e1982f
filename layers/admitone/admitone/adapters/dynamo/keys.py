"""Every key shape of the single table, one function each (see README.md here)."""

from __future__ import annotations

Key = dict[str, str]


def user(user_id: str) -> Key:
    return {"PK": f"USER#{user_id}", "SK": "PROFILE"}


def email_claim(normalized_email: str) -> Key:
    """Makes an address unique: exists iff an account uses it."""
    return {"PK": f"EMAIL#{normalized_email}", "SK": "EMAIL"}


def session(family_id: str) -> Key:
    """A refresh-token family: one login and every rotation that followed it."""
    return {"PK": f"SESSION#{family_id}", "SK": "SESSION"}


def refresh_token(token_id: str) -> Key:
    return {"PK": f"REFRESH#{token_id}", "SK": "REFRESH"}


def used_token(token_id: str) -> Key:
    """Marks a one-time token (e-mail verification, password reset) as spent."""
    return {"PK": f"ONCE#{token_id}", "SK": "ONCE"}


def rate_counter(family: str, key_kind: str, client_pseudonym: str, window_start: int) -> Key:
    """Hits of one client against one limit in one fixed window."""
    return {"PK": f"RATE#{family}#{key_kind}#{client_pseudonym}", "SK": f"WINDOW#{window_start}"}
