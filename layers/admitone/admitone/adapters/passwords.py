"""Password hashing with argon2id (argon2-cffi).

Parameters follow OWASP's argon2id baseline (19 MiB, 2 passes, 1 lane): ~30-60 ms
on a 512 MB Lambda. Upgrade path: the parameters live in the hash itself, so raising
them here makes ``needs_rehash`` true for older hashes; the login service then stores
a fresh hash of the password it has just verified. Nobody is asked to reset.
"""

from __future__ import annotations

import secrets
from contextlib import suppress
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Whether ``password`` matches; as slow for a hash that is none (an unclaimed
    account has ``""``) as for a real one, so the time taken does not tell them apart."""
    try:
        return _HASHER.verify(password_hash, password)
    except InvalidHashError:
        burn_verification_time(password)
        return False
    except VerificationError:
        return False


def needs_rehash(password_hash: str) -> bool:
    return _HASHER.check_needs_rehash(password_hash)


@cache
def _decoy_hash() -> str:
    return _HASHER.hash(secrets.token_urlsafe(16))


def burn_verification_time(password: str) -> None:
    """Spend what verifying a real hash costs, so unknown and known accounts answer alike."""
    with suppress(VerificationError):
        _HASHER.verify(_decoy_hash(), password)
