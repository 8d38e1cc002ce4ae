"""From a source's stored settings and its secrets (decrypted by the caller,
which holds the vault) to a live introspector session: re-check the
settings against this server's rules and the address against the network
policy, and connect to the address that was checked.

`config` is this server's settings (catalog.settings.Settings); engines read
only the attributes `Config` names, so they import nothing of the catalog."""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import Protocol

from . import ENGINES
from .base import Introspector, Target, TargetAddressRefused, TargetSettingsRefused, TargetUnreachable
from .netpolicy import AddressRefused, policy_for, resolve_allowed


class Config(Hashable, Protocol):
    """What opening a target reads of the server's settings (read-only,
    hashable: the network policy is built once per settings)."""

    @property
    def connect_timeout(self) -> int: ...
    @property
    def statement_timeout(self) -> int: ...
    @property
    def lock_timeout(self) -> int: ...
    @property
    def read_timeout(self) -> int: ...
    @property
    def sqlite_dirs(self) -> tuple[str, ...]: ...
    @property
    def catalog_url(self) -> str: ...
    @property
    def allow_loopback_targets(self) -> bool: ...
    @property
    def allow_private_targets(self) -> bool: ...
    @property
    def allow_catalog_server_targets(self) -> bool: ...
    @property
    def production(self) -> bool: ...


def _alike(address: Target) -> TargetUnreachable:
    """Production: a refused address and an unreachable one read the same, so
    crawl errors cannot be used to map the network the workers sit in."""
    return TargetUnreachable(
        f"could not connect to {address.host}:{address.port}: the host is unreachable or not allowed by this "
        "server's network policy"
    )


def open_introspector(
    engine_name: str,
    stored: Mapping,
    secrets: Mapping[str, str],
    config: Config,
    read_timeout: float | None = None,
) -> Introspector:
    """The introspector of these settings, not yet connected. `read_timeout`
    bounds every wait on the target (default: the crawl's, config.read_timeout)."""
    engine = ENGINES.get(engine_name)
    if engine is None:
        raise TargetSettingsRefused("engine", f'this server has no engine "{engine_name}"')
    settings = dict(stored or {})
    engine.check_settings(settings, config.sqlite_dirs)
    hostaddr = None
    address = engine.address(settings)
    if address is not None:
        # Resolve once, check every address, and connect to the checked one (hostaddr).
        try:
            hostaddr = resolve_allowed(address.host, address.port, policy_for(config), address.database)
        except AddressRefused as e:
            if config.production:
                raise _alike(address) from None
            raise TargetAddressRefused(str(e)) from None
    params = engine.connection_params(
        settings,
        secrets,
        connect_timeout=config.connect_timeout,
        statement_timeout=config.statement_timeout,
        lock_timeout=config.lock_timeout,
        read_timeout=config.read_timeout if read_timeout is None else read_timeout,
        hostaddr=hostaddr,
        allowed_dirs=config.sqlite_dirs,
    )
    introspector = engine(params)
    if config.production and address is not None:
        connect = introspector.connect

        def connect_alike() -> None:
            try:
                connect()
            except TargetUnreachable:
                raise _alike(address) from None

        introspector.connect = connect_alike  # type: ignore[method-assign]
    return introspector
