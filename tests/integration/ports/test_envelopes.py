"""The envelopes port, on the fake and on KMS (moto, the key template.yaml declares): a
sealed value opens to what was sealed, holds neither the text nor a bare key, opens
only under the context it was sealed with, and an altered one does not open."""

from __future__ import annotations

import pytest

from admitone.adapters import envelope_format
from admitone.ports.envelopes import Envelopes, SealBroken, is_sealed
from tests.fakes.envelopes import FakeEnvelopes

TIN = "123-45-6789"
CONTEXT = {"purpose": "tin", "user": "usr_01JDQ3Z8K4M2N6P8R0T2V4X6Y9"}


@pytest.fixture(params=["fake", "kms"])
def envelopes(request: pytest.FixtureRequest) -> Envelopes:
    if request.param == "fake":
        return FakeEnvelopes()
    from admitone.adapters.kms_envelopes import KmsEnvelopes  # noqa: PLC0415
    from admitone.config import settings  # noqa: PLC0415

    request.getfixturevalue("aws").use_function("OutboxDrainFunction")
    key_id = settings().envelope_key_id
    assert key_id is not None
    assert key_id.startswith("alias/")
    return KmsEnvelopes(key_id)


def test_a_sealed_value_opens_to_what_was_sealed(envelopes: Envelopes):
    sealed = envelopes.seal(TIN, context=CONTEXT)

    assert is_sealed(sealed)
    assert TIN not in sealed
    assert "6789" not in sealed
    assert envelopes.open(sealed, context=CONTEXT) == TIN


def test_each_seal_has_a_data_key_and_nonce_of_its_own(envelopes: Envelopes):
    first = envelope_format.parse(envelopes.seal(TIN, context=CONTEXT))
    second = envelope_format.parse(envelopes.seal(TIN, context=CONTEXT))

    assert first.wrapped_key != second.wrapped_key
    assert first.nonce != second.nonce
    assert first.ciphertext != second.ciphertext


def test_a_sealed_value_opens_only_under_its_own_context(envelopes: Envelopes):
    sealed = envelopes.seal(TIN, context=CONTEXT)

    with pytest.raises(SealBroken):
        envelopes.open(sealed, context={**CONTEXT, "user": "usr_someone_else"})
    with pytest.raises(SealBroken):
        envelopes.open(sealed, context={"purpose": "webhook-secret"})


def test_an_altered_or_malformed_value_does_not_open(envelopes: Envelopes):
    sealed = envelopes.seal(TIN, context=CONTEXT)
    version, wrapped, nonce, ciphertext = sealed.split(".")
    flipped = ("A" if ciphertext[0] != "A" else "B") + ciphertext[1:]
    other = envelope_format.parse(envelopes.seal("987-65-4321", context=CONTEXT))
    # The other value's data key with this value's ciphertext: the tag fails.
    swapped = ".".join([version, envelope_format.b64(other.wrapped_key), nonce, ciphertext])

    for broken in (
        ".".join([version, wrapped, nonce, flipped]),
        swapped,
        "env1.x.y",
        "env2." + sealed[5:],
        "whsec_clear",
    ):
        with pytest.raises(SealBroken):
            envelopes.open(broken, context=CONTEXT)


def test_a_unicode_text_round_trips(envelopes: Envelopes):
    text = "Zoë Ångström, 12 Rue de l'Été"
    assert envelopes.open(envelopes.seal(text, context=CONTEXT), context=CONTEXT) == text
