"""Throwaway target databases on the local PostgreSQL and MariaDB servers.

Each test that needs a target gets a freshly created database with a random
name, dropped afterwards, so no test depends on leftovers.
"""

from __future__ import annotations

import os
import uuid
from contextlib import contextmanager
from urllib.parse import urlparse

import psycopg2
import pymysql

PG_ADMIN_URL = os.environ.get("METACRAWL_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
MYSQL_ADMIN_URL = os.environ.get("METACRAWL_TEST_MYSQL_URL", "mysql://root@127.0.0.1:3306/test")


def _pg_admin_conn():
    conn = psycopg2.connect(PG_ADMIN_URL)
    conn.autocommit = True
    return conn


def pg_params() -> dict:
    """host/port/username/password of the local PostgreSQL server."""
    u = urlparse(PG_ADMIN_URL)
    return {"host": u.hostname, "port": u.port or 5432, "username": u.username, "password": u.password or ""}


def mysql_params() -> dict:
    u = urlparse(MYSQL_ADMIN_URL)
    return {"host": u.hostname, "port": u.port or 3306, "username": u.username, "password": u.password or ""}


def random_name(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:10]}"


def create_pg_database(name: str, template: str | None = None) -> None:
    """Create `name` (a copy of `template`, which nobody may be connected to, if given)."""
    conn = _pg_admin_conn()
    try:
        with conn.cursor() as cur:
            cur.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
    finally:
        conn.close()


def drop_pg_database(name: str) -> None:
    conn = _pg_admin_conn()
    try:
        with conn.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        conn.close()


@contextmanager
def pg_database(prefix: str = "mc_target"):
    """Yield the name of a fresh PostgreSQL database; drop it afterwards."""
    name = random_name(prefix)
    create_pg_database(name)
    try:
        yield name
    finally:
        drop_pg_database(name)


def pg_execute(dbname: str, sql: str) -> None:
    """Run a script of SQL statements in `dbname` (autocommit)."""
    u = urlparse(PG_ADMIN_URL)
    conn = psycopg2.connect(
        host=u.hostname, port=u.port or 5432, user=u.username, password=u.password or None, dbname=dbname
    )
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute(sql)
    finally:
        conn.close()


def mysql_connect(database: str | None = None):
    p = mysql_params()
    return pymysql.connect(
        host=p["host"],
        port=p["port"],
        user=p["username"],
        password=p["password"],
        database=database,
        autocommit=True,
        client_flag=pymysql.constants.CLIENT.MULTI_STATEMENTS,
    )


def mysql_execute(sql: str, database: str | None = None) -> None:
    """Run a script of SQL statements (multi-statement) on the MariaDB server."""
    conn = mysql_connect(database)
    try:
        with conn.cursor() as cur:
            cur.execute(sql)
            while cur.nextset():
                pass
    finally:
        conn.close()


@contextmanager
def mysql_databases(count: int = 1, prefix: str = "mc_target"):
    """Yield a list of `count` fresh MariaDB database names; drop them afterwards."""
    names = [random_name(prefix) for _ in range(count)]
    for n in names:
        mysql_execute(f"CREATE DATABASE `{n}`")
    try:
        yield names
    finally:
        # foreign keys may point across these databases: drop without checking them
        mysql_execute("SET foreign_key_checks = 0;" + "".join(f"DROP DATABASE IF EXISTS `{n}`;" for n in names))
