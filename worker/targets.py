"""From a stored source to a live introspector session: decrypt the password
here, in the worker, and check the address against the network policy."""

from __future__ import annotations

from catalog.models import Source
from catalog.netpolicy import AddressRefused, policy_for, resolve_allowed
from catalog.settings import Settings
from catalog.vault import Vault

from .introspect import INTROSPECTORS, ConnectionParams, Introspector
from .introspect.base import TargetAddressRefused, TargetUnreachable


def _alike(source: Source) -> TargetUnreachable:
    """Production: a refused address and an unreachable one read the same, so
    crawl errors cannot be used to map the network the workers sit in."""
    return TargetUnreachable(
        f"could not connect to {source.host}:{source.port}: the host is unreachable or not allowed by this "
        "server's network policy"
    )


def open_introspector(source: Source, settings: Settings) -> Introspector:
    # Resolve once, check every address, and connect to the checked one (hostaddr).
    try:
        hostaddr = resolve_allowed(source.host, source.port, policy_for(settings), source.database)
    except AddressRefused as e:
        if settings.production:
            raise _alike(source) from None
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
    introspector = INTROSPECTORS[source.engine](params)
    if settings.production:
        connect = introspector.connect

        def connect_alike() -> None:
            try:
                connect()
            except TargetUnreachable:
                raise _alike(source) from None

        introspector.connect = connect_alike  # type: ignore[method-assign]
    return introspector
