"""Encryption at rest for API keys and webhook secrets (Fernet, keys from the environment).

INTEGRATIONS_ENCRYPTION_KEYS holds one or more Fernet keys, newest first: values are
encrypted with the first and decrypted with any, so a key can be rotated by putting the
new one in front. In debug without keys, one is derived from the secret key so that
`make run` works; production must set its own (`manage.py check --deploy` says so).
"""

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


class EncryptionKeyMissing(ImproperlyConfigured):
    pass


def _fernet() -> MultiFernet:
    keys = list(settings.INTEGRATIONS_ENCRYPTION_KEYS)
    if not keys:
        if not settings.DEBUG:
            raise EncryptionKeyMissing(
                "INTEGRATIONS_ENCRYPTION_KEYS must be set to store API keys and secrets."
            )
        digest = hashlib.sha256(f"integrations:{settings.SECRET_KEY}".encode()).digest()
        keys = [base64.urlsafe_b64encode(digest).decode()]
    return MultiFernet([Fernet(key) for key in keys])


def encrypt(plaintext: str) -> str:
    return _fernet().encrypt(plaintext.encode()).decode()


def decrypt(ciphertext: str) -> str:
    """The plaintext, or "" when no configured key opens it (a lost key)."""
    if not ciphertext:
        return ""
    try:
        return _fernet().decrypt(ciphertext.encode()).decode()
    except InvalidToken:
        return ""
