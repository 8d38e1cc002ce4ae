"""Live targets of every registered engine, shared by the contract suite
(tests/test_engine_contract.py) and the reflection suite
(tests/test_reflection.py), as SQLAlchemy's test suite runs every dialect
against a real database.

Each engine has a target factory here: a fresh database of its own, the
ConnectionParams to reach it, and the few engine-specific moves the suites
need (DDL, a slow statement, a write, losing the session, counting
statements). A new engine adds a factory here; the contract suite's
test_every_engine_has_a_target fails until it does.
"""

from __future__ import annotations

import contextlib
import sqlite3
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

import pymysql
import sqlalchemy as sa

from engines import ENGINES
from engines.base import ConnectionParams, Introspector
from tests.engine_helpers import CountingCursor, duckdb_writer, require_duckdb_reflection, silent_server
from tests.targets import mysql_databases, mysql_execute, mysql_params, pg_database, pg_execute, pg_params

SECRET = "Contract-Pa55-distinctive"


@dataclass
class Target:
    """A live target database of one engine."""

    engine: str
    params: ConnectionParams
    execute: Callable[[str], None]  # DDL, run as the owner (never through the introspector)
    create_tables: Callable[[list[str]], None]
    slow_sql: str  # runs longer than any statement timeout below
    write_sql: str  # a write the read-only session must refuse
    lose_session: Callable[[Introspector], None]
    count_statements: Callable[[Introspector], contextlib.AbstractContextManager[list]]
    max_statements: Callable[[int], int]  # per describe() of n tables
    unreachable: Callable[[], contextlib.AbstractContextManager[ConnectionParams]]  # hits the connect timeout
    schema: str = ""
    notes: dict = field(default_factory=dict)

    def intro(self, **overrides) -> Introspector:
        return ENGINES[self.engine](replace(self.params, **overrides))


# --- target factories ----------------------------------------------------------------------


@contextlib.contextmanager
def postgres_target(tmp_path: Path) -> Iterator[Target]:
    with pg_database("mc_contract") as db:

        def create(names):
            pg_execute(db, "".join(f'CREATE TABLE "{n}" (id int PRIMARY KEY, name text NOT NULL);' for n in names))

        @contextlib.contextmanager
        def count(intro):
            intro._conn.cursor_factory = CountingCursor
            CountingCursor.executed = 0
            seen: list = []
            yield seen
            seen.append(CountingCursor.executed)

        @contextlib.contextmanager
        def unreachable():
            with silent_server() as port:
                yield ConnectionParams(
                    host="127.0.0.1", port=port, database="x", username="u", password=SECRET, connect_timeout=2,
                    options={"sslmode": "disable"},
                )  # fmt: skip

        yield Target(
            engine="postgresql",
            params=ConnectionParams(database=db, **pg_params()),
            execute=lambda sql: pg_execute(db, sql),
            create_tables=create,
            slow_sql="SELECT pg_sleep(5)",
            write_sql="CREATE TABLE sneaky (id int)",
            lose_session=lambda intro: pg_execute(
                "postgres", f"SELECT pg_terminate_backend({intro._conn.get_backend_pid()})"
            ),
            count_statements=count,
            max_statements=lambda n: 6,
            unreachable=unreachable,
            schema="public",
        )


@contextlib.contextmanager
def mariadb_target(tmp_path: Path) -> Iterator[Target]:
    with mysql_databases(1, prefix="mc_contract") as (db,):
        p = mysql_params()

        def create(names):
            mysql_execute("".join(f"CREATE TABLE `{n}` (id int PRIMARY KEY, name text NOT NULL);" for n in names), db)

        @contextlib.contextmanager
        def count(intro):
            seen: list = []
            original = pymysql.cursors.Cursor.execute

            def counting(self, query, args=None):
                seen.append(query)
                return original(self, query, args)

            pymysql.cursors.Cursor.execute = counting
            try:
                yield seen
            finally:
                pymysql.cursors.Cursor.execute = original
            seen[:] = [len(seen)]

        @contextlib.contextmanager
        def unreachable():
            with silent_server() as port:
                yield ConnectionParams(
                    host="127.0.0.1", port=port, database="x", username="u", password=SECRET, connect_timeout=2
                )

        def lose(intro):
            mysql_execute(f"KILL {intro._conn.thread_id()}")
            time.sleep(0.3)  # the server closes the killed session asynchronously

        yield Target(
            engine="mariadb",
            params=ConnectionParams(
                host=p["host"], port=p["port"], database=db, username=p["username"], password=p["password"]
            ),
            execute=lambda sql: mysql_execute(sql, db),
            create_tables=create,
            slow_sql="SELECT SLEEP(5)",
            write_sql="CREATE TABLE sneaky (a int)",
            lose_session=lose,
            count_statements=count,
            max_statements=lambda n: 8,
            unreachable=unreachable,
            schema=db,
        )


def _sqlite_file(tmp_path: Path) -> Path:
    path = tmp_path / f"contract_{uuid.uuid4().hex[:8]}.db"
    sqlite3.connect(path).close()
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE seed (a)")
        conn.execute("DROP TABLE seed")  # the file now has a header: it is an SQLite database
    return path


def _sqlite_execute(path: Path) -> Callable[[str], None]:
    def execute(sql: str) -> None:
        conn = sqlite3.connect(path)
        try:
            conn.executescript(sql)
        finally:
            conn.close()

    return execute


@contextlib.contextmanager
def _locked(path: Path, params: ConnectionParams) -> Iterator[ConnectionParams]:
    """The file held under an exclusive lock by another connection."""
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        yield replace(params, connect_timeout=1)
    finally:
        holder.execute("ROLLBACK")
        holder.close()


SQLITE_SLOW = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c"


@contextlib.contextmanager
def sqlite_target(tmp_path: Path) -> Iterator[Target]:
    path = _sqlite_file(tmp_path)
    execute = _sqlite_execute(path)
    params = ENGINES["sqlite"].connection_params({"path": str(path)}, {}, allowed_dirs=(str(tmp_path),))

    @contextlib.contextmanager
    def count(intro):
        # statements the introspector sends (the trace callback would also count
        # the pragma functions' own internal statements)
        seen: list = []
        run = intro._run

        def counting(sql, args):
            seen.append(sql)
            return run(sql, args)

        intro._run = counting
        try:
            yield seen
        finally:
            del intro._run
        seen[:] = [len(seen)]

    yield Target(
        engine="sqlite",
        params=params,
        execute=execute,
        create_tables=lambda names: execute(
            "".join(f'CREATE TABLE "{n}" (id integer PRIMARY KEY, name text NOT NULL);' for n in names)
        ),
        slow_sql=SQLITE_SLOW,
        write_sql="CREATE TABLE sneaky (a)",
        lose_session=lambda intro: intro._conn.close(),
        count_statements=count,
        max_statements=lambda n: 5,
        unreachable=lambda: _locked(path, params),
        schema="main",
    )


def _sqlalchemy_count(intro):
    @contextlib.contextmanager
    def count(intro):
        seen: list = []

        def listener(*args):
            seen.append(args[2])

        sa.event.listen(intro._engine, "before_cursor_execute", listener)
        try:
            yield seen
        finally:
            sa.event.remove(intro._engine, "before_cursor_execute", listener)
        seen[:] = [len(seen)]

    return count(intro)


def _lose_sqlalchemy(intro) -> None:
    intro._conn.connection.dbapi_connection.close()


@contextlib.contextmanager
def sqlalchemy_sqlite_target(tmp_path: Path) -> Iterator[Target]:
    path = _sqlite_file(tmp_path)
    execute = _sqlite_execute(path)
    params = ENGINES["sqlalchemy"].connection_params(
        {"url": f"sqlite:///{path}"}, {"password": SECRET}, allowed_dirs=(str(tmp_path),)
    )
    yield Target(
        engine="sqlalchemy",
        params=params,
        execute=execute,
        create_tables=lambda names: execute(
            "".join(f'CREATE TABLE "{n}" (id integer PRIMARY KEY, name text NOT NULL);' for n in names)
        ),
        slow_sql=SQLITE_SLOW,
        write_sql="CREATE TABLE sneaky (a)",
        lose_session=_lose_sqlalchemy,
        count_statements=_sqlalchemy_count,
        # SQLAlchemy's SQLite dialect has no bulk reflection: its per-table
        # fallback asks a few PRAGMAs per table (bounded, but not constant)
        max_statements=lambda n: 20 + 20 * n,
        unreachable=lambda: _locked(path, params),
        schema="main",
    )


@contextlib.contextmanager
def _duckdb_locked(path: Path, params: ConnectionParams) -> Iterator[ConnectionParams]:
    proc = duckdb_writer(path)
    try:
        yield replace(params, connect_timeout=1)
    finally:
        proc.communicate(timeout=30)


@contextlib.contextmanager
def sqlalchemy_duckdb_target(tmp_path: Path) -> Iterator[Target]:
    require_duckdb_reflection()
    import duckdb

    path = tmp_path / f"contract_{uuid.uuid4().hex[:8]}.duckdb"
    duckdb.connect(str(path)).close()
    params = ENGINES["sqlalchemy"].connection_params(
        {"url": f"duckdb:///{path}"}, {"password": SECRET}, allowed_dirs=(str(tmp_path),)
    )
    live: list[Introspector] = []

    def execute(sql: str) -> None:
        # DuckDB opens a file in one configuration per process (read-only or
        # read-write), and a writer in another process holds its lock: close
        # the introspectors' sessions (they reconnect lazily) while writing.
        for intro in live:
            intro.close()
        conn = duckdb.connect(str(path))
        try:
            conn.execute(sql)
        finally:
            conn.close()

    target = Target(
        engine="sqlalchemy",
        params=params,
        execute=execute,
        create_tables=lambda names: execute(
            "".join(f'CREATE TABLE "{n}" (id integer PRIMARY KEY, name text NOT NULL);' for n in names)
        ),
        slow_sql="SELECT sum(i) FROM range(1000000000000) t(i)",
        write_sql="CREATE TABLE sneaky (a int)",
        lose_session=_lose_sqlalchemy,
        count_statements=_sqlalchemy_count,
        max_statements=lambda n: 30,
        unreachable=lambda: _duckdb_locked(path, params),
        schema="main",
    )

    def intro(**overrides) -> Introspector:
        opened = Target.intro(target, **overrides)
        live.append(opened)
        return opened

    target.intro = intro  # type: ignore[method-assign]
    yield target


FACTORIES = {
    "postgresql": postgres_target,
    "mariadb": mariadb_target,
    "sqlite": sqlite_target,
    "sqlalchemy-sqlite": sqlalchemy_sqlite_target,
    "sqlalchemy-duckdb": sqlalchemy_duckdb_target,
}
