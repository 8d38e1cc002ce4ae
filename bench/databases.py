"""The database servers the bench runs against: their default URLs, admin
statements on PostgreSQL and MariaDB, and the catalog's Alembic upgrade."""

from __future__ import annotations

from urllib.parse import unquote, urlparse

import psycopg2
import pymysql

from bench.common import ROOT

PG_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
MARIADB_URL = "mysql://root@127.0.0.1:3306/"


def server_url(url: str, database: str) -> str:
    """`url` with its database replaced by `database`."""
    return f"{url.rsplit('/', 1)[0]}/{database}"


def pg_connect(url: str, database: str | None = None):
    """Connect to the server of `url`, to `database` if given (else the URL's own)."""
    if database is None:
        return psycopg2.connect(url)
    return psycopg2.connect(url, dbname=database)


def pg_admin(url: str, sql: str, params=None, fetch: bool = False):
    """One statement in autocommit (CREATE/DROP DATABASE need it); its rows if `fetch`."""
    conn = psycopg2.connect(url)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute(sql, params)
            return cur.fetchall() if fetch else None
    finally:
        conn.close()


def migrate(catalog_url: str) -> None:
    """The Alembic upgrade of tests/conftest.py `migrate` (copied: bench does not import tests)."""
    from alembic import command
    from alembic.config import Config

    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    cfg.attributes["catalog_url"] = catalog_url
    cfg.attributes["configure_logging"] = False
    command.upgrade(cfg, "head")


def mariadb_connect(url: str):
    u = urlparse(url)
    return pymysql.connect(
        host=u.hostname or "127.0.0.1",
        port=u.port or 3306,
        user=unquote(u.username or "root"),
        password=unquote(u.password or ""),
        autocommit=True,
        client_flag=pymysql.constants.CLIENT.MULTI_STATEMENTS,
    )


def mariadb_execute(conn, sql: str) -> None:
    """Run a multi-statement script, reading every result (errors surface here)."""
    with conn.cursor() as cur:
        cur.execute(sql)
        while cur.nextset():
            pass


def mariadb_admin(url: str, sql: str) -> None:
    """A multi-statement script on a connection of its own."""
    conn = mariadb_connect(url)
    try:
        mariadb_execute(conn, sql)
    finally:
        conn.close()


def mariadb_scalar(url: str, sql: str):
    conn = mariadb_connect(url)
    try:
        with conn.cursor() as cur:
            cur.execute(sql)
            return cur.fetchone()[0]
    finally:
        conn.close()


# A personal team for a user the benchmark inserts directly (registration
# makes one through catalog.accounts.create_user).
PERSONAL_TEAM = """
    WITH t AS (INSERT INTO teams (name, personal) SELECT email, true FROM users WHERE id = :u RETURNING id)
    INSERT INTO team_members (team_id, user_id, role) SELECT id, :u, 'admin' FROM t"""
