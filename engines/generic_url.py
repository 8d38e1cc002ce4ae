"""The sqlalchemy engine's URL rules: which dialects and drivers it opens
(only those whose session it knows how to make read-only and bounded), which
URL parameters it lets through to the driver, the database file a URL
names, and the driver arguments of each dialect."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

import marshmallow as ma
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError

from .base import check_file
from .errors import TargetDatabaseMissing, TargetError, TargetSettingsRefused
from .postgres import KEEPALIVES, NO_PASSFILE, connect_timeout
from .records import ConnectionParams
from .settings import SchemaFilterOptions, secret

FILE_DIALECTS = frozenset({"sqlite", "duckdb"})
# The one driver of each dialect whose session metacrawl knows how to make
# read-only and bounded, and the port it connects to when the URL names none.
DRIVERS = {
    "postgresql": "psycopg2",
    "mysql": "pymysql",
    "mariadb": "pymysql",
    "sqlite": "pysqlite",
    "duckdb": "duckdb_sqlalchemy",
}
KNOWN_DIALECTS = frozenset(DRIVERS)
DEFAULT_PORTS = {"postgresql": 5432, "mysql": 3306, "mariadb": 3306}
# A URL's query parameters become driver arguments, so only these may be
# given: anything else (host, port, unix_socket, local_infile, init_command,
# options, service, passfile, read_default_file, sslrootcert...) could send
# the connection elsewhere, read the server's files or run a statement.
URL_PARAMETERS: dict[str, dict[str, tuple[str, ...]]] = {
    "postgresql": {"sslmode": ("disable", "allow", "prefer", "require", "verify-ca", "verify-full")},
    "mysql": {"charset": ("utf8mb4", "utf8mb3", "utf8", "latin1")},
    "mariadb": {"charset": ("utf8mb4", "utf8mb3", "utf8", "latin1")},
}
SECRET_PARAMETERS = frozenset({"password", "passwd", "pwd", "pass", "secret"})


def parse_url(text: str) -> URL:
    try:
        return make_url(text)
    except (ArgumentError, ValueError):
        raise ma.ValidationError("not a SQLAlchemy URL (dialect+driver://user@host:port/database)") from None


def url_problem(url: URL) -> str | None:
    """What this server refuses in a URL, or None: a password anywhere, a
    dialect or driver it cannot open read-only, a query parameter outside
    the dialect's allowlist, a server URL without a host or database, a
    file URL with a host."""
    if url.password or any(k.lower() in SECRET_PARAMETERS for k in url.query):
        return "must not contain a password: send it in the password field, which is kept secret"
    backend = url.get_backend_name()
    if backend not in KNOWN_DIALECTS:
        return f'dialect "{backend}" cannot be opened read-only by metacrawl; known: {", ".join(sorted(DRIVERS))}'
    if url.get_driver_name() != DRIVERS[backend]:
        return (
            f'driver "{url.get_driver_name()}" of {backend} is not one metacrawl opens read-only; '
            f"use {backend}+{DRIVERS[backend]}://"
        )
    allowed = URL_PARAMETERS.get(backend, {})
    for key, value in url.query.items():
        if key not in allowed:
            if not allowed:
                return f'URL parameter "{key}" is not allowed: a {backend} URL takes no parameters'
            return f'URL parameter "{key}" is not allowed; allowed: {", ".join(sorted(allowed))}'
        if not isinstance(value, str) or value not in allowed[key]:
            return f'URL parameter "{key}" must be one of {", ".join(allowed[key])}'
    if backend in FILE_DIALECTS:
        # a host would skip the allowed-directories check: a file has none
        return f"a {backend} URL names a file and no host ({backend}:////absolute/path)" if url.host else None
    if not url.host or not url.database:
        # without a database the driver would choose one (libpq: the user's name), unchecked
        return (
            f"a {backend} URL must name the server's host and the database (dialect+driver://user@host:port/database)"
        )
    return None


def valid_url(text: str) -> None:
    url = parse_url(text)
    try:
        url.get_dialect()
    except NoSuchModuleError:
        raise ma.ValidationError(f'no SQLAlchemy dialect "{url.drivername}" is installed on this server') from None
    problem = url_problem(url)
    if problem:
        raise ma.ValidationError(problem)


class GenericSettings(ma.Schema):
    class Meta:
        unknown = ma.RAISE

    url = ma.fields.String(
        required=True,
        validate=[ma.validate.Length(min=1, max=4096), valid_url],
        metadata={"description": "A SQLAlchemy URL without the password, e.g. duckdb:////data/x.duckdb."},
    )
    password = secret(
        ma.fields.String(
            validate=ma.validate.Length(min=1, max=1024),
            metadata={"description": "Write-only: stored encrypted, never returned."},
        )
    )
    options = ma.fields.Nested(SchemaFilterOptions, load_default=dict)


def database_file(
    settings: Mapping[str, Any], allowed_dirs: Sequence[str], missing: type[TargetError] | None = None
) -> str | None:
    """The resolved database file of a URL without a host, None for a server."""
    try:
        url = parse_url(settings.get("url") or "")
    except ma.ValidationError as e:
        raise TargetSettingsRefused("url", str(e.messages[0] if e.messages else e)) from None
    if url.host:
        return None
    if url.query:
        raise TargetSettingsRefused("url", "a URL naming a database file takes no query parameters")
    if not url.database or url.database == ":memory:" or not url.database.startswith("/"):
        raise TargetSettingsRefused("url", "name the database file by its absolute path (dialect:////path/file)")
    return check_file(url.database, allowed_dirs, "url", missing)


def url_and_args(params: ConnectionParams) -> tuple[URL, dict[str, Any]]:
    """The URL to open and the driver arguments that make its session
    read-only and bounded, for the one driver of each known dialect."""
    url = make_url(str(params.settings.get("url") or ""))
    backend = url.get_backend_name()
    if params.password and url.host:  # a file has no password to send
        url = url.set(password=params.password)
    if url.host and url.port is None and backend in DEFAULT_PORTS:
        # the port the policy checked, never one the driver takes from the environment (PGPORT)
        url = url.set(port=DEFAULT_PORTS[backend])
    args: dict[str, Any] = {}
    timeout = max(1, int(params.connect_timeout or 1))
    statement_ms = int(float(params.statement_timeout or 0) * 1000)
    if backend == "sqlite":
        real = database_file(params.settings, params.allowed_dirs, TargetDatabaseMissing)
        url = url.set(database=f"file:{quote(str(real))}", query={"mode": "ro", "uri": "true"})
        args = {"timeout": float(params.connect_timeout or 1)}
    elif backend == "duckdb":
        real = database_file(params.settings, params.allowed_dirs, TargetDatabaseMissing)
        url = url.set(database=real)
        args = {"read_only": True}
    elif backend == "postgresql" and url.get_driver_name() == "psycopg2":
        args = {
            "connect_timeout": connect_timeout(params),
            "options": f"-c default_transaction_read_only=on -c statement_timeout={statement_ms}",
            "application_name": "metacrawl",
            # never the worker's own PGPASSWORD or ~/.pgpass (as the postgresql engine)
            "password": params.password or "",
            "passfile": NO_PASSFILE,
            **KEEPALIVES,
        }
        if params.hostaddr:
            args["hostaddr"] = params.hostaddr
    elif backend in ("mysql", "mariadb") and url.get_driver_name() == "pymysql":
        # LOCAL INFILE off whatever the URL says (a server may ask for a file
        # unprompted); the login's reads bounded by the connect timeout, later
        # waits by the read bound (set once the connection is open: `connect`).
        args = {"connect_timeout": timeout, "local_infile": False, "client_flag": 0}
        args["read_timeout"] = args["write_timeout"] = timeout
        if params.hostaddr:
            url = url.set(host=params.hostaddr)
    else:
        raise TargetSettingsRefused("url", f'dialect "{url.drivername}" cannot be opened read-only by metacrawl')
    return url, args
