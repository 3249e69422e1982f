"""The sealed form an ``Envelopes`` adapter returns, and the local half of it (AES-GCM).

``env1.<wrapped data key>.<nonce>.<ciphertext>``, each part base64url without padding:
the data key (256 bits) is wrapped by the key service (KMS, or the fake's key), the
text is encrypted here with AES-256-GCM (``cryptography``, already a layer dependency
for the JWT keys) under a random 96-bit nonce, with the context's canonical JSON as
associated data, so a ciphertext moved under another context fails its tag.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from admitone.ports.envelopes import SEALED_PREFIX, SealBroken

VERSION = SEALED_PREFIX.rstrip(".")
NONCE_BYTES = 12


@dataclass(frozen=True)
class Parts:
    wrapped_key: bytes
    nonce: bytes
    ciphertext: bytes


def associated_data(context: Mapping[str, str]) -> bytes:
    return json.dumps(dict(context), sort_keys=True, separators=(",", ":")).encode()


def encrypt(data_key: bytes, wrapped_key: bytes, plaintext: str, context: Mapping[str, str]) -> str:
    nonce = os.urandom(NONCE_BYTES)
    ciphertext = AESGCM(data_key).encrypt(nonce, plaintext.encode(), associated_data(context))
    return ".".join([VERSION, *(b64(part) for part in (wrapped_key, nonce, ciphertext))])


def parse(sealed: str) -> Parts:
    pieces = sealed.split(".")
    if len(pieces) != 4 or pieces[0] != VERSION:
        raise SealBroken("not a sealed value")
    try:
        wrapped, nonce, ciphertext = (unb64(piece) for piece in pieces[1:])
    except (binascii.Error, ValueError):
        raise SealBroken("not a sealed value") from None
    if len(nonce) != NONCE_BYTES or not wrapped or not ciphertext:
        raise SealBroken("not a sealed value")
    return Parts(wrapped, nonce, ciphertext)


def decrypt(data_key: bytes, parts: Parts, context: Mapping[str, str]) -> str:
    try:
        plain = AESGCM(data_key).decrypt(parts.nonce, parts.ciphertext, associated_data(context))
    except (InvalidTag, ValueError):
        raise SealBroken("the sealed value does not open under this context") from None
    return plain.decode()


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
