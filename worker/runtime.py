"""Per-process state of a worker: settings and the catalog connection pool,
set up on first use in each process (any pool type: prefork, threads, solo)."""

from __future__ import annotations

from catalog import db
from catalog.settings import Settings, from_env

_settings: Settings | None = None


def settings() -> Settings:
    global _settings
    if _settings is None:
        _settings = from_env()
        db.configure(_settings.catalog_url, pool_size=2)
    return _settings


def reset() -> None:
    global _settings
    _settings = None
