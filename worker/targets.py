"""From a stored source to a live introspector session: decrypt the secrets
here, in the worker, re-check the settings against this server's rules and
the address against the network policy."""

from __future__ import annotations

from catalog.models import Source
from catalog.netpolicy import AddressRefused, resolve_allowed
from catalog.settings import Settings
from catalog.vault import Vault, decrypt_secrets

from .introspect import ENGINES, Introspector
from .introspect.base import TargetAddressRefused, TargetSettingsRefused


def open_introspector(source: Source, settings: Settings) -> Introspector:
    engine = ENGINES.get(source.engine)
    if engine is None:
        raise TargetSettingsRefused("engine", f'this server has no engine "{source.engine}"')
    stored = dict(source.settings or {})
    engine.check_settings(stored, settings.sqlite_dirs)
    hostaddr = None
    address = engine.address(stored)
    if address is not None:
        try:
            hostaddr = resolve_allowed(
                address[0], address[1], settings.allow_loopback_targets, settings.allow_private_targets
            )
        except AddressRefused as e:
            raise TargetAddressRefused(str(e)) from None
    params = engine.connection_params(
        stored,
        decrypt_secrets(Vault(settings.fernet_keys), source.secrets),
        connect_timeout=settings.connect_timeout,
        statement_timeout=settings.statement_timeout,
        lock_timeout=settings.lock_timeout,
        hostaddr=hostaddr,
        allowed_dirs=settings.sqlite_dirs,
    )
    return engine(params)
