"""A stored source as a live target: its secrets decrypted here (the one
place besides registration that holds the vault for them), then opened by
the engines' one connection policy."""

from __future__ import annotations

from catalog.models import Source
from catalog.settings import Settings
from catalog.vault import Vault, VaultError, decrypt_secrets
from engines.base import Introspector
from engines.connect import open_introspector
from engines.probe import ProbeResult, probe


def open_source(source: Source, settings: Settings, read_timeout: float | None = None) -> Introspector:
    """The source's introspector, not yet connected (VaultError when its
    secrets cannot be decrypted)."""
    secrets = decrypt_secrets(Vault(settings.fernet_keys), source.secrets)
    return open_introspector(source.engine, source.settings or {}, secrets, settings, read_timeout)


def probe_source(source: Source, settings: Settings) -> ProbeResult:
    """Test-open a source (saved, or built from a form and never stored)."""
    try:
        secrets = decrypt_secrets(Vault(settings.fernet_keys), source.secrets)
    except VaultError:
        return ProbeResult(False, 0, "credentials_unreadable", "the stored password cannot be decrypted; set it again")
    return probe(source.engine, source.settings or {}, secrets, settings)
