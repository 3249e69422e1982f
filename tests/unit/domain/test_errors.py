"""What the typed errors carry to a client: a stable code, a Retry-After that is never
zero, and answers that say no more than they should."""

from __future__ import annotations

import pytest

from admitone.domain.errors import (
    Conflict,
    EmailRejected,
    Locked,
    LoginThrottled,
    ResetLinkSuperseded,
    Throttled,
    TokenAlreadyUsed,
)


@pytest.mark.parametrize("error_type", [Locked, Throttled, LoginThrottled])
@pytest.mark.parametrize(("asked", "told"), [(-5, 1), (0, 1), (1, 1), (3600, 3600)])
def test_a_client_is_told_to_wait_at_least_a_second(error_type, asked, told):
    # A wait rounded down to 0 s would have a client retry at once, into the same refusal.
    error = error_type("Wait.", retry_after_seconds=asked)
    assert error.retry_after_seconds == told
    assert error.detail == "Wait."


def test_a_login_throttle_is_a_throttle_with_its_own_code():
    error = LoginThrottled("Too many attempts.", retry_after_seconds=30)
    assert isinstance(error, Throttled)
    assert (error.code, error.retry_after_seconds) == ("LOGIN_THROTTLED", 30)


def test_a_superseded_reset_link_is_answered_as_a_used_link():
    error = ResetLinkSuperseded()
    assert isinstance(error, TokenAlreadyUsed)
    assert isinstance(error, Conflict)
    assert error.code == TokenAlreadyUsed.code == "TOKEN_ALREADY_USED"
    assert error.detail == (
        "This reset link no longer works: the password changed after it was sent."
    )
    assert error.errors == ()


def test_a_rejected_email_keeps_ses_reason_for_logs_and_says_nothing_of_the_address():
    error = EmailRejected("MessageRejected")
    assert (error.code, error.reason) == ("EMAIL_REJECTED", "MessageRejected")
    assert error.detail == "The e-mail could not be sent."
    assert "@" not in str(error)
    assert EmailRejected("MailFromDomainNotVerified", "Not sent.").detail == "Not sent."
