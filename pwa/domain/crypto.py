"""Field encryption (AES-256-GCM) and keyed blind indexes for data that must not sit in clear.

Keys come from outside the database (environment or instance files); the ciphertext carries
a key id so keys can be rotated without a flag day.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from dataclasses import dataclass

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

_NONCE_BYTES = 12


class DecryptionError(Exception):
    """The ciphertext was tampered with, truncated or made under an unknown key."""


@dataclass(frozen=True)
class FieldCipher:
    """Encrypts short strings; ``context`` binds a value to its column so rows can't be swapped."""

    keys: dict[int, bytes]
    current_key_id: int

    @classmethod
    def single(cls, key: bytes, key_id: int = 1) -> FieldCipher:
        return cls(keys={key_id: key}, current_key_id=key_id)

    def __post_init__(self) -> None:
        for key_id, key in self.keys.items():
            if len(key) != 32:
                raise ValueError(f"encryption key {key_id} must be 32 bytes")
            if not 0 < key_id < 256:
                raise ValueError("key ids are 1–255")
        if self.current_key_id not in self.keys:
            raise ValueError("current key id has no key")

    def encrypt(self, plaintext: str, context: str) -> bytes:
        nonce = os.urandom(_NONCE_BYTES)
        aead = AESGCM(self.keys[self.current_key_id])
        sealed = aead.encrypt(nonce, plaintext.encode(), context.encode())
        return bytes([self.current_key_id]) + nonce + sealed

    def decrypt(self, blob: bytes, context: str) -> str:
        if len(blob) < 1 + _NONCE_BYTES + 16:
            raise DecryptionError("ciphertext too short")
        key = self.keys.get(blob[0])
        if key is None:
            raise DecryptionError(f"unknown key id {blob[0]}")
        try:
            plain = AESGCM(key).decrypt(
                blob[1 : 1 + _NONCE_BYTES], blob[1 + _NONCE_BYTES :], context.encode()
            )
        except Exception as exc:  # InvalidTag: never say more than "it does not verify"
            raise DecryptionError("ciphertext does not verify") from exc
        return plain.decode()


@dataclass(frozen=True)
class BlindIndex:
    """HMAC-SHA256 of a normalised value: equality look-ups without decrypting anything."""

    key: bytes

    def __post_init__(self) -> None:
        if len(self.key) < 32:
            raise ValueError("blind-index key must be at least 32 bytes")

    def of(self, value: str) -> str:
        return hmac.new(self.key, value.encode(), hashlib.sha256).hexdigest()
