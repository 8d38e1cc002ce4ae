"""One introspector per engine, registered here: the one registry the API
(validation, OpenAPI) and the worker both read. Adding an engine is a
module with an Introspector subclass and one line in _WHERE below.

The registry imports an engine's module (and its driver: pymysql, sqlglot,
SQLAlchemy's dialects) the first time that engine is looked up, so a process
that never crawls MySQL never loads pymysql (issue #27: a lean worker)."""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping

from .base import ConnectionParams, Introspector, TargetError  # noqa: F401

# engine name -> (module of this package, its Introspector class)
_WHERE: dict[str, tuple[str, str]] = {
    "postgresql": ("postgres", "PostgresIntrospector"),
    "mysql": ("mysql", "MySQLIntrospector"),
    "mariadb": ("mysql", "MySQLIntrospector"),
    "sqlite": ("sqlite", "SQLiteIntrospector"),
    "sqlalchemy": ("generic", "GenericIntrospector"),
}


class _Registry(Mapping[str, type[Introspector]]):
    """name -> Introspector class, each module imported on first lookup."""

    def __getitem__(self, name: str) -> type[Introspector]:
        module, cls = _WHERE[name]
        return getattr(importlib.import_module(f"{__name__}.{module}"), cls)

    def __iter__(self) -> Iterator[str]:
        return iter(_WHERE)

    def __len__(self) -> int:
        return len(_WHERE)


ENGINES: Mapping[str, type[Introspector]] = _Registry()
