"""From a stored source to a live introspector session: decrypt the secrets
here, in the worker, re-check the settings against this server's rules and
the address against the network policy."""

from __future__ import annotations

from catalog.models import Source
from catalog.netpolicy import AddressRefused, policy_for, resolve_allowed
from catalog.settings import Settings
from catalog.vault import Vault, decrypt_secrets

from .introspect import ENGINES, Introspector
from .introspect.base import Target, TargetAddressRefused, TargetSettingsRefused, TargetUnreachable


def _alike(address: Target) -> TargetUnreachable:
    """Production: a refused address and an unreachable one read the same, so
    crawl errors cannot be used to map the network the workers sit in."""
    host, port = address.host, address.port
    return TargetUnreachable(
        f"could not connect to {host}:{port}: the host is unreachable or not allowed by this server's network policy"
    )


def open_introspector(source: Source, settings: Settings, read_timeout: float | None = None) -> Introspector:
    """The source's introspector, not yet connected. `read_timeout` bounds
    every wait on the target (default: the crawl's, settings.read_timeout)."""
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
            hostaddr = resolve_allowed(address.host, address.port, policy_for(settings), address.database)
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
        read_timeout=settings.read_timeout if read_timeout is None else read_timeout,
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
