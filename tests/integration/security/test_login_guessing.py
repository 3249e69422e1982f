"""Guessing passwords at POST /auth/login (issue 16, item 4).

The holes: after 10 failures a real account answered 423 ACCOUNT_LOCKED while an
unknown address kept answering 401 (an enumeration oracle); the lock lasted an hour
whoever triggered it and failures never decayed (anyone could lock anyone out); an
account without a password skipped argon2 and answered faster (a timing oracle); the
owner was never told. Now every address, known or not, backs off alike; so does a
source guessing many addresses; the owner of a real account gets one e-mail.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import argon2._password_hasher as argon2_hasher
import pytest

from admitone.domain.errors import DomainError
from admitone.http import rate_limiting
from admitone.services import login as login_service
from admitone.services import refresh_session as refresh_service
from tests.clocks import Clock
from tests.integration.conftest import Api, AwsStack
from tests.integration.test_identity import PASSWORD, register_and_verify
from tests.integration.test_notifier import run_notifier
from tests.integration.test_outbox_drain import stream_records
from tests.mailbox import find_link, sent_in_process

# The start of a minute: the per-IP auth limit (5/min) is counted in whole minutes.
START = datetime(2026, 11, 23, 18, 0, tzinfo=UTC)
WRONG = "not the password at all"
# Headers that differ per request whatever is asked (none of them depends on the address).
_PER_REQUEST = frozenset({"date", "x-request-id", "apigw-requestid", "x-amzn-requestid"})


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock(START)
    monkeypatch.setattr(rate_limiting, "clock", fake)
    monkeypatch.setattr(login_service, "clock", fake, raising=False)
    monkeypatch.setattr(refresh_service, "clock", fake)
    return fake


def _addresses(prefix: str) -> Callable[[], str]:
    counter = iter(range(1, 255))
    return lambda: f"{prefix}.{next(counter)}"


def attempt(api: Api, email: str, password: str = WRONG, ip: str | None = None) -> Any:
    return api.post("/auth/login", {"email": email, "password": password}, ip=ip)


def answer(response: Any) -> tuple[int, dict[str, str], bytes]:
    """What a caller can compare between two answers: status, headers, body."""
    headers = {k: v for k, v in response.headers.items() if k not in _PER_REQUEST}
    return response.status, headers, response.body


def unclaimed_account(aws: AwsStack, email: str) -> None:
    """An account made for a ticket's recipient: it has no password until claimed."""
    aws.use_function("LoginFunction")
    from admitone.services.accounts_by_email import user_for_email  # noqa: PLC0415

    user_for_email(email, now=START)


def reset_password(api: Api, email: str, new_password: str) -> None:
    api.post("/auth/password/forgot", {"email": email})
    (reset_mail,) = [
        mail
        for mail in sent_in_process()
        if email in mail.to and "/reset-password" in (mail.text or "")
    ]
    token = find_link(reset_mail, r"/reset-password").split("token=", 1)[1]
    reset = api.post("/auth/password/reset", {"token": token, "password": new_password})
    assert reset.status == 204


def test_a_real_an_unclaimed_and_an_unknown_address_answer_eleven_wrong_passwords_alike(
    api: Api, aws: AwsStack, clock: Clock
):
    register_and_verify(api, "linus@example.com")
    unclaimed_account(aws, "ken@example.com")
    answers: dict[str, list[tuple[int, dict[str, str], bytes]]] = {}
    for email, subnet in (
        ("linus@example.com", "203.0.113"),
        ("ken@example.com", "198.51.100"),
        ("nobody@example.com", "192.0.2"),
    ):
        next_ip = _addresses(subnet)
        answers[email] = [answer(attempt(api, email, ip=next_ip())) for _ in range(11)]

    assert answers["linus@example.com"] == answers["ken@example.com"]
    assert answers["linus@example.com"] == answers["nobody@example.com"]
    statuses = [status for status, _, _ in answers["nobody@example.com"]]
    assert statuses[:5] == [401] * 5  # a few free tries, then the address backs off
    assert set(statuses[5:]) <= {401, 429}
    assert 429 in statuses


def test_inside_the_backoff_every_address_gets_the_same_429_even_with_the_right_password(
    api: Api, aws: AwsStack, clock: Clock
):
    register_and_verify(api, "grace@example.com")
    next_ip = _addresses("203.0.113")
    for email in ("grace@example.com", "nobody@example.com"):
        for _ in range(6):
            attempt(api, email, ip=next_ip())
    refused_owner = attempt(api, "grace@example.com", PASSWORD, ip=next_ip())
    refused_stranger = attempt(api, "nobody@example.com", PASSWORD, ip=next_ip())

    assert refused_owner.status == 429
    assert refused_owner.json()["code"] == "LOGIN_THROTTLED"
    assert int(refused_owner.headers["retry-after"]) >= 1
    assert answer(refused_owner) == answer(refused_stranger)


def test_the_backoff_ends_so_the_owner_is_not_locked_out_for_an_hour(api: Api, clock: Clock):
    register_and_verify(api, "alan@example.com")
    next_ip = _addresses("203.0.113")
    for _ in range(10):
        clock.advance(seconds=40)  # waits out each delay, so every one is a real guess
        assert attempt(api, "alan@example.com", ip=next_ip()).status == 401

    refused = attempt(api, "alan@example.com", PASSWORD, ip=next_ip())
    assert refused.status == 429
    clock.advance(seconds=int(refused.headers["retry-after"]))

    assert attempt(api, "alan@example.com", PASSWORD, ip=next_ip()).status == 200


def test_failures_decay_and_a_success_forgets_them(api: Api, clock: Clock):
    register_and_verify(api, "barbara@example.com")
    next_ip = _addresses("203.0.113")
    for _ in range(5):
        attempt(api, "barbara@example.com", ip=next_ip())
    assert attempt(api, "barbara@example.com", ip=next_ip()).status == 429

    clock.advance(hours=2)  # long quiet: the failures are forgiven
    assert [attempt(api, "barbara@example.com", ip=next_ip()).status for _ in range(5)] == [401] * 5

    clock.advance(seconds=1)
    assert attempt(api, "barbara@example.com", PASSWORD, ip=next_ip()).status == 200
    # The success forgot all of them: five more free tries.
    assert [attempt(api, "barbara@example.com", ip=next_ip()).status for _ in range(5)] == [401] * 5


def test_one_source_guessing_many_addresses_is_slowed_down(api: Api, clock: Clock):
    statuses = []
    for n in range(25):
        if n and n % 5 == 0:
            clock.advance(minutes=1)  # stays within the per-IP auth rate limit (5/min)
        statuses.append(attempt(api, f"victim{n}@example.com", ip="203.0.113.77").json()["code"])

    assert statuses[:20] == ["INVALID_CREDENTIALS"] * 20
    assert "LOGIN_THROTTLED" in statuses[20:]
    # Another source is not held up by this one.
    assert attempt(api, "victim0@example.com", ip="203.0.113.78").status == 401


def test_unclaimed_and_unknown_addresses_run_argon2_once_like_a_real_account(
    api: Api, aws: AwsStack, clock: Clock, monkeypatch: pytest.MonkeyPatch
):
    register_and_verify(api, "edsger@example.com")
    unclaimed_account(aws, "tony@example.com")
    calls: list[bytes] = []
    real_verify_secret = argon2_hasher.verify_secret

    def counting_verify_secret(hash: bytes, secret: bytes, type: Any) -> Any:
        calls.append(hash)
        return real_verify_secret(hash, secret, type)

    monkeypatch.setattr(argon2_hasher, "verify_secret", counting_verify_secret)
    verifications = {}
    for email in ("edsger@example.com", "tony@example.com", "nobody@example.com"):
        calls.clear()
        assert attempt(api, email).status == 401
        verifications[email] = len(calls)

    assert verifications == {
        "edsger@example.com": 1,
        "tony@example.com": 1,
        "nobody@example.com": 1,
    }


def test_the_owner_is_told_once_by_email_and_an_unknown_address_never(
    api: Api, aws: AwsStack, clock: Clock
):
    register_and_verify(api, "margaret@example.com", "Margaret")
    unclaimed_account(aws, "joan@example.com")
    before = len(sent_in_process())
    next_ip = _addresses("203.0.113")
    for _ in range(12):
        for email in ("margaret@example.com", "joan@example.com", "nobody@example.com"):
            attempt(api, email, ip=next_ip())
        clock.advance(minutes=1)
    records = stream_records(aws)  # the drain refuses an empty batch: publish only if any
    if records:
        assert aws.invoke("OutboxDrainFunction", {"Records": records}) == {"batchItemFailures": []}
    run_notifier(aws)

    sent = sent_in_process()[before:]
    assert [mail.to for mail in sent] == [("margaret@example.com",)]
    (notice,) = sent
    assert "sign-in" in notice.subject.lower()
    assert notice.text is not None
    assert notice.html is not None
    assert "Margaret" in notice.text
    assert "reset" in notice.text.lower()
    assert "203.0.113" not in notice.text  # where the guesses come from is not said
    assert "203.0.113" not in notice.html


def test_parallel_guesses_cannot_slip_past_the_backoff(api: Api, aws: AwsStack, clock: Clock):
    register_and_verify(api, "frances@example.com")
    next_ip = _addresses("203.0.113")
    for _ in range(5):
        assert attempt(api, "frances@example.com", ip=next_ip()).status == 401
    clock.advance(seconds=1)  # the first delay is over: one more guess may be tried
    # The service itself on many threads (one Lambda container serves one request at
    # a time, so concurrent requests are concurrent containers sharing the table).
    aws.use_function("LoginFunction")
    ips = [next_ip() for _ in range(12)]
    start = threading.Barrier(len(ips))

    def guess(ip: str) -> str:
        start.wait()
        try:
            login_service.login("frances@example.com", WRONG, source=ip)
        except DomainError as refused:
            return refused.code
        return "LOGGED_IN"

    with ThreadPoolExecutor(len(ips)) as pool:
        outcomes = sorted(pool.map(guess, ips))

    # Of twelve guesses at once, exactly one is tried; the others meet its delay.
    assert outcomes == ["INVALID_CREDENTIALS"] + ["LOGIN_THROTTLED"] * 11


def test_an_owner_who_resets_their_password_signs_in_at_once_inside_a_backoff(
    api: Api, clock: Clock
):
    register_and_verify(api, "barbara@example.com")
    next_ip = _addresses("203.0.113")
    for _ in range(8):
        attempt(api, "barbara@example.com", ip=next_ip())
    assert attempt(api, "barbara@example.com", PASSWORD, ip=next_ip()).status == 429

    reset_password(api, "barbara@example.com", "a brand new password")

    signed_in = attempt(api, "barbara@example.com", "a brand new password", ip=next_ip())
    assert signed_in.status == 200


# Issue 33, item 6: strangers' failures put the owner's correct password behind 429.
OWNER_HOME = "192.0.2.10"


def test_the_owner_signs_in_from_where_they_signed_in_before_while_strangers_guess(
    api: Api, clock: Clock
):
    register_and_verify(api, "ada@example.com")
    assert attempt(api, "ada@example.com", PASSWORD, ip=OWNER_HOME).status == 200
    strangers = _addresses("203.0.113")
    guesses = [attempt(api, "ada@example.com", ip=strangers()).json()["code"] for _ in range(8)]
    assert guesses == ["INVALID_CREDENTIALS"] * 5 + ["LOGIN_THROTTLED"] * 3
    new_place = "198.51.100.200"
    assert attempt(api, "ada@example.com", PASSWORD, ip=new_place).json()["code"] == (
        "LOGIN_THROTTLED"
    )

    assert attempt(api, "ada@example.com", PASSWORD, ip=OWNER_HOME).status == 200
    # The owner's sign-in ends nothing for anyone else: the strangers' wait still runs.
    assert attempt(api, "ada@example.com", PASSWORD, ip=new_place).json()["code"] == (
        "LOGIN_THROTTLED"
    )
    assert attempt(api, "ada@example.com", ip=strangers()).json()["code"] == "LOGIN_THROTTLED"


def test_an_ipv6_source_is_known_by_its_64_network(api: Api, clock: Clock):
    register_and_verify(api, "ada@example.com")
    assert attempt(api, "ada@example.com", PASSWORD, ip="2001:db8:7:1::1").status == 200
    strangers = _addresses("203.0.113")
    for _ in range(8):
        attempt(api, "ada@example.com", ip=strangers())

    assert attempt(api, "ada@example.com", PASSWORD, ip="2001:db8:7:1::beef").status == 200
    refused = attempt(api, "ada@example.com", PASSWORD, ip="2001:db8:7:2::1")
    assert refused.json()["code"] == "LOGIN_THROTTLED"


def test_guesses_from_a_known_source_back_off_on_their_own(api: Api, clock: Clock):
    register_and_verify(api, "ada@example.com")
    assert attempt(api, "ada@example.com", PASSWORD, ip=OWNER_HOME).status == 200
    clock.advance(minutes=1)  # the per-IP auth limit (5/min) is not what is tested
    for _ in range(4):
        assert attempt(api, "ada@example.com", ip=OWNER_HOME).status == 401
    clock.advance(minutes=1)
    assert attempt(api, "ada@example.com", ip=OWNER_HOME).status == 401

    refused = attempt(api, "ada@example.com", PASSWORD, ip=OWNER_HOME)
    assert refused.json()["code"] == "LOGIN_THROTTLED"
    # Those failures were the known source's own: a stranger still has the free tries.
    assert attempt(api, "ada@example.com", ip="203.0.113.9").json()["code"] == (
        "INVALID_CREDENTIALS"
    )


def test_a_source_known_to_one_address_is_a_stranger_to_every_other(api: Api, clock: Clock):
    register_and_verify(api, "ada@example.com")
    register_and_verify(api, "grace@example.com")
    assert attempt(api, "ada@example.com", PASSWORD, ip=OWNER_HOME).status == 200
    strangers = _addresses("203.0.113")
    for email in ("grace@example.com", "nobody@example.com"):
        for _ in range(6):
            attempt(api, email, ip=strangers())

    grace = attempt(api, "grace@example.com", PASSWORD, ip=OWNER_HOME)
    nobody = attempt(api, "nobody@example.com", PASSWORD, ip=OWNER_HOME)
    assert grace.json()["code"] == "LOGIN_THROTTLED"
    assert answer(grace) == answer(nobody)


def test_a_known_source_is_stored_only_as_a_keyed_digest(api: Api, aws: AwsStack, clock: Clock):
    register_and_verify(api, "ada@example.com")
    assert attempt(api, "ada@example.com", PASSWORD, ip="2001:db8:7:1::1").status == 200
    assert attempt(api, "ada@example.com", PASSWORD, ip=OWNER_HOME).status == 200

    table = aws.stack.physical_name("Table")
    stored = json.dumps(aws.client("dynamodb").scan(TableName=table)["Items"])
    assert "login_known_sources" in stored
    for raw in ("192.0.2.10", "2001:db8:7:1", "2001:0db8:0007:0001"):
        assert raw not in stored


def test_a_password_reset_makes_every_known_source_a_stranger_again(api: Api, clock: Clock):
    register_and_verify(api, "ada@example.com")
    thief = "192.0.2.66"
    assert attempt(api, "ada@example.com", PASSWORD, ip=thief).status == 200
    reset_password(api, "ada@example.com", "a brand new password")
    strangers = _addresses("203.0.113")
    for _ in range(6):
        attempt(api, "ada@example.com", ip=strangers())

    assert attempt(api, "ada@example.com", ip=thief).json()["code"] == "LOGIN_THROTTLED"


def test_a_network_a_live_session_was_refreshed_from_is_known_too(api: Api, clock: Clock):
    register_and_verify(api, "ada@example.com")
    signed_in = attempt(api, "ada@example.com", PASSWORD, ip=OWNER_HOME).json()
    cafe = "2001:db8:cafe:1::20"
    refreshed = api.post("/auth/refresh", {"refresh_token": signed_in["refresh_token"]}, ip=cafe)
    assert refreshed.status == 200
    strangers = _addresses("203.0.113")
    for _ in range(8):
        attempt(api, "ada@example.com", ip=strangers())

    assert attempt(api, "ada@example.com", PASSWORD, ip=cafe).status == 200
