"""Envelopes in memory: a key of its own stands in for the KMS key (it wraps each data
key with AES-GCM under the context, as KMS binds the encryption context), and the sealed
form and the local encryption are the adapter's own (``envelope_format``)."""

from __future__ import annotations

import os
from collections.abc import Mapping

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from admitone.adapters import envelope_format
from admitone.ports.envelopes import Envelopes, SealBroken


class FakeEnvelopes(Envelopes):
    def __init__(self) -> None:
        self._master = AESGCM(AESGCM.generate_key(bit_length=256))
        self.data_keys_made = 0
        self.data_keys_opened = 0

    def seal(self, plaintext: str, *, context: Mapping[str, str]) -> str:
        data_key = AESGCM.generate_key(bit_length=256)
        nonce = os.urandom(envelope_format.NONCE_BYTES)
        wrapped = nonce + self._master.encrypt(
            nonce, data_key, envelope_format.associated_data(context)
        )
        self.data_keys_made += 1
        return envelope_format.encrypt(data_key, wrapped, plaintext, context)

    def open(self, sealed: str, *, context: Mapping[str, str]) -> str:
        parts = envelope_format.parse(sealed)
        nonce, wrapped = (
            parts.wrapped_key[: envelope_format.NONCE_BYTES],
            parts.wrapped_key[envelope_format.NONCE_BYTES :],
        )
        try:
            data_key = self._master.decrypt(
                nonce, wrapped, envelope_format.associated_data(context)
            )
        except (InvalidTag, ValueError):
            raise SealBroken("the data key does not unwrap under this context") from None
        self.data_keys_opened += 1
        return envelope_format.decrypt(data_key, parts, context)
