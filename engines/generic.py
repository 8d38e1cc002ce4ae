"""Any SQLAlchemy dialect installed here, through the Inspector's batch calls.

The source is a SQLAlchemy URL without a password (`duckdb:////data/x.duckdb`,
`sqlite:////data/app.db`, `postgresql+psycopg2://reader@db.example/app`) plus
the password as the secret field. A URL holding a password is refused: it
would be stored and shown in clear.

A batch is described per schema with the Inspector's `get_multi_*` calls
(columns, primary keys, foreign keys, indexes, unique and check constraints,
table comments), each over the batch's names (`filter_names`). A dialect
that implements them in bulk (PostgreSQL, Oracle, DuckDB through the
PostgreSQL dialect) asks a few queries per batch; one that does not gets
SQLAlchemy's per-table fallback (SQLite: a few PRAGMAs per table). A call
the dialect does not implement at all (NotImplementedError) is skipped.

Safety: the egress policy applies to the URL's host; a URL without a host
names a file, which must be inside the operator's allowed directories
(METACRAWL_SQLITE_DIRS), as for the sqlite engine. The session is read-only
where this module knows how to make it so: sqlite (`mode=ro` URI and
`PRAGMA query_only`), duckdb (`read_only`), postgresql
(`default_transaction_read_only`) and mysql/mariadb (`SET SESSION
TRANSACTION READ ONLY`); another dialect is refused, since nothing would
stop a write. The statement timeout interrupts the DBAPI connection
(`interrupt()`, `cancel()`) when a call runs past it.
"""

from __future__ import annotations

import contextlib
import threading
import time
import warnings
from collections.abc import Iterator, Mapping, Sequence
from typing import Any
from urllib.parse import quote

import marshmallow as ma
import sqlalchemy as sa
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.engine.reflection import ObjectKind
from sqlalchemy.exc import ArgumentError, NoSuchModuleError
from sqlalchemy.pool import NullPool

from .assemble import Key, assemble
from .base import (
    Column,
    ConnectionParams,
    Constraint,
    ForeignKey,
    Index,
    Introspector,
    PrimaryKey,
    SchemaFilterOptions,
    Table,
    TableRef,
    Target,
    TargetAuthFailed,
    TargetDatabaseMissing,
    TargetError,
    TargetSettingsRefused,
    TargetTimeout,
    TargetUnreachable,
    check_file,
    local_file_refused,
    name_list,
    scrubbed,
    secret,
    secs,
)
from .mysql import bound_reads
from .postgres import NO_PASSFILE

SYSTEM_SCHEMAS = frozenset({"information_schema", "pg_catalog", "mysql", "performance_schema", "sys"})
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

# DuckDB's schemas: the current database's first, DuckDB's internal databases
# (system, temp) and catalog schemas left out.
DUCKDB_SCHEMAS = """
SELECT s.database_name, s.schema_name, s.database_name = current_database() AS current
FROM duckdb_schemas() s JOIN duckdb_databases() d ON d.database_name = s.database_name
WHERE NOT d.internal AND s.schema_name NOT IN ('information_schema', 'pg_catalog')
ORDER BY current DESC, s.database_name, s.schema_name
"""


def parse_url(text: str) -> URL:
    try:
        return make_url(text)
    except (ArgumentError, ValueError):
        raise ma.ValidationError("not a SQLAlchemy URL (dialect+driver://user@host:port/database)") from None


def url_problem(url: URL) -> str | None:
    """What this server refuses in a URL, or None: a password anywhere, a
    dialect or driver it cannot open read-only, a query parameter outside
    the dialect's allowlist, a server dialect without a host."""
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
    if backend not in FILE_DIALECTS and not url.host:
        return f"a {backend} URL must name the server's host (dialect+driver://user@host:port/database)"
    return None


def _valid_url(text: str) -> None:
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
        validate=[ma.validate.Length(min=1, max=4096), _valid_url],
        metadata={"description": "A SQLAlchemy URL without the password, e.g. duckdb:////data/x.duckdb."},
    )
    password = secret(
        ma.fields.String(
            validate=ma.validate.Length(min=1, max=1024),
            metadata={"description": "Write-only: stored encrypted, never returned."},
        )
    )
    options = ma.fields.Nested(SchemaFilterOptions, load_default=dict)


# --- records from the Inspector's dictionaries ------------------------------------------


def type_text(type_: Any, dialect: sa.Dialect) -> str:
    try:
        return str(type_.compile(dialect=dialect))
    except Exception:  # a type the dialect cannot print (NullType): its repr is all there is
        return str(type_)


def column_record(ordinal: int, col: Mapping[str, Any], dialect: sa.Dialect) -> Column:
    computed = col.get("computed") or {}
    identity = col.get("identity")
    return Column(
        name=col["name"],
        ordinal=ordinal,
        type=type_text(col["type"], dialect),
        nullable=bool(col.get("nullable", True)),
        default=None if computed else col.get("default"),
        comment=col.get("comment"),
        identity=("always" if identity.get("always") else "by default") if identity else None,
        generated=str(computed["sqltext"]) if computed else None,
    )


def foreign_key_record(table: str, schema: str, fk: Mapping[str, Any]) -> ForeignKey:
    options = fk.get("options") or {}
    columns = list(fk.get("constrained_columns") or [])
    return ForeignKey(
        name=fk.get("name") or f"{table}_{'_'.join(columns)}_fkey",
        columns=columns,
        referenced_schema=fk.get("referred_schema") or schema,
        referenced_table=fk["referred_table"],
        referenced_columns=list(fk.get("referred_columns") or []),
        on_update=(options.get("onupdate") or "NO ACTION").upper(),
        on_delete=(options.get("ondelete") or "NO ACTION").upper(),
    )


def index_record(ix: Mapping[str, Any]) -> Index:
    expressions = ix.get("expressions") or []
    columns = [
        c if c is not None else (expressions[i] if i < len(expressions) else "(expression)")
        for i, c in enumerate(ix.get("column_names") or [])
    ]
    return Index(name=ix.get("name") or "", columns=columns, unique=bool(ix.get("unique")))


# --- the introspector ------------------------------------------------------------------


class GenericIntrospector(Introspector):
    """Reflects through SQLAlchemy's Inspector over one connection."""

    title = "SQLAlchemy dialect"
    settings_schema = GenericSettings
    driver_errors = (sa.exc.DBAPIError, sa.exc.ResourceClosedError)

    def __init__(self, params: ConnectionParams):
        super().__init__(params)
        self._engine: Engine | None = None
        self._conn: Connection | None = None
        self._timed_out = False

    # settings ----------------------------------------------------------------------

    @classmethod
    def address(cls, settings: Mapping[str, Any]) -> Target | None:
        url = parse_url(settings.get("url") or "")
        if not url.host:
            return None
        port = url.port or DEFAULT_PORTS.get(url.get_backend_name(), 0)
        return Target(url.host, port, url.database)

    @classmethod
    def check_settings(cls, settings: Mapping[str, Any], allowed_dirs: Sequence[str]) -> None:
        """Registration and every crawl: a stored URL is checked again, so one
        saved before these rules existed cannot open what they refuse."""
        try:
            problem = url_problem(parse_url(settings.get("url") or ""))
        except ma.ValidationError as e:
            problem = str(e.messages[0] if e.messages else e)
        if problem:
            raise TargetSettingsRefused("url", problem)
        cls._file(settings, allowed_dirs)

    @classmethod
    def _file(
        cls, settings: Mapping[str, Any], allowed_dirs: Sequence[str], missing: type[TargetError] | None = None
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

    # connection ----------------------------------------------------------------

    def _url_and_args(self) -> tuple[URL, dict[str, Any]]:
        url = make_url(str(self.params.settings.get("url") or ""))
        backend = url.get_backend_name()
        if self.params.password and url.host:  # a file has no password to send
            url = url.set(password=self.params.password)
        args: dict[str, Any] = {}
        timeout = max(1, int(self.params.connect_timeout or 1))
        statement_ms = int(float(self.params.statement_timeout or 0) * 1000)
        if backend == "sqlite":
            real = self._file(self.params.settings, self.params.allowed_dirs, TargetDatabaseMissing)
            url = url.set(database=f"file:{quote(str(real))}", query={"mode": "ro", "uri": "true"})
            args = {"timeout": float(self.params.connect_timeout or 1)}
        elif backend == "duckdb":
            real = self._file(self.params.settings, self.params.allowed_dirs, TargetDatabaseMissing)
            url = url.set(database=real)
            args = {"read_only": True}
        elif backend == "postgresql" and url.get_driver_name() == "psycopg2":
            args = {
                "connect_timeout": max(2, timeout),
                "options": f"-c default_transaction_read_only=on -c statement_timeout={statement_ms}",
                "application_name": "metacrawl",
                # never the worker's own PGPASSWORD or ~/.pgpass (as the postgresql engine)
                "password": self.params.password or "",
                "passfile": NO_PASSFILE,
                "keepalives": 1,
                "keepalives_idle": 30,
                "keepalives_interval": 10,
                "keepalives_count": 3,
            }
            if self.params.hostaddr:
                args["hostaddr"] = self.params.hostaddr
        elif backend in ("mysql", "mariadb") and url.get_driver_name() == "pymysql":
            # LOCAL INFILE off whatever the URL says (a server may ask for a
            # file unprompted); the login and every read bounded on the socket.
            # The login bounded by the connect timeout; later waits by the
            # read bound (set on the connection once it is open: `connect`).
            args = {"connect_timeout": timeout, "local_infile": False, "client_flag": 0}
            args["read_timeout"] = args["write_timeout"] = timeout
            if self.params.hostaddr:
                url = url.set(host=self.params.hostaddr)
        else:
            raise TargetSettingsRefused("url", f'dialect "{url.drivername}" cannot be opened read-only by metacrawl')
        return url, args

    def connect(self) -> None:
        self.close()
        url, args = self._url_and_args()
        backend = url.get_backend_name()
        engine = sa.create_engine(url, poolclass=NullPool, connect_args=args)
        if backend == "sqlite":
            sa.event.listen(engine, "connect", _sqlite_read_only)
        elif backend in ("mysql", "mariadb"):
            sa.event.listen(engine, "connect", _mysql_read_only)
        # DuckDB does not wait for a lock: a file another process writes
        # (it holds the file's lock while connected) is tried again until
        # the connect timeout has passed.
        deadline = time.monotonic() + float(self.params.connect_timeout or 1)
        while True:
            try:
                conn = engine.connect()
                if backend == "sqlite":  # opening reads nothing yet: a locked or broken file shows here
                    conn.exec_driver_sql("SELECT count(*) FROM sqlite_master").all()
                    conn.rollback()
                break
            except sa.exc.DBAPIError as exc:
                if backend == "duckdb" and _duckdb_locked(exc) and time.monotonic() < deadline:
                    time.sleep(0.1)
                    continue
                engine.dispose()
                raise self._connect_error(exc) from None
            except RuntimeError as exc:  # PyMySQL refused a LOAD DATA LOCAL request (the dialect's first query)
                engine.dispose()
                raise local_file_refused(self._where()) from exc
        if backend in ("mysql", "mariadb"):
            bound_reads(conn.connection.dbapi_connection, self.params)
        self._engine, self._conn = engine, conn

    def _connect_error(self, exc: BaseException) -> TargetError:
        where = self._where()
        text = str(getattr(exc, "orig", exc)).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        low = text.lower()
        err: TargetError
        if "locked" in low or "timeout" in low or "timed out" in low or "could not set lock" in low:
            held = " (another connection holds the file's lock)" if "lock" in low else ""
            err = TargetUnreachable(
                f"could not connect to {where}: timeout after {secs(self.params.connect_timeout)} s{held}"
            )
        elif "password" in low or "access denied" in low or "authentication" in low:
            err = TargetAuthFailed(f"authentication failed on {where}: check the user name and password")
        elif "does not exist" in low or "unknown database" in low:
            err = TargetDatabaseMissing(f"the database at {where} does not exist")
        else:
            err = TargetUnreachable(f"could not connect to {where}: {text}")
        return scrubbed(err, self.params)

    def _where(self) -> str:
        url = make_url(str(self.params.settings.get("url") or ""))
        return url.render_as_string(hide_password=True)

    def _dbapi_connection(self) -> Any:
        try:
            return None if self._conn is None or self._conn.closed else self._conn.connection.dbapi_connection
        except sa.exc.SQLAlchemyError:
            return None

    def close(self) -> None:
        conn, self._conn = self._conn, None
        engine, self._engine = self._engine, None
        if conn is not None:
            with contextlib.suppress(Exception):  # a broken connection has nothing left to report
                conn.close()
        if engine is not None:
            engine.dispose()

    def _live(self) -> Connection:
        if self._conn is None or self._conn.closed:
            self.connect()
        if self._conn is None:
            raise TargetError("no connection to the target")
        return self._conn

    # queries -------------------------------------------------------------------

    @contextlib.contextmanager
    def _timer(self) -> Iterator[None]:
        """Interrupt the DBAPI connection if the call runs past the statement timeout."""
        timeout = float(self.params.statement_timeout or 0)
        conn = self._live()
        raw = conn.connection.dbapi_connection
        stop = getattr(raw, "interrupt", None) or getattr(raw, "cancel", None)
        self._timed_out = False
        if not timeout or stop is None:
            yield
            return

        def fire() -> None:
            self._timed_out = True
            with contextlib.suppress(Exception):
                stop()

        timer = threading.Timer(timeout, fire)
        timer.daemon = True
        timer.start()
        try:
            yield
        finally:
            timer.cancel()

    @contextlib.contextmanager
    def _no_local_files(self) -> Iterator[None]:
        try:
            yield
        except RuntimeError as exc:  # PyMySQL refused a LOAD DATA LOCAL request
            self.close()
            raise local_file_refused(self._where()) from exc

    def _run(self, sql: str, args: Any) -> list[tuple]:
        with self._timer(), self._no_local_files():
            result = self._live().exec_driver_sql(sql, args or ())
            rows = [tuple(r) for r in result] if result.returns_rows else []
        with contextlib.suppress(Exception):
            self._live().rollback()
        return rows

    def _reflect(self, what: str, call) -> Any:
        """One Inspector call under _query's rules (reconnect once, typed errors, timeout)."""

        def run():
            with self._timer(), self._no_local_files(), warnings.catch_warnings():
                warnings.simplefilter("ignore")  # dialects warn about what they cannot reflect
                try:
                    return call(sa.inspect(self._live()))
                except NotImplementedError:
                    return None
                finally:
                    with contextlib.suppress(Exception):
                        self._live().rollback()

        return self._attempt(run, what)

    def _is_lost(self, exc: BaseException) -> bool:
        if isinstance(exc, sa.exc.ResourceClosedError):
            return True
        invalidated = bool(getattr(exc, "connection_invalidated", False))
        return invalidated or "closed" in str(getattr(exc, "orig", "")).lower()

    def _query_error(self, exc: BaseException, what: str) -> TargetError:
        text = str(getattr(exc, "orig", exc)).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        if self._timed_out or text == "interrupted" or "interrupt" in text.lower():
            return TargetTimeout(
                f"statement timeout after {secs(self.params.statement_timeout)} s while {what} on {self._where()}"
            )
        return TargetError(f"reading the catalog failed while {what} on {self._where()}: {text}")

    def _end_statement(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(Exception):
                self._conn.rollback()

    # the interface -------------------------------------------------------------

    def _schemas(self) -> list[str]:
        opts = self.params.options or {}
        include = name_list(opts.get("include_schemas"), "include_schemas")
        exclude = set(name_list(opts.get("exclude_schemas"), "exclude_schemas"))
        if include:
            names = include
        elif self._live().dialect.name == "duckdb":
            names = self._duckdb_schemas()
        else:
            names = self._reflect("listing schemas", lambda i: i.get_schema_names()) or []
        return [
            s
            for s in names
            if s not in exclude
            and s.lower() not in SYSTEM_SCHEMAS
            and not s.startswith(("system.", "temp.", "pg_"))
            and s != "temp"
        ]

    def _duckdb_schemas(self) -> list[str]:
        """DuckDB's schemas as its users name them: `main`, not `<file>.main`.

        The DuckDB dialects list every schema of every attached database as
        `<database>.<schema>` (the database of a file is named after it, so
        the same file would list differently under another name); the
        database the URL opened is the current one, and its schemas are the
        bare names, which the dialects resolve in the current database first.
        Schemas of other attached databases (none unless the file's
        connection attaches them) keep their `<database>.` prefix, quoted as
        the dialect quotes it; DuckDB's own `system` and `temp` databases are
        left out."""
        rows = self._query(DUCKDB_SCHEMAS, what="listing schemas")
        quote = self._live().dialect.identifier_preparer.quote
        return [schema if current else f"{quote(db)}.{quote(schema)}" for db, schema, current in rows]

    def list_tables(self) -> list[TableRef]:
        refs = []
        for schema in self._schemas():
            tables = self._reflect("listing tables", lambda i, s=schema: i.get_table_names(schema=s)) or []
            views = self._reflect("listing views", lambda i, s=schema: i.get_view_names(schema=s)) or []
            refs += [TableRef(schema, n, "table") for n in tables] + [TableRef(schema, n, "view") for n in views]
        return sorted(dict.fromkeys(refs), key=lambda r: (r.schema, r.name))

    def describe(self, tables: list[TableRef]) -> list[Table]:
        by_schema: dict[str, list[str]] = {}
        for t in tables:
            by_schema.setdefault(t.schema, []).append(t.name)
        what = f"describing {len(tables)} tables"
        dialect = self._live().dialect
        details: dict[Key, dict] = {}
        columns: list[tuple[Key, Column]] = []
        pks: list[tuple[Key, PrimaryKey]] = []
        fks: list[tuple[Key, ForeignKey]] = []
        indexes: list[tuple[Key, Index]] = []
        constraints: list[tuple[Key, Constraint]] = []
        for schema, names in by_schema.items():

            def multi(method: str, s: str = schema, n: list[str] = names) -> dict:
                kw = {"schema": s, "filter_names": n, "kind": ObjectKind.ANY}
                return self._reflect(what, lambda i: dict(getattr(i, method)(**kw))) or {}

            cols = multi("get_multi_columns")
            if not cols:
                continue
            for (_, name), found in cols.items():
                key = (schema, name)
                details[key] = {}
                columns += [(key, column_record(n, c, dialect)) for n, c in enumerate(found, 1)]
            for (_, name), comment in multi("get_multi_table_comment").items():
                if (schema, name) in details:
                    details[(schema, name)]["comment"] = (comment or {}).get("text")
            for (_, name), pk in multi("get_multi_pk_constraint").items():
                if pk and pk.get("constrained_columns"):
                    pks.append(((schema, name), PrimaryKey(pk.get("name"), list(pk["constrained_columns"]))))
            for (_, name), found in multi("get_multi_foreign_keys").items():
                fks += [((schema, name), foreign_key_record(name, schema, fk)) for fk in found]
            for (_, name), found in multi("get_multi_indexes").items():
                indexes += [((schema, name), index_record(ix)) for ix in found]
            for (_, name), found in multi("get_multi_unique_constraints").items():
                for u in found:
                    ucols = list(u.get("column_names") or [])
                    unique = u.get("name") or f"{name}_{'_'.join(ucols)}_key"
                    constraints.append(((schema, name), Constraint(unique, "unique", ucols)))
            for (_, name), found in multi("get_multi_check_constraints").items():
                for n, c in enumerate(found, 1):
                    check = c.get("name") or f"{name}_check{n if n > 1 else ''}"
                    constraints.append(((schema, name), Constraint(check, "check", [], f"CHECK ({c.get('sqltext')})")))
        return assemble(
            tables, details, columns, primary_keys=pks, foreign_keys=fks, indexes=indexes, constraints=constraints
        )


def _duckdb_locked(exc: BaseException) -> bool:
    """Whether DuckDB refused to open a file because another process holds its lock."""
    return "could not set lock" in str(getattr(exc, "orig", exc)).lower()


def _sqlite_read_only(dbapi_connection, _record) -> None:
    dbapi_connection.execute("PRAGMA query_only = ON")
    dbapi_connection.execute("PRAGMA trusted_schema = OFF")


def _mysql_read_only(dbapi_connection, _record) -> None:
    with dbapi_connection.cursor() as cur:
        cur.execute("SET SESSION TRANSACTION READ ONLY")
