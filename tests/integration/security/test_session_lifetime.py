"""Issue 16 item 6: sessions with an end.

Hole shown here: each rotation of a refresh token granted another 7 days, so a session
rotated at least weekly lived for ever (a stolen refresh token kept working as long as
the thief kept rotating it). A session (refresh-token family) now ends 30 days after the
sign-in that started it, whatever the sliding window says.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from admitone.domain.errors import RefreshTokenInvalid
from tests.integration.conftest import Api, AwsStack
from tests.integration.test_identity import PASSWORD, register_and_verify

DAY = timedelta(days=1)


@pytest.fixture
def signed_in_at(api: Api, aws: AwsStack) -> tuple[datetime, str]:
    """(the moment of sign-in, its refresh token) for a fresh verified account."""
    register_and_verify(api, "ivy@example.com")
    from admitone.services.login import login  # noqa: PLC0415

    started = datetime.now(UTC)
    aws.use_function("LoginFunction")
    pair = login("ivy@example.com", PASSWORD, now=started)
    assert pair.refresh_expires_in == 7 * 86400
    aws.use_function("RefreshFunction")
    return started, pair.refresh_token


def test_rotating_every_six_days_ends_thirty_days_after_sign_in(signed_in_at):
    from admitone.services.refresh_session import refresh_session  # noqa: PLC0415

    started, token = signed_in_at
    for day in (6, 12, 18):
        pair = refresh_session(token, now=started + day * DAY)
        assert pair.refresh_expires_in == 7 * 86400
        token = pair.refresh_token
    # From day 23 on, the session's end is nearer than the sliding week.
    pair = refresh_session(token, now=started + 24 * DAY)
    assert pair.refresh_expires_in == 6 * 86400
    pair = refresh_session(pair.refresh_token, now=started + 29 * DAY + timedelta(hours=12))
    assert pair.refresh_expires_in == 12 * 3600
    last = pair.refresh_token

    with pytest.raises(RefreshTokenInvalid):
        refresh_session(last, now=started + 30 * DAY + timedelta(seconds=1))
    with pytest.raises(RefreshTokenInvalid):
        refresh_session(last, now=started + 36 * DAY)


def test_the_session_record_outlives_every_refresh_token_of_it(signed_in_at, aws: AwsStack):
    """The table's TTL deletes a session item at its expires_at; a rotated token must
    never outlive the session it belongs to (rotation needs that item)."""
    from admitone.adapters.dynamo import keys  # noqa: PLC0415
    from admitone.adapters.dynamo.table import get  # noqa: PLC0415
    from admitone.services.refresh_session import refresh_session  # noqa: PLC0415
    from admitone.services.session_tokens import RefreshToken  # noqa: PLC0415

    started, token = signed_in_at
    for day in (6, 12, 18, 24):
        token = refresh_session(token, now=started + day * DAY).refresh_token
        refresh = get(keys.refresh_token(RefreshToken.parse(token).token_id), consistent=True)
        assert refresh is not None
        session = get(keys.session(refresh["family_id"]), consistent=True)
        assert session is not None
        assert session["expires_at"] >= refresh["expires_at"]
        assert session["expires_at"] <= int((started + 30 * DAY).timestamp()) + 1


def test_a_quiet_week_still_ends_a_session(signed_in_at):
    from admitone.services.refresh_session import refresh_session  # noqa: PLC0415

    started, token = signed_in_at
    with pytest.raises(RefreshTokenInvalid):
        refresh_session(token, now=started + 7 * DAY + timedelta(seconds=1))
