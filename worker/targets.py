"""From a stored source to a live introspector session: decrypt the password
here, in the worker, and check the address against the network policy."""

from __future__ import annotations

from catalog.models import Source
from catalog.netpolicy import AddressRefused, resolve_allowed
from catalog.settings import Settings
from catalog.vault import Vault

from .introspect import INTROSPECTORS, ConnectionParams, Introspector
from .introspect.base import TargetAddressRefused


def open_introspector(source: Source, settings: Settings) -> Introspector:
    try:
        hostaddr = resolve_allowed(
            source.host, source.port, settings.allow_loopback_targets, settings.allow_private_targets
        )
    except AddressRefused as e:
        raise TargetAddressRefused(str(e)) from None
    params = ConnectionParams(
        host=source.host,
        port=source.port,
        database=source.database,
        username=source.username,
        password=Vault(settings.fernet_keys).decrypt(source.password_encrypted),
        options=dict(source.options or {}),
        connect_timeout=settings.connect_timeout,
        statement_timeout=settings.statement_timeout,
        lock_timeout=settings.lock_timeout,
        hostaddr=hostaddr,
    )
    return INTROSPECTORS[source.engine](params)
