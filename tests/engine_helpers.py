"""Shared pieces of the engine tests: DuckDB reflection and a process holding
a DuckDB file open, a cursor that counts statements, and a server that
accepts connections and never answers."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
from contextlib import contextmanager
from pathlib import Path

import psycopg2
import pytest
import sqlalchemy as sa


def duckdb_reflection_works() -> str | None:
    """None when the installed `duckdb://` dialect can reflect columns and
    keys with the installed SQLAlchemy, else why not (duckdb-engine 0.17
    cannot with SQLAlchemy 2.0.45+: it asks DuckDB for pg_collation and
    REGCLASS, duckdb_engine issue #1379, duckdb issue #22069; metacrawl
    installs duckdb-sqlalchemy instead)."""
    try:
        engine = sa.create_engine("duckdb:///:memory:")
    except Exception as e:
        return f"no duckdb:// dialect is installed: {e}"
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("CREATE TABLE t (a int PRIMARY KEY)")
            sa.inspect(conn).get_multi_columns(filter_names=["t"])
            sa.inspect(conn).get_multi_pk_constraint(filter_names=["t"])
    except Exception as e:
        return f"the duckdb:// dialect cannot reflect with SQLAlchemy {sa.__version__}: {str(e).splitlines()[0]}"
    finally:
        engine.dispose()
    return None


def require_duckdb_reflection() -> None:
    """Fail (not skip) when DuckDB reflection is broken: it is a dependency."""
    why = duckdb_reflection_works()
    if why:
        pytest.fail(why)


WRITER = "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print(1, flush=True); {hold}"


def duckdb_writer(path: Path, seconds: float | None = None) -> subprocess.Popen:
    """Another process holding the DuckDB file open read-write, so holding its
    lock (for `seconds`, or until its standard input ends)."""
    hold = f"time.sleep({seconds})" if seconds is not None else "sys.stdin.read()"
    proc = subprocess.Popen(
        [sys.executable, "-c", WRITER.format(hold=hold), str(path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == b"1"
    return proc


class CountingCursor(psycopg2.extensions.cursor):
    executed = 0

    def execute(self, query, vars=None):
        CountingCursor.executed += 1
        return super().execute(query, vars)


@contextmanager
def silent_server(reply: bytes | None = None):
    """A TCP port that accepts connections and then says nothing (or `reply`)."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen()
    conns = []

    def serve():
        while True:
            try:
                conn, _ = srv.accept()
            except OSError:
                return
            conns.append(conn)
            if reply:
                conn.sendall(reply)

    threading.Thread(target=serve, daemon=True).start()
    try:
        yield srv.getsockname()[1]
    finally:
        srv.close()
        for c in conns:
            c.close()
