"""Credentials at rest: Fernet encryption with rotatable keys.

The first key of METACRAWL_FERNET_KEYS encrypts; every key decrypts, so an
operator adds a new key first, runs `metacrawl rotate-keys`, then drops the old.
"""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken, MultiFernet


class VaultError(RuntimeError):
    pass


class Vault:
    def __init__(self, keys: tuple[str, ...] | list[str]):
        if not keys:
            raise VaultError("no Fernet key configured (METACRAWL_FERNET_KEYS)")
        try:
            self._fernet = MultiFernet([Fernet(k) for k in keys])
        except (ValueError, TypeError):
            raise VaultError("METACRAWL_FERNET_KEYS holds a key that is not a valid Fernet key") from None

    def encrypt(self, secret: str) -> bytes:
        return self._fernet.encrypt(secret.encode())

    def decrypt(self, token: bytes) -> str:
        try:
            return self._fernet.decrypt(bytes(token)).decode()
        except InvalidToken:
            raise VaultError("a stored secret cannot be decrypted with the configured keys") from None

    def rotate(self, token: bytes) -> bytes:
        """Re-encrypt under the first (newest) key."""
        try:
            return self._fernet.rotate(bytes(token))
        except InvalidToken:
            raise VaultError("a stored secret cannot be decrypted with the configured keys") from None


def encrypt_secrets(vault: Vault, secrets: dict[str, str]) -> dict[str, str]:
    """A source's secret fields as stored: field name -> Fernet token (text)."""
    return {name: vault.encrypt(value).decode("ascii") for name, value in secrets.items()}


def decrypt_secrets(vault: Vault, stored: dict[str, str]) -> dict[str, str]:
    return {name: vault.decrypt(token.encode("ascii")) for name, token in (stored or {}).items()}


def rotate_secrets(vault: Vault, stored: dict[str, str]) -> dict[str, str]:
    return {name: vault.rotate(token.encode("ascii")).decode("ascii") for name, token in (stored or {}).items()}
