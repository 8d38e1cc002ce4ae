"""From a stored source to a live introspector session: decrypt the secrets
here, in the worker, re-check the settings against this server's rules and
the address against the network policy."""

from __future__ import annotations

from catalog.models import Source
from catalog.netpolicy import AddressRefused, policy_for, resolve_allowed
from catalog.settings import Settings
from catalog.vault import Vault, decrypt_secrets

from .introspect import ENGINES, Introspector
from .introspect.base import TargetAddressRefused, TargetSettingsRefused, TargetUnreachable


def _alike(address: tuple[str, int]) -> TargetUnreachable:
    """Production: a refused address and an unreachable one read the same, so
    crawl errors cannot be used to map the network the workers sit in."""
    host, port = address
    return TargetUnreachable(
        f"could not connect to {host}:{port}: the host is unreachable or not allowed by this server's network policy"
    )


def open_introspector(source: Source, settings: Settings) -> Introspector:
    engine = ENGINES.get(source.engine)
    if engine is None:
        raise TargetSettingsRefused("engine", f'this server has no engine "{source.engine}"')
    stored = dict(source.settings or {})
    engine.check_settings(stored, settings.sqlite_dirs)
    hostaddr = None
    address = engine.address(stored)
    if address is not None:
        # Resolve once, check every address, and connect to the checked one (hostaddr).
        try:
            hostaddr = resolve_allowed(address[0], address[1], policy_for(settings), stored.get("database"))
        except AddressRefused as e:
            if settings.production:
                raise _alike(address) from None
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
    introspector = engine(params)
    if settings.production and address is not None:
        connect = introspector.connect

        def connect_alike() -> None:
            try:
                connect()
            except TargetUnreachable:
                raise _alike(address) from None

        introspector.connect = connect_alike  # type: ignore[method-assign]
    return introspector
