"""Authenticated encryption for secrets at rest (test-account passwords, tokens).

Keys come from FIELD_ENCRYPTION_KEYS (comma-separated url-safe base64 32-byte keys). The
first key encrypts; every key decrypts, so a key can be rotated in, rows re-encrypted with
`rotate_field_keys`, and the old key then removed. Fernet is AES-128-CBC + HMAC-SHA256: a
tampered token fails closed with DecryptionFailed instead of returning garbage.
"""

from __future__ import annotations

from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.db import models
from django.db.models.query_utils import DeferredAttribute


class DecryptionFailed(Exception):
    """The stored ciphertext was tampered with or was encrypted with an unknown key."""


@lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    if not keys:
        raise DecryptionFailed("No FIELD_ENCRYPTION_KEYS are configured.")
    return MultiFernet([Fernet(key.encode()) for key in keys])


def fernet() -> MultiFernet:
    return _fernet(tuple(settings.FIELD_ENCRYPTION_KEYS))


def encrypt(plaintext: str) -> str:
    return fernet().encrypt(plaintext.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise DecryptionFailed(
            "A stored secret could not be decrypted: it was altered, or the key that "
            "encrypted it is no longer in FIELD_ENCRYPTION_KEYS."
        ) from exc


def rotate(token: str) -> str:
    """Re-encrypt a token with the newest key (MultiFernet.rotate)."""
    try:
        return fernet().rotate(token.encode()).decode()
    except InvalidToken as exc:
        raise DecryptionFailed("A stored secret could not be re-encrypted.") from exc


class EncryptedSecret:
    """The value of an encrypted field: never shows the plaintext by accident."""

    __slots__ = ("token",)

    def __init__(self, token: str) -> None:
        self.token = token

    def reveal(self) -> str:
        return decrypt(self.token)

    def __str__(self) -> str:
        return "••••••••" if self.token else ""

    __repr__ = __str__

    def __bool__(self) -> bool:
        return bool(self.token)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, EncryptedSecret) and other.token == self.token

    def __hash__(self) -> int:
        return hash(self.token)


class _SecretAttribute(DeferredAttribute):
    """Encrypts on assignment, so a plaintext never sits on a model instance."""

    def __set__(self, instance, value):
        if isinstance(value, str):
            value = EncryptedSecret(encrypt(value) if value else "")
        instance.__dict__[self.field.attname] = value


class EncryptedTextField(models.TextField):
    """Stores a Fernet token. Assign a plain `str` to set a new secret; reading gives an
    EncryptedSecret whose `.reveal()` decrypts (callers log every reveal)."""

    descriptor_class = _SecretAttribute

    def from_db_value(self, value, expression, connection):
        if value is None:
            return value
        return EncryptedSecret(value)

    def to_python(self, value):
        if value is None or isinstance(value, EncryptedSecret):
            return value
        return EncryptedSecret(encrypt(value)) if value else EncryptedSecret("")

    def get_prep_value(self, value):
        if value is None:
            return None
        if isinstance(value, EncryptedSecret):
            return value.token
        return encrypt(str(value)) if value else ""

    def value_to_string(self, obj):
        return ""
