"""Accounts and sessions through the API as a client sees it: routes, the authorizer
and the handlers of template.yaml, on moto, with e-mails read back from SES."""

from __future__ import annotations

import base64
import json
import re
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from admitone.adapters import mail, passwords
from tests.integration.conftest import Api, AwsStack
from tests.mailbox import find_link, sent_in_process

PASSWORD = "correct horse battery"


def _mail_to(address: str) -> list[Any]:
    return [mail for mail in sent_in_process() if address in mail.to]


def _token_from(link: str) -> str:
    match = re.search(r"token=([^&\s]+)", link)
    assert match, link
    return match.group(1)


def register_and_verify(api: Api, email: str, name: str = "Ada") -> None:
    assert (
        api.post("/auth/register", {"email": email, "password": PASSWORD, "name": name}).status
        == 201
    )
    link = find_link(_mail_to(email)[-1], r"/verify-email")
    assert api.post("/auth/verify-email", {"token": _token_from(link)}).status == 200


def login(api: Api, email: str, password: str = PASSWORD, **kwargs: Any) -> dict[str, Any]:
    response = api.post("/auth/login", {"email": email, "password": password}, **kwargs)
    assert response.status == 200, response.body
    return response.json()


def test_register_verify_login_and_read_my_profile(api: Api):
    response = api.post(
        "/auth/register", {"email": "  Ada@Example.COM ", "password": PASSWORD, "name": "Ada"}
    )
    assert response.status == 201
    (mail,) = _mail_to("ada@example.com")
    assert "confirm your e-mail" in mail.subject.lower()
    assert (
        api.post("/auth/login", {"email": "ada@example.com", "password": PASSWORD}).json()["code"]
        == "EMAIL_NOT_VERIFIED"
    )

    token = _token_from(find_link(mail, r"/verify-email"))
    assert api.post("/auth/verify-email", {"token": token}).status == 200
    again = api.post("/auth/verify-email", {"token": token})
    assert (again.status, again.json()["code"]) == (409, "TOKEN_ALREADY_USED")

    pair = login(api, "ADA@example.com")
    assert pair["token_type"] == "Bearer"
    assert pair["expires_in"] == 900
    me = api.get("/me", token=pair["access_token"])
    assert me.status == 200
    assert me.json()["email"] == "ada@example.com"
    assert me.json()["roles"] == ["buyer"]
    assert me.json()["email_verified"] is True
    assert "password_hash" not in me.body.decode()


def test_registering_a_known_address_answers_the_same_and_mails_the_owner(api: Api):
    register_and_verify(api, "grace@example.com", "Grace")
    first = api.post(
        "/auth/register", {"email": "newbie@example.com", "password": PASSWORD, "name": "N"}
    )
    again = api.post(
        "/auth/register",
        {"email": "grace@example.com", "password": "another password", "name": "X"},
    )
    assert (first.status, first.json()) == (again.status, again.json())
    assert "already" in _mail_to("grace@example.com")[-1].text.lower()
    assert login(api, "grace@example.com")  # the old password still works


def test_a_tampered_access_token_is_a_401_problem(api: Api):
    register_and_verify(api, "alan@example.com")
    token = login(api, "alan@example.com")["access_token"]
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["roles"] = ["buyer", "admin"]
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    for bad in (
        f"{header}.{forged}.{signature}",
        token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1],
    ):
        response = api.get("/me", token=bad)
        assert response.status == 401
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["code"] == "TOKEN_INVALID"
        assert response.headers["www-authenticate"].startswith("Bearer")


def test_a_request_without_a_token_is_refused_by_the_gateway(api: Api):
    assert api.get("/me").status == 401


def test_refresh_rotates_and_reuse_revokes_the_whole_family(api: Api):
    register_and_verify(api, "barbara@example.com")
    first = login(api, "barbara@example.com")
    second = api.post("/auth/refresh", {"refresh_token": first["refresh_token"]})
    assert second.status == 200
    assert second.json()["refresh_token"] != first["refresh_token"]

    replay = api.post("/auth/refresh", {"refresh_token": first["refresh_token"]})
    assert (replay.status, replay.json()["code"]) == (401, "REFRESH_TOKEN_REUSED")
    # The family is dead: even the legitimately rotated token no longer works.
    successor = api.post("/auth/refresh", {"refresh_token": second.json()["refresh_token"]})
    assert (successor.status, successor.json()["code"]) == (401, "REFRESH_TOKEN_INVALID")
    # Another login is another family, unaffected.
    assert (
        api.post(
            "/auth/refresh", {"refresh_token": login(api, "barbara@example.com")["refresh_token"]}
        ).status
        == 200
    )


def test_logout_revokes_the_session(api: Api):
    register_and_verify(api, "edsger@example.com")
    pair = login(api, "edsger@example.com")
    assert api.post("/auth/logout", {"refresh_token": pair["refresh_token"]}).status == 204
    assert api.post("/auth/refresh", {"refresh_token": pair["refresh_token"]}).status == 401
    assert api.post("/auth/logout", {"refresh_token": pair["refresh_token"]}).status == 204


def test_forgot_and_reset_password_revokes_every_session(api: Api):
    register_and_verify(api, "katherine@example.com")
    old = login(api, "katherine@example.com")
    known = api.post("/auth/password/forgot", {"email": "katherine@example.com"})
    unknown = api.post("/auth/password/forgot", {"email": "nobody@example.com"})
    assert (known.status, known.json()) == (unknown.status, unknown.json()) == (202, known.json())
    (no_account,) = _mail_to("nobody@example.com")
    assert "no account" in no_account.text.lower()
    assert "token=" not in no_account.text
    token = _token_from(find_link(_mail_to("katherine@example.com")[-1], r"/reset-password"))

    assert (
        api.post("/auth/password/reset", {"token": token, "password": "short"}).json()["code"]
        == "PASSWORD_POLICY"
    )
    assert (
        api.post(
            "/auth/password/reset", {"token": token, "password": "a brand new password"}
        ).status
        == 204
    )
    assert (
        api.post(
            "/auth/password/reset", {"token": token, "password": "yet another password"}
        ).status
        == 409
    )
    assert api.post("/auth/refresh", {"refresh_token": old["refresh_token"]}).status == 401
    assert (
        api.post("/auth/login", {"email": "katherine@example.com", "password": PASSWORD}).status
        == 401
    )
    assert login(api, "katherine@example.com", "a brand new password")
    assert "changed" in _mail_to("katherine@example.com")[-1].subject.lower()


def _reset_link(api: Api, email: str) -> str:
    assert api.post("/auth/password/forgot", {"email": email}).status == 202
    return _token_from(find_link(_mail_to(email)[-1], r"/reset-password"))


def _reset(api: Api, token: str, password: str) -> Any:
    return api.post("/auth/password/reset", {"token": token, "password": password})


def test_a_password_reset_ends_every_other_reset_link_of_the_account(api: Api):
    # Issue 33 item 4: the older link used to set another password after the newer one.
    register_and_verify(api, "grace@example.com")
    older = _reset_link(api, "grace@example.com")
    newer = _reset_link(api, "grace@example.com")

    assert _reset(api, newer, "the password I chose").status == 204
    refused = _reset(api, older, "an attacker's password")

    assert refused.status == 409, refused.body
    assert refused.json()["code"] == "TOKEN_ALREADY_USED"
    assert (
        api.post(
            "/auth/login", {"email": "grace@example.com", "password": "an attacker's password"}
        ).status
        == 401
    )
    assert login(api, "grace@example.com", "the password I chose")
    # A link asked for after the change works, once.
    fresh = _reset_link(api, "grace@example.com")
    assert _reset(api, fresh, "and later another one").status == 204
    assert login(api, "grace@example.com", "and later another one")


def test_of_two_reset_links_used_at_once_only_one_sets_the_password(
    api: Api, monkeypatch: pytest.MonkeyPatch
):
    """Deterministic interleaving: link B completes while link A's reset is between its
    checks and its write (hashing the new password); A's write must then be refused."""
    from admitone.services import password_reset  # noqa: PLC0415

    register_and_verify(api, "hedy@example.com")
    link_a = _reset_link(api, "hedy@example.com")
    link_b = _reset_link(api, "hedy@example.com")
    hash_password = password_reset.passwords.hash_password
    interleaved: list[str] = []

    def hash_then_let_link_b_finish(password: str) -> str:
        hashed = hash_password(password)
        if not interleaved:
            interleaved.append(password)
            password_reset.reset_password(link_b, "link B's password")
        return hashed

    monkeypatch.setattr(password_reset.passwords, "hash_password", hash_then_let_link_b_finish)
    refused = _reset(api, link_a, "link A's password")

    assert interleaved == ["link A's password"]
    assert refused.status == 409, refused.body
    assert refused.json()["code"] == "TOKEN_ALREADY_USED"
    assert login(api, "hedy@example.com", "link B's password")


def test_wrong_passwords_slow_logins_down_instead_of_locking_the_account(
    api: Api, monkeypatch: pytest.MonkeyPatch
):
    from admitone.services import login as login_service  # noqa: PLC0415

    now = datetime(2026, 11, 23, 18, 0, tzinfo=UTC)
    monkeypatch.setattr(login_service, "clock", lambda: now)
    register_and_verify(api, "linus@example.com")
    codes = [
        # Different addresses, so the per-IP auth rate limit is not what stops them.
        api.post(
            "/auth/login",
            {"email": "linus@example.com", "password": "wrong!" * 3},
            ip=f"203.0.113.{attempt + 1}",
        ).json()["code"]
        for attempt in range(10)
    ]
    assert codes == ["INVALID_CREDENTIALS"] * 5 + ["LOGIN_THROTTLED"] * 5
    throttled = api.post(
        "/auth/login", {"email": "linus@example.com", "password": PASSWORD}, ip="203.0.113.99"
    )
    assert (throttled.status, throttled.json()["code"]) == (429, "LOGIN_THROTTLED")
    assert throttled.headers["retry-after"] == "1"
    now += timedelta(seconds=1)
    assert login(api, "linus@example.com", ip="203.0.113.99")


def test_unknown_fields_and_bad_values_are_422_naming_the_field(api: Api):
    response = api.post(
        "/auth/register",
        {"email": "x@example.com", "password": PASSWORD, "name": "X", "roles": ["admin"]},
    )
    assert response.status == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert [e["field"] for e in response.json()["errors"]] == ["body.roles"]
    bad_email = api.post("/auth/register", {"email": "nope", "password": PASSWORD, "name": "X"})
    assert bad_email.json()["errors"][0]["field"] == "body.email"
    not_json = api.request("POST", "/auth/login", headers={"Content-Type": "application/json"})
    assert not_json.status in (400, 422)


def test_profile_updates_and_admin_role_changes(api: Api, aws: AwsStack):
    register_and_verify(api, "margaret@example.com", "Margaret")
    pair = login(api, "margaret@example.com")
    patched = api.request(
        "PATCH",
        "/me",
        json_body={"phone": "+15551234567", "preferences": {"marketing": True}},
        token=pair["access_token"],
    )
    assert patched.status == 200
    assert patched.json()["phone"] == "+15551234567"
    assert patched.json()["preferences"]["marketing"] is True
    assert patched.json()["name"] == "Margaret"
    bad = api.request("PATCH", "/me", json_body={"phone": "555"}, token=pair["access_token"])
    assert bad.status == 422

    user_id = patched.json()["id"]
    assert (
        api.get("/admin/users?email=margaret@example.com", token=pair["access_token"]).status == 403
    )
    _make_admin(aws, "root@example.com", api)
    admin = login(api, "root@example.com")["access_token"]
    found = api.get("/admin/users?email=MARGARET@example.com", token=admin).json()["users"]
    assert [u["id"] for u in found] == [user_id]
    changed = api.request(
        "PUT",
        f"/admin/users/{user_id}/roles",
        json_body={"roles": ["buyer", "organizer"]},
        token=admin,
    )
    assert changed.json()["roles"] == ["buyer", "organizer"]
    # A role change ends the user's sessions: the tokens they held carry the old roles.
    assert api.get("/me", token=pair["access_token"]).status == 401
    assert api.post("/auth/refresh", {"refresh_token": pair["refresh_token"]}).status == 401
    again = login(api, "margaret@example.com")
    assert api.get("/me", token=again["access_token"]).json()["roles"] == ["buyer", "organizer"]
    missing = api.request(
        "PUT",
        "/admin/users/usr_01JDQ3Z8K4M2N6P8R0T2V4X6Y8/roles",
        json_body={"roles": ["buyer"]},
        token=admin,
    )
    assert missing.status == 404


def _make_admin(aws: AwsStack, email: str, api: Api) -> None:
    register_and_verify(api, email)
    aws.use_function("SetUserRolesFunction")
    from admitone.adapters.dynamo import accounts  # noqa: PLC0415
    from admitone.domain.jwt_tokens import Role  # noqa: PLC0415

    found = accounts.user_with_hash_by_email(email)
    assert found is not None
    accounts.set_roles(found[0].id, (Role.BUYER, Role.ADMIN), now=datetime.now(UTC))


def test_jwks_publishes_public_access_and_ticket_keys_only(api: Api):
    response = api.get("/.well-known/jwks.json")
    assert response.status == 200
    keys = response.json()["keys"]
    assert {k["kid"].split("-")[0] for k in keys} == {"jwt", "tkt"}
    assert all(k["kty"] == "OKP" and k["crv"] == "Ed25519" and "d" not in k for k in keys)


@pytest.mark.parametrize(
    ("function_id", "scenario", "status", "code"),
    [
        ("RegisterFunction", "ok", 201, None),
        ("RegisterFunction", "unknown_field", 422, "VALIDATION_FAILED"),
        ("VerifyEmailFunction", "bad_token", 401, "TOKEN_INVALID"),
        ("LoginFunction", "unknown_account", 401, "INVALID_CREDENTIALS"),
        ("RefreshFunction", "invalid", 401, "REFRESH_TOKEN_INVALID"),
        ("LogoutFunction", "unknown_token", 204, None),
        ("ForgotPasswordFunction", "ok", 202, None),
        ("ResetPasswordFunction", "bad_token", 401, "TOKEN_INVALID"),
        ("JwksFunction", "ok", 200, None),
        ("GetMeFunction", "ok", 404, "NOT_FOUND"),
        ("UpdateMeFunction", "ok", 404, "NOT_FOUND"),
        ("SetUserRolesFunction", "ok", 404, "NOT_FOUND"),
        ("FindUsersFunction", "ok", 200, None),
    ],
)
def test_each_sample_event_gets_its_documented_answer(aws, function_id, scenario, status, code):
    # The sample events name a user that does not exist in a fresh table.
    response = aws.invoke_sample(function_id, scenario)
    assert response["statusCode"] == status, response.get("body")
    if code:
        assert json.loads(response["body"])["code"] == code


def test_the_authorizer_sample_event_is_described_as_unauthenticated(aws):
    decision = aws.invoke_sample("AuthorizerFunction", "malformed_token")
    assert decision["isAuthorized"] is True
    assert decision["context"]["authenticated"] is False
    assert decision["context"]["reason"] == "malformed"


_COSTLY_WORK = (
    (passwords, "hash_password"),
    (passwords, "verify_password"),
    (passwords, "burn_verification_time"),
    (mail, "send_email"),
)


def _costly_work(monkeypatch: pytest.MonkeyPatch, call: Any) -> Counter[str]:
    """Which of the slow steps (an argon2 hash or verification, an e-mail) ``call`` does,
    and how often."""
    done: Counter[str] = Counter()
    with monkeypatch.context() as counting:
        for module, name in _COSTLY_WORK:
            real = getattr(module, name)

            def counted(*args: Any, _real: Any = real, _name: str = name, **kwargs: Any) -> Any:
                done[_name] += 1
                return _real(*args, **kwargs)

            counting.setattr(module, name, counted)
        call()
    return done


@pytest.mark.parametrize(
    ("path", "body_for"),
    [
        ("/auth/password/forgot", lambda email: {"email": email}),
        ("/auth/register", lambda email: {"email": email, "password": PASSWORD, "name": "T"}),
    ],
)
def test_known_and_unknown_addresses_do_the_same_slow_work(
    api: Api, monkeypatch: pytest.MonkeyPatch, path, body_for
):
    """A timing side channel would tell which addresses have accounts. What takes time on
    these paths is argon2 and sending mail: both kinds of address do exactly the same of
    it (wall-clock medians on a shared machine proved too noisy to assert on)."""
    register_and_verify(api, "known.timing@example.com")
    known = _costly_work(monkeypatch, lambda: api.post(path, body_for("known.timing@example.com")))
    unknown = _costly_work(monkeypatch, lambda: api.post(path, body_for("unknown@example.com")))
    assert known == unknown
    assert known["send_email"] == 1


def test_log_keys_of_one_request_do_not_reach_the_next_in_a_warm_container(aws: AwsStack):
    from admitone.observability import logger  # noqa: PLC0415

    aws.invoke_sample("GetMeFunction", "ok")  # appends the caller's user_id
    assert "user_id" in logger.get_current_keys()
    aws.invoke_sample("JwksFunction", "ok")  # an anonymous request in the same process
    assert "user_id" not in logger.get_current_keys()


def test_a_third_party_jose_library_verifies_a_login_access_token_against_the_served_jwks(
    api: Api,
):
    from joserfc import jwk, jwt  # noqa: PLC0415

    register_and_verify(api, "barbara@example.com")
    token = login(api, "barbara@example.com")["access_token"]
    jwks = api.get("/.well-known/jwks.json").json()

    # joserfc warns on the deprecated EdDSA name until we issue Ed25519 (jwt_tokens.ALGORITHM).
    with pytest.warns(UserWarning, match="EdDSA is deprecated via RFC 9864"):
        decoded = jwt.decode(token, jwk.KeySet.import_key_set(jwks), algorithms=["EdDSA"])

    assert decoded.claims["email"] == "barbara@example.com"
    # Each key names the alg used with it: access-token keys what the tokens carry,
    # ticket keys (no JWS, our own compact tokens) RFC 9864's fully-specified Ed25519.
    by_kid = {key["kid"]: key for key in jwks["keys"]}
    assert by_kid[decoded.header["kid"]]["alg"] == decoded.header["alg"] == "EdDSA"
    assert {key["alg"] for key in jwks["keys"] if key["purpose"] == "ticket"} == {"Ed25519"}
