"""A database URL as one engine's settings, and one read of it as the
export's JSON document (`metacrawl snapshot`).

The read goes through the crawl's own open path (engines.connect:
settings re-checked, address resolved, checked and pinned, read-only
session, connect/statement/lock timeouts, every wait bounded) with the
CLI's network policy: loopback and private addresses are allowed (the
command runs on the user's own machine, against the user's own
databases), link-local and cloud metadata addresses never are."""

from __future__ import annotations

import getpass
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from crawl.steps import catalog_objects
from engines.connect import open_introspector
from engines.documents import table_document
from engines.settings import SSLMODES

BATCH = 500
SERVER_ENGINES = {"postgresql": 5432, "postgres": 5432, "mysql": 3306, "mariadb": 3306}
PASSWORD_ENV = {"postgresql": "PGPASSWORD", "mysql": "MYSQL_PWD", "mariadb": "MYSQL_PWD"}


class UrlProblem(ValueError):
    """A database URL the gate cannot read (a usage error)."""


@dataclass(frozen=True)
class CliConfig:
    """engines.connect.Config for the user's own machine: the crawl's default
    timeouts, loopback and private addresses allowed, no catalog to protect."""

    connect_timeout: int = 10
    statement_timeout: int = 60
    lock_timeout: int = 5
    read_timeout: int = 90
    sqlite_dirs: tuple[str, ...] = ()
    catalog_url: str = ""
    allow_loopback_targets: bool = True
    allow_private_targets: bool = True
    allow_catalog_server_targets: bool = True
    production: bool = False


@dataclass(frozen=True)
class Target:
    engine: str
    settings: dict[str, Any]
    secrets: dict[str, str]
    label: str  # the URL without its password
    config: CliConfig


def is_database_url(text: str) -> bool:
    return "://" in text


def parse_target(url: str, config: CliConfig | None = None) -> Target:
    """postgresql://user:pw@host:port/db (?sslmode=), mysql:// or mariadb://
    (same form), sqlite:///path/to/file.db."""
    config = config or CliConfig()
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme == "sqlite":
        path = Path(unquote(parts.path)).resolve()
        if parts.netloc or not parts.path:
            raise UrlProblem(f"{url}: an SQLite URL is sqlite:///path/to/file.db (three slashes, then the path)")
        cfg = CliConfig(**{**vars(config), "sqlite_dirs": (str(path.parent),)})
        return Target("sqlite", {"path": str(path)}, {}, f"sqlite:///{path}", cfg)
    if scheme not in SERVER_ENGINES:
        raise UrlProblem(
            f"{url.split('://')[0]}://: not a database URL the gate reads (postgresql, mysql, mariadb, sqlite)"
        )
    engine = "postgresql" if scheme == "postgres" else scheme
    try:
        port = parts.port or SERVER_ENGINES[scheme]
    except ValueError:
        raise UrlProblem(f"{scheme}:// URL with a port that is not a number") from None
    database = unquote(parts.path.lstrip("/"))
    if not parts.hostname or not database:
        raise UrlProblem(f"a {scheme} URL names a host and a database: {scheme}://user:password@host:port/database")
    options = {}
    for key, value in parse_qsl(parts.query):
        if key != "sslmode" or engine != "postgresql" or value not in SSLMODES:
            raise UrlProblem(f"URL parameter {key}={value} is not accepted (only sslmode, on postgresql)")
        options["sslmode"] = value
    username = unquote(parts.username) if parts.username else getpass.getuser()
    password = unquote(parts.password) if parts.password else os.environ.get(PASSWORD_ENV[engine], "")
    settings = {"host": parts.hostname, "port": port, "database": database, "username": username, "options": options}
    label = f"{engine}://{username}@{parts.hostname}:{port}/{database}"
    return Target(engine, settings, {"password": password} if password else {}, label, config)


def object_items(target) -> dict[str, list[dict]]:
    """The target's sequences, triggers and routines as the export lists them."""
    out: dict[str, list[dict]] = {"sequences": [], "triggers": [], "routines": []}
    for row in catalog_objects(target):
        item = {"schema": row["schema"], "name": row["name"], **row["details"]}
        if row["kind"] == "sequence":
            out["sequences"].append(item)
        elif row["kind"] == "trigger":
            out["triggers"].append({**item, "table": row["table"]})
        else:
            out["routines"].append({**item, "kind": row["kind"], "arguments": row["arguments"]})
    return out


def snapshot(target: Target) -> dict:
    """One read of the target as the export's JSON document (format=json):
    every table's document, then its sequences, triggers and routines.
    Raises engines' TargetError (connection refused, timeouts...)."""
    started = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    with open_introspector(target.engine, target.settings, target.secrets, target.config) as t:
        refs = [ref for chunk in t.stream_tables(BATCH) for ref in chunk]  # listed whole, then described
        tables = [table_document(x) for i in range(0, len(refs), BATCH) for x in t.describe(refs[i : i + BATCH])]
        objects = object_items(t)
    tables.sort(key=lambda d: (d["schema"], d["name"]))
    return {
        "source_id": None,
        "name": target.label,
        "engine": target.engine,
        "last_crawled_at": started,
        "curation": {"source": None, "schemas": {}},
        "tables": tables,
        **objects,
    }
