"""Envelope encryption of small secrets (a TIN, a webhook signing secret).

``seal`` encrypts a text under a fresh data key and returns one opaque string that holds
the wrapped data key beside the ciphertext (what the store keeps); ``open`` unwraps the
data key and decrypts. ``context`` names what the secret is and whose (``{"purpose":
"tin", "user": "usr_…"}``): it is bound to both the wrapped key and the ciphertext, so a
sealed value opens only under the context it was sealed with (a TIN copied onto another
user, or into a webhook endpoint, does not open).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping

# What every sealed value starts with (``adapters/envelope_format``): a stored value
# without it was stored before sealing, in clear.
SEALED_PREFIX = "env1."


def is_sealed(value: str) -> bool:
    """Whether ``value`` is sealed (a value stored before sealing is not)."""
    return value.startswith(SEALED_PREFIX)


class SealBroken(Exception):
    """The sealed value is malformed, was altered, or is opened under another context.
    Never a client's doing: the store holds what ``seal`` returned."""


class Envelopes(ABC):
    @abstractmethod
    def seal(self, plaintext: str, *, context: Mapping[str, str]) -> str:
        """``plaintext`` encrypted under a new data key, wrapped key included."""

    @abstractmethod
    def open(self, sealed: str, *, context: Mapping[str, str]) -> str:
        """The plaintext ``seal`` was given; ``SealBroken`` if it does not open."""
