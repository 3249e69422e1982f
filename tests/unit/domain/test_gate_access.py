"""Pairing codes and device tokens: what is stored, what is accepted, what is refused."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from admitone.domain.codes import TICKET_CODE_ALPHABET
from admitone.domain.gate_access import (
    PAIRING_CODE_LENGTH,
    Device,
    DeviceTokenInvalid,
    PairingCodeInvalid,
    check_device,
    device_id_of,
    new_device_token,
    new_pairing_code,
    pairing_code_hash,
)
from admitone.domain.ids import Prefix, new_id

NOW = datetime(2026, 12, 5, 18, 0, tzinfo=UTC)
VENUE = new_id(Prefix.VENUE)
DEVICE_ID = new_id(Prefix.DEVICE)
TOKEN, SECRET_HASH = new_device_token(DEVICE_ID)
DEVICE = Device(DEVICE_ID, VENUE, "North 1", SECRET_HASH, new_id(Prefix.USER), NOW)


def test_a_pairing_code_is_eight_unambiguous_characters_stored_only_as_a_hash():
    code = new_pairing_code()
    assert len(code) == PAIRING_CODE_LENGTH
    assert set(code) <= set(TICKET_CODE_ALPHABET)
    stored = pairing_code_hash(code)
    assert code not in stored
    # People type codes loosely: case, spaces and dashes do not matter.
    loose = f" {code[:4].lower()}-{code[4:]} "
    assert pairing_code_hash(loose) == stored


@pytest.mark.parametrize("typed", ["", "ABC", "ABCDEFGHJ", "0OIL1ABC"])
def test_a_malformed_pairing_code_is_refused_before_any_lookup(typed: str):
    with pytest.raises(PairingCodeInvalid):
        pairing_code_hash(typed)


def test_a_device_token_names_its_device_and_keeps_its_secret_out_of_the_table():
    device_id, secret = device_id_of(TOKEN)
    assert device_id == DEVICE_ID
    assert secret not in SECRET_HASH
    assert check_device(DEVICE, secret, venue_id=VENUE) == DEVICE


@pytest.mark.parametrize(
    "token",
    ["", "no-dot", f"{DEVICE_ID}.", "dev_nope.secret", f"usr_{DEVICE_ID[4:]}.s"],
    ids=["empty", "no-dot", "no-secret", "not-an-id", "user-id"],
)
def test_a_token_of_the_wrong_shape_is_refused(token: str):
    with pytest.raises(DeviceTokenInvalid):
        device_id_of(token)


@pytest.mark.parametrize(
    ("device", "secret", "venue"),
    [
        (None, "x", VENUE),
        (DEVICE, "wrong-secret", VENUE),
        (replace(DEVICE, revoked_at=NOW), device_id_of(TOKEN)[1], VENUE),
        (DEVICE, device_id_of(TOKEN)[1], new_id(Prefix.VENUE)),
    ],
    ids=["unknown", "wrong-secret", "revoked", "other-venue"],
)
def test_unknown_forged_revoked_or_foreign_devices_are_refused(
    device: Device | None, secret: str, venue: str
):
    with pytest.raises(DeviceTokenInvalid):
        check_device(device, secret, venue_id=venue)
