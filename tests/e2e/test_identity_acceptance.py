"""Issue 4's acceptance, against the local stack scripts/run starts: accounts through
the API, e-mail read back from moto's SES, and the authorizer facing forged tokens."""

from __future__ import annotations

import base64
import itertools
import json
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import jwt
import pytest
import requests
from cryptography.hazmat.primitives import serialization

from admitone.domain.jwt_tokens import PROFILES, TokenKind
from admitone.domain.keys import KeyPurpose, KeySet
from scripts.devstack.stack import ROOT, LocalStack
from tests.e2e.accounts import PASSWORD, registered
from tests.e2e.clients import client_from
from tests.e2e.conftest import StartStack

pytestmark = pytest.mark.e2e
_addresses = (f"127.0.{n // 250}.{n % 250 + 2}" for n in itertools.count())


@pytest.fixture(scope="module")
def stack(start_stack: StartStack) -> LocalStack:
    return start_stack(ROOT / "template.yaml")[0]


@pytest.fixture
def client() -> requests.Session:
    """A fresh client address per test: per-IP limits do not leak between tests."""
    return client_from(next(_addresses))


def url(stack: LocalStack, path: str) -> str:
    return f"{stack.api_url}{path}"


def test_register_read_the_mail_verify_login_and_get_me(stack, client):
    pair = registered(stack, client, "ada.e2e@example.com")
    me = client.get(
        url(stack, "/me"), headers={"Authorization": f"Bearer {pair['access_token']}"}, timeout=10
    )
    assert me.status_code == 200
    assert me.json()["email"] == "ada.e2e@example.com"


def test_one_changed_character_makes_the_access_token_a_401_problem(stack, client):
    token = registered(stack, client, "grace.e2e@example.com")["access_token"]
    position = len(token) // 2
    flipped = token[:position] + ("A" if token[position] != "A" else "B") + token[position + 1 :]
    response = client.get(
        url(stack, "/me"), headers={"Authorization": f"Bearer {flipped}"}, timeout=10
    )
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "TOKEN_INVALID"


def test_refreshing_twice_with_one_token_kills_the_family(stack, client):
    pair = registered(stack, client, "barbara.e2e@example.com")
    first = client.post(
        url(stack, "/auth/refresh"), json={"refresh_token": pair["refresh_token"]}, timeout=10
    )
    assert first.status_code == 200
    second = client.post(
        url(stack, "/auth/refresh"), json={"refresh_token": pair["refresh_token"]}, timeout=10
    )
    assert second.status_code == 401
    assert second.json()["code"] == "REFRESH_TOKEN_REUSED"
    successor = client_from(next(_addresses)).post(
        url(stack, "/auth/refresh"),
        json={"refresh_token": first.json()["refresh_token"]},
        timeout=10,
    )
    assert successor.status_code == 401


def test_eleven_wrong_passwords_from_one_client_are_refused_with_retry_after(stack, client):
    registered(stack, client_from(next(_addresses)), "linus.e2e@example.com")
    answers = [
        client.post(
            url(stack, "/auth/login"),
            json={"email": "linus.e2e@example.com", "password": "wrong password!"},
            timeout=10,
        )
        for _ in range(11)
    ]
    last = answers[-1]
    assert last.status_code == 429
    assert int(last.headers["Retry-After"]) >= 1
    assert last.headers["content-type"] == "application/problem+json"


def test_ten_wrong_passwords_from_many_clients_slow_the_address_down_but_lock_nobody_out(stack):
    registered(stack, client_from(next(_addresses)), "alan.e2e@example.com")

    def attempt(password: str) -> requests.Response:
        return client_from(next(_addresses)).post(
            url(stack, "/auth/login"),
            json={"email": "alan.e2e@example.com", "password": password},
            timeout=10,
        )

    answers = [attempt("wrong password!") for _ in range(10)]
    assert [a.status_code for a in answers[:5]] == [401] * 5
    throttled = [a for a in answers[5:] if a.status_code == 429]
    assert throttled, [a.status_code for a in answers]
    for answer in throttled:
        assert answer.json()["code"] == "LOGIN_THROTTLED"
        assert 1 <= int(answer.headers["Retry-After"]) <= 900
    # Not the old hour-long lock: once the backoff's wait is over, the owner gets in.
    for _ in range(5):
        response = attempt(PASSWORD)
        if response.status_code != 429:
            break
        time.sleep(int(response.headers["Retry-After"]))
    assert response.status_code == 200


def test_the_local_stack_seeds_a_verified_dev_admin(stack, client):
    response = client.post(
        url(stack, "/auth/login"),
        json={"email": "admin@admitone.local", "password": "admitone-dev-password"},
        timeout=10,
    )
    assert response.status_code == 200
    me = client.get(
        url(stack, "/me"),
        headers={"Authorization": f"Bearer {response.json()['access_token']}"},
        timeout=10,
    )
    assert "admin" in me.json()["roles"]


# --------------------------------------------------- the token matrix, end to end
@pytest.fixture(scope="module")
def keys(stack: LocalStack) -> KeySet:
    """The stack's own signing keys, read from (local) Secrets Manager: forgeries below
    carry valid signatures where the attack needs one."""
    secrets = boto3.client(
        "secretsmanager",
        endpoint_url=stack.moto_url,
        region_name="us-east-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )
    secret_id = stack.stack.resolve({"Ref": "SigningKeysSecret"})
    return KeySet.from_document(
        json.loads(secrets.get_secret_value(SecretId=secret_id)["SecretString"])
    )


@pytest.fixture(scope="module")
def forge(stack: LocalStack, keys: KeySet) -> Callable[..., str]:
    issuer = stack.stack.function("GetMeFunction").environment["JWT_ISSUER"]
    signing = keys.signing_key(KeyPurpose.JWT)

    def make(
        *,
        claims: dict[str, Any] | None = None,
        headers: dict[str, Any] | None = None,
        key: Any = None,
        algorithm: str = "EdDSA",
    ) -> str:
        now = datetime.now(UTC)
        payload = {
            "sub": "usr_01JDQ3Z8K4M2N6P8R0T2V4X6Y8",
            "roles": ["admin"],
            "email": "mallory@example.com",
            "iss": issuer,
            "aud": PROFILES[TokenKind.ACCESS].audience,
            "jti": "j",
            "iat": int(now.timestamp()),
            "nbf": int(now.timestamp()),
            "exp": int((now + timedelta(minutes=5)).timestamp()),
            **(claims or {}),
        }
        return jwt.encode(
            payload,
            signing.private_key if key is None else key,
            algorithm=algorithm,
            headers={"kid": signing.kid, "typ": "at+jwt", **(headers or {})},
        )

    return make


def _alg_none(token: str) -> str:
    payload = token.split(".")[1]
    none = base64.urlsafe_b64encode(json.dumps({"alg": "none", "typ": "at+jwt"}).encode())
    return f"{none.rstrip(b'=').decode()}.{payload}."


def _matrix(forge: Callable[..., str], keys: KeySet) -> Iterator[tuple[str, str]]:
    public = keys.signing_key(KeyPurpose.JWT).public.key.public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    now = datetime.now(UTC)
    yield "alg none", _alg_none(forge())
    yield "HS256 keyed with the public key", forge(key=public, algorithm="HS256")
    yield "unknown kid", forge(headers={"kid": "jwt-19700101-dead"})
    yield "jku header", forge(headers={"jku": "https://evil.example/jwks.json"})
    yield "x5u header", forge(headers={"x5u": "https://evil.example/cert.pem"})
    yield "wrong audience", forge(claims={"aud": "admitone:registration"})
    yield "wrong issuer", forge(claims={"iss": "urn:someone-else"})
    yield "wrong typ", forge(headers={"typ": "JWT"})
    yield (
        "registration token",
        forge(headers={"typ": "registration+jwt"}, claims={"aud": "admitone:registration"}),
    )
    yield "expired", forge(claims={"exp": int((now - timedelta(minutes=2)).timestamp())})
    yield "not yet valid", forge(claims={"nbf": int((now + timedelta(minutes=5)).timestamp())})
    yield "a ticket token", "NCFOXN%TS3DH" * 12


def _dev_admin_id(stack: LocalStack) -> str:
    client = client_from(next(_addresses))
    signed_in = client.post(
        url(stack, "/auth/login"),
        json={"email": "admin@admitone.local", "password": "admitone-dev-password"},
        timeout=10,
    )
    me = client.get(
        url(stack, "/me"),
        headers={"Authorization": f"Bearer {signed_in.json()['access_token']}"},
        timeout=10,
    )
    return str(me.json()["id"])


def test_every_forged_access_token_is_refused_by_the_deployed_authorizer(stack, forge, keys):
    # Well-formed and signed, for a user who exists: reaches the route.
    valid = client_from(next(_addresses)).get(
        url(stack, "/me"),
        headers={"Authorization": f"Bearer {forge(claims={'sub': _dev_admin_id(stack)})}"},
        timeout=10,
    )
    assert valid.status_code == 200
    # Signed, but for a user who does not exist: the authorizer refuses it.
    nobody = client_from(next(_addresses)).get(
        url(stack, "/me"), headers={"Authorization": f"Bearer {forge()}"}, timeout=10
    )
    assert (nobody.status_code, nobody.json()["code"]) == (401, "TOKEN_INVALID")
    for name, token in _matrix(forge, keys):
        response = client_from(next(_addresses)).get(
            url(stack, "/me"), headers={"Authorization": f"Bearer {token}"}, timeout=10
        )
        assert response.status_code == 401, name
        assert response.json()["code"] == "TOKEN_INVALID", name
