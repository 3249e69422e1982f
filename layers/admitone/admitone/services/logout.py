"""Log out: the refresh token's whole family is revoked. Unknown tokens are fine too."""

from __future__ import annotations

from admitone.adapters.dynamo import accounts
from admitone.domain.errors import RefreshTokenInvalid
from admitone.services.session_tokens import RefreshToken


def logout(refresh_token: str) -> None:
    try:
        presented = RefreshToken.parse(refresh_token)
    except RefreshTokenInvalid:
        return
    family_id = accounts.family_of(presented.token_id, presented.secret_hash)
    if family_id is not None:
        accounts.revoke_session(family_id)
