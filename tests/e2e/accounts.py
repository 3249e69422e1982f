"""Accounts on the running local stack: registered and verified through the API."""

from __future__ import annotations

import re
from typing import Any

import requests

from scripts.devstack.stack import LocalStack
from tests.mailbox import find_link, sent_on_server

PASSWORD = "correct horse battery"
DEV_PASSWORD = "admitone-dev-password"


def registered(stack: LocalStack, client: requests.Session, email: str) -> dict[str, Any]:
    """Register, verify through the e-mailed link, log in: the token pair."""
    api = stack.api_url
    response = client.post(
        f"{api}/auth/register",
        json={"email": email, "password": PASSWORD, "name": "Ada"},
        timeout=10,
    )
    assert response.status_code == 201, response.text
    (mail,) = [m for m in sent_on_server(stack.moto_url) if email in m.to]
    token = re.search(r"token=([^&\s]+)", find_link(mail, r"/verify-email"))
    assert token is not None
    assert (
        client.post(
            f"{api}/auth/verify-email", json={"token": token.group(1)}, timeout=10
        ).status_code
        == 200
    )
    return logged_in(stack, client, email, PASSWORD)


def logged_in(
    stack: LocalStack, client: requests.Session, email: str, password: str
) -> dict[str, Any]:
    login = client.post(
        f"{stack.api_url}/auth/login", json={"email": email, "password": password}, timeout=10
    )
    assert login.status_code == 200, login.text
    return login.json()


def bearer(pair: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {pair['access_token']}"}
