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
where this module knows how to make it so (the URL rules and each dialect's
driver arguments are in engines/generic_url.py): sqlite (`mode=ro` URI and
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

import marshmallow as ma
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.engine.reflection import ObjectKind
from sqlalchemy.pool import NullPool

from .assemble import Key, assemble
from .base import (
    CAPABILITIES,
    Column,
    ConnectionParams,
    Constraint,
    ForeignKey,
    Index,
    Introspector,
    PrimaryKey,
    Table,
    TableRef,
    Target,
    TargetAuthFailed,
    TargetDatabaseMissing,
    TargetError,
    TargetSettingsRefused,
    TargetTimeout,
    TargetUnreachable,
    local_file_refused,
    name_list,
    scrubbed,
    secs,
)
from .generic_records import column_record, foreign_key_record, index_record
from .generic_url import (
    DEFAULT_PORTS,
    FILE_DIALECTS,
    GenericSettings,
    database_file,
    parse_url,
    url_and_args,
    url_problem,
)
from .mysql import bound_reads

SYSTEM_SCHEMAS = frozenset({"information_schema", "pg_catalog", "mysql", "performance_schema", "sys"})

# What a dialect cannot tell the Inspector (checked by tests/test_reflection.py):
DIALECT_GAPS: dict[str, frozenset[str]] = {
    # SQLite keeps no comments; SQLAlchemy's SQLite dialect does not report
    # AUTOINCREMENT and skips expression indexes (with a warning).
    "sqlite": frozenset({"comments", "identity_columns", "index_expressions"}),
    # DuckDB has no identity columns and no foreign key actions (NO ACTION
    # only), keeps no constraint names (the dialect makes them up), and its
    # dialect reports a generated column's expression as its default.
    "duckdb": frozenset(
        {
            "identity_columns",
            "fk_actions",
            "primary_key_names",
            "constraint_names",
            "generated_columns",
            "generation_expressions",
        }
    ),
}

# DuckDB's schemas: the current database's first, DuckDB's internal databases
# (system, temp) and catalog schemas left out.
DUCKDB_SCHEMAS = """
SELECT s.database_name, s.schema_name, s.database_name = current_database() AS current
FROM duckdb_schemas() s JOIN duckdb_databases() d ON d.database_name = s.database_name
WHERE NOT d.internal AND s.schema_name NOT IN ('information_schema', 'pg_catalog')
ORDER BY current DESC, s.database_name, s.schema_name
"""


# --- the introspector ------------------------------------------------------------------


class GenericIntrospector(Introspector):
    """Reflects through SQLAlchemy's Inspector over one connection."""

    title = "SQLAlchemy dialect"
    settings_schema = GenericSettings
    driver_errors = (sa.exc.DBAPIError, sa.exc.ResourceClosedError)
    # What the Inspector gives on every dialect; index_record reads no
    # predicate, direction or prefix, and check constraints come without
    # their columns. DIALECT_GAPS narrows this per dialect.
    capabilities = frozenset(CAPABILITIES) - {
        "check_columns",
        "descending_index_parts",
        "index_prefixes",
        "partial_indexes",
    }

    @classmethod
    def capabilities_for(cls, settings: Mapping[str, Any]) -> frozenset[str]:
        try:
            backend = parse_url(settings.get("url") or "").get_backend_name()
        except ma.ValidationError:
            return cls.capabilities
        return cls.capabilities - DIALECT_GAPS.get(backend, frozenset())

    def __init__(self, params: ConnectionParams):
        super().__init__(params)
        self._engine: Engine | None = None
        self._conn: Connection | None = None
        self._opening: Any = None  # the DB-API connection of a login under way
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
        database_file(settings, allowed_dirs)

    # connection ----------------------------------------------------------------

    def connect(self) -> None:
        self.close()
        url, args = url_and_args(self.params)
        backend = url.get_backend_name()
        # psycopg2's dialect would ask for hstore's OIDs at every connect: one
        # query fewer to bound
        extra = {"use_native_hstore": False} if backend == "postgresql" else {}
        # no reset (a ROLLBACK) when the connection is closed: every call ends
        # its transaction itself, bounded; a close must not wait on a server
        engine = sa.create_engine(url, poolclass=NullPool, pool_reset_on_return=None, connect_args=args, **extra)
        sa.event.listen(engine, "do_connect", self._open_raw)
        if backend == "sqlite":
            sa.event.listen(engine, "connect", _sqlite_read_only)
        elif backend in ("mysql", "mariadb"):
            sa.event.listen(engine, "connect", _mysql_read_only)
        # The login and the dialect's first queries, bounded as a whole: the
        # driver's own timeouts bound each read, not a server that trickles.
        # (A file is opened in-process, its lock waits bounded by _open.)
        login = 0.0 if backend in FILE_DIALECTS else float(self.params.connect_timeout or 1) + 1
        login += float(self.params.read_timeout or 0) if login else 0
        try:
            with self._bounded("logging in", bound=login, connection=lambda: self._opening):
                conn = self._open(engine, backend)
        except TargetError:
            engine.dispose()
            raise
        finally:
            self._opening = None
        if backend in ("mysql", "mariadb"):
            bound_reads(conn.connection.dbapi_connection, self.params)
        self._engine, self._conn = engine, conn

    def _open_raw(self, dialect, _record, cargs, cparams) -> Any | None:
        """The DB-API connection, kept where the login's watchdog can cut it
        before SQLAlchemy has handed it over (PyMySQL: created unconnected,
        then connected, so even its greeting can be cut)."""
        if dialect.driver == "pymysql":
            raw = dialect.loaded_dbapi.connect(*cargs, defer_connect=True, **cparams)
            self._opening = raw
            raw.connect()
            return raw
        if dialect.driver == "psycopg2":  # libpq bounds its login; the dialect's first queries follow
            raw = dialect.loaded_dbapi.connect(*cargs, **cparams)
            self._opening = raw
            return raw
        return None  # a file (SQLite, DuckDB): SQLAlchemy opens it as usual

    def _open(self, engine: Engine, backend: str) -> Connection:
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
                return conn
            except sa.exc.DBAPIError as exc:
                if backend == "duckdb" and _duckdb_locked(exc) and time.monotonic() < deadline:
                    time.sleep(0.1)
                    continue
                raise self._connect_error(exc) from None
            except RuntimeError as exc:  # PyMySQL refused a LOAD DATA LOCAL request (the dialect's first query)
                raise local_file_refused(self._where()) from exc

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
            with self._bounded("ending a transaction"), contextlib.suppress(Exception):
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
