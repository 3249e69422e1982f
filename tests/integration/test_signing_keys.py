"""The key set loader against Secrets Manager (moto in-process) through Powertools."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import boto3  # type: ignore[import-untyped]
import pytest
from moto import mock_aws

from admitone.adapters.signing_keys import load_keyset
from admitone.config import SettingsError
from admitone.domain.errors import DependencyUnavailable
from admitone.domain.keys import (
    KeyPurpose,
    KeySetError,
    generate_keyset_document,
    rotate_keyset_document,
)
from admitone.domain.tokens import TicketClaims, issue_ticket_token, verify_ticket_token
from tests.conftest import new_container

REGION = "eu-west-1"
SECRET_ID = "admitone/test/signing-keys"
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


@dataclass
class SecretStore:
    client: Any
    monkeypatch: pytest.MonkeyPatch

    def put(self, value: dict[str, Any] | str) -> None:
        text = value if isinstance(value, str) else json.dumps(value)
        self.client.put_secret_value(SecretId=SECRET_ID, SecretString=text)

    def new_container(self, **environment: str) -> None:
        """What a cold start sees: fresh settings and an empty Powertools cache."""
        for name, value in environment.items():
            self.monkeypatch.setenv(name, value)
        new_container()


@pytest.fixture
def document() -> dict[str, Any]:
    return generate_keyset_document(now=NOW)


@pytest.fixture
def store(monkeypatch: pytest.MonkeyPatch, document: dict[str, Any]) -> Iterator[SecretStore]:
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE", "SECRETS_MAX_AGE_SECONDS"):
        monkeypatch.delenv(name, raising=False)
    environment = {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        "STAGE": "test",
        "TABLE_NAME": "admitone-test",
        "EVENT_BUS_NAME": "admitone-test",
        "STRIPE_SECRET_ID": "admitone/test/stripe",
        "SIGNING_KEYS_SECRET_ID": SECRET_ID,
        "JWT_ISSUER": "urn:admitone:test",
        "MAIL_FROM": "no-reply@admitone.local",
        "APP_BASE_URL": "https://app.admitone.example",
        "PAYMENT_EVENTS_QUEUE_URL": "https://sqs.eu-west-1.amazonaws.com/123456789012/events.fifo",
    }
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        client = boto3.client("secretsmanager", region_name=REGION)
        client.create_secret(Name=SECRET_ID, SecretString=json.dumps(document))
        secret_store = SecretStore(client, monkeypatch)
        secret_store.new_container()
        yield secret_store
        secret_store.new_container()


def test_the_key_set_is_read_from_the_secret(store: SecretStore, document: dict[str, Any]) -> None:
    keyset = load_keyset()

    assert keyset.signing_key(KeyPurpose.JWT).kid == document["keys"][0]["kid"]
    assert keyset.signing_key(KeyPurpose.TICKET).kid == document["keys"][1]["kid"]


def test_the_key_set_is_parsed_once_while_the_secret_is_cached(store: SecretStore) -> None:
    first = load_keyset()
    store.put(rotate_keyset_document(json.loads(_secret_text(store)), "ticket", now=NOW))

    # Within max_age Powertools serves the cached document and the parsed set is reused.
    assert load_keyset() is first


def test_a_rotated_secret_is_picked_up_after_the_cache_expires(
    store: SecretStore, document: dict[str, Any]
) -> None:
    store.new_container(SECRETS_MAX_AGE_SECONDS="0")
    before = load_keyset()
    claims = TicketClaims(
        ticket_id="tkt_01KAS2Y0NV8RBNC9T3ZJX4M7QW",
        event_id="evt_01KAS2Y0NV8RBNC9T3ZJX4M7QW",
        ticket_type_id="tty_01KAS2Y0NV8RBNC9T3ZJX4M7QW",
        version=1,
        expires_at=datetime(2026, 12, 1, tzinfo=UTC),
    )
    old_token = issue_ticket_token(claims, before.signing_key(KeyPurpose.TICKET))

    store.put(rotate_keyset_document(document, "ticket", now=NOW))
    after = load_keyset()

    assert after is not before
    assert after.signing_key(KeyPurpose.TICKET).kid != before.signing_key(KeyPurpose.TICKET).kid
    # The retired key still verifies tickets it signed before the rotation.
    ticket = verify_ticket_token(old_token, after, event_id=claims.event_id, now=NOW)
    assert ticket.key_id == before.signing_key(KeyPurpose.TICKET).kid


def test_a_missing_secret_is_a_dependency_outage(store: SecretStore) -> None:
    store.new_container(SIGNING_KEYS_SECRET_ID="admitone/test/nowhere")

    with pytest.raises(DependencyUnavailable):
        load_keyset()


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("not json", "not JSON"),
        ("[1, 2]", "not a JSON object"),
        (json.dumps({"keys": []}), "keys"),
    ],
)
def test_a_malformed_secret_is_a_key_set_error(
    store: SecretStore, value: str, message: str
) -> None:
    store.put(value)
    store.new_container()

    with pytest.raises(KeySetError, match=message):
        load_keyset()


def test_a_broken_key_is_reported_without_its_value(
    store: SecretStore, document: dict[str, Any]
) -> None:
    broken = json.loads(json.dumps(document))
    broken["keys"][0]["private_key"] = broken["keys"][0]["private_key"][:-1] + "!"
    store.put(broken)
    store.new_container()

    with pytest.raises(KeySetError) as raised:
        load_keyset()

    assert "keys.0.private_key" in str(raised.value)
    assert broken["keys"][0]["private_key"][:12] not in str(raised.value)


def test_without_the_secret_id_the_loader_fails_loudly(store: SecretStore) -> None:
    store.monkeypatch.delenv("SIGNING_KEYS_SECRET_ID")
    store.new_container()

    with pytest.raises(SettingsError, match="SIGNING_KEYS_SECRET_ID"):
        load_keyset()


def _secret_text(store: SecretStore) -> str:
    return str(store.client.get_secret_value(SecretId=SECRET_ID)["SecretString"])
