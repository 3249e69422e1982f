"""Envelopes on AWS KMS: GenerateDataKey for each sealed value, Decrypt to open it.

The data key never leaves the call that uses it; only KMS's wrapped copy is stored, in
the sealed value (``envelope_format``). The context is passed to KMS as the encryption
context (and logged by CloudTrail with every Decrypt), and to AES-GCM as associated
data. Decrypt needs no key id: the wrapped key names its KMS key.
"""

from __future__ import annotations

from collections.abc import Mapping

from botocore.exceptions import BotoCoreError, ClientError

from admitone.adapters import envelope_format
from admitone.adapters.aws import client
from admitone.domain.errors import DependencyUnavailable
from admitone.ports.envelopes import Envelopes, SealBroken

# KMS's answers for a wrapped key that is not one, or one under another context.
_REFUSALS = frozenset({"InvalidCiphertextException", "IncorrectKeyException"})


class KmsEnvelopes(Envelopes):
    def __init__(self, key_id: str) -> None:
        self._key_id = key_id

    def seal(self, plaintext: str, *, context: Mapping[str, str]) -> str:
        try:
            made = client("kms").generate_data_key(
                KeyId=self._key_id, KeySpec="AES_256", EncryptionContext=dict(context)
            )
        except (BotoCoreError, ClientError) as exc:
            raise DependencyUnavailable("The key service is unavailable.") from exc
        return envelope_format.encrypt(
            made["Plaintext"], made["CiphertextBlob"], plaintext, context
        )

    def open(self, sealed: str, *, context: Mapping[str, str]) -> str:
        parts = envelope_format.parse(sealed)
        try:
            opened = client("kms").decrypt(
                CiphertextBlob=parts.wrapped_key, EncryptionContext=dict(context)
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] in _REFUSALS:
                raise SealBroken("the data key does not unwrap under this context") from None
            raise DependencyUnavailable("The key service is unavailable.") from exc
        except BotoCoreError as exc:
            raise DependencyUnavailable("The key service is unavailable.") from exc
        return envelope_format.decrypt(opened["Plaintext"], parts, context)
