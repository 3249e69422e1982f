"""scripts/create-admin: the first admin of a stack, made with the product's own account
writes, who can then do what admins do through the API."""

from __future__ import annotations

import io
import os
import socket
from collections.abc import Callable
from unittest import mock

import pytest

from scripts import create_admin
from tests.integration.conftest import Api, AwsStack
from tests.integration.test_identity import PASSWORD, login, register_and_verify

Run = Callable[..., tuple[int, str, str]]


@pytest.fixture
def run(aws: AwsStack, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Run:
    table = aws.stack.physical_name("Table")

    def run(*argv: str, stdin: str = f"{PASSWORD}\n") -> tuple[int, str, str]:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
        capsys.readouterr()
        # The script sets its own process environment; the tests' stays as it was.
        with mock.patch.dict(os.environ):
            code = create_admin.main(["--table", table, *argv])
        out, err = capsys.readouterr()
        return code, out.strip().splitlines()[-1] if out.strip() else "", err.strip()

    return run


def _finds_users(api: Api, email: str) -> int:
    token = login(api, email)["access_token"]
    return api.get(f"/admin/users?email={email}", token=token).status


def test_a_new_admin_signs_in_and_uses_an_admin_route_and_a_second_run_grants_nothing(
    api: Api, run: Run
):
    code, out, err = run("root@example.com", "--name", "Root")
    assert (code, err) == (0, "")
    assert out == "root@example.com is a new admin (address taken as verified): sign in with it."
    assert _finds_users(api, "root@example.com") == 200
    me = api.get("/me", token=login(api, "root@example.com")["access_token"]).json()
    assert (me["name"], sorted(me["roles"])) == ("Root", ["admin", "buyer"])

    code, out, err = run("ROOT@example.com", stdin="")
    assert (code, out, err) == (0, "root@example.com is already an admin: nothing granted.", "")


def test_a_verified_buyer_is_granted_admin_and_keeps_their_password(api: Api, run: Run):
    register_and_verify(api, "ada@example.com")
    assert _finds_users(api, "ada@example.com") == 403

    code, out, err = run("ada@example.com", stdin="")
    assert (code, err) == (0, "")
    assert out == "ada@example.com is now an admin; their sessions ended: sign in again."
    assert _finds_users(api, "ada@example.com") == 200


def test_an_unverified_account_is_not_granted_admin(api: Api, run: Run):
    assert (
        api.post(
            "/auth/register", {"email": "eve@example.com", "password": PASSWORD, "name": "Eve"}
        ).status
        == 201
    )
    code, out, err = run("eve@example.com", stdin="")
    assert (code, out) == (1, "")
    assert err == "create-admin: eve@example.com has not verified its address yet."


def test_a_weak_password_creates_nothing(api: Api, run: Run):
    code, out, err = run("root@example.com", stdin="short\n")
    assert (code, out) == (1, "")
    assert err == "create-admin: The password must be 10 to 128 characters."
    refused = api.post("/auth/login", {"email": "root@example.com", "password": "short"})
    assert refused.status == 401


def test_a_table_that_does_not_exist_is_one_sentence(run: Run):
    code, out, err = run("root@example.com", "--table", "no-such-table")
    assert (code, out) == (1, "")
    assert err.startswith("create-admin: the table no-such-table could not be used: ")
    assert "Traceback" not in err
    assert len(err.splitlines()) == 1


def test_without_a_local_stack_it_says_to_start_one(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    monkeypatch.setenv("ADMITONE_MOTO_PORT", str(closed_port))
    with mock.patch.dict(os.environ):
        code = create_admin.main(["root@example.com"])
    out, err = capsys.readouterr()
    assert (code, out) == (1, "")
    assert err == (
        f"create-admin: Nothing answers at http://127.0.0.1:{closed_port} (moto): start the"
        " stack with scripts/run, or set ADMITONE_MOTO_PORT to the port it runs on.\n"
    )
