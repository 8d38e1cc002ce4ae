"""Shared pieces of the crawl tests: sources through the API, a rich PostgreSQL
target, a way to stall a target, and catalog peeks."""

from __future__ import annotations

import os
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg2

from .conftest import wait_for_crawl
from .targets import mysql_execute, mysql_params, pg_params

# sequences, a trigger, overloaded routines and an extension (tests/test_routines.py, tests/test_ui_objects.py)
ROUTINES_PG_TARGET = """
CREATE SCHEMA app;
CREATE TABLE app.items (id serial PRIMARY KEY, name text, updated_at timestamptz);
CREATE TABLE app.item_notes (item_id int REFERENCES app.items (id));
CREATE SEQUENCE app.ticket START 100 INCREMENT 5 CYCLE;
CREATE FUNCTION app.touch() RETURNS trigger LANGUAGE plpgsql
    AS $$ BEGIN NEW.updated_at := now(); RETURN NEW; END $$;
CREATE TRIGGER items_touch BEFORE INSERT OR UPDATE ON app.items FOR EACH ROW EXECUTE FUNCTION app.touch();
CREATE FUNCTION app.add(a integer, b integer) RETURNS integer LANGUAGE sql IMMUTABLE AS 'SELECT a + b';
CREATE FUNCTION app.add(a numeric, b numeric) RETURNS numeric LANGUAGE sql STABLE AS 'SELECT a + b';
COMMENT ON FUNCTION app.add(integer, integer) IS 'Adds two integers';
CREATE PROCEDURE app.archive(days integer) LANGUAGE plpgsql AS $$ BEGIN PERFORM days; END $$;
CREATE EXTENSION pg_trgm SCHEMA app;
"""

RICH_PG_TARGET = """
CREATE SCHEMA sales;
CREATE SCHEMA "Mixed Case";
CREATE TYPE sales.status AS ENUM ('new', 'paid');
CREATE TABLE sales.customers (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    customer_email varchar(320) NOT NULL UNIQUE,
    referred_by bigint REFERENCES sales.customers (id) ON DELETE SET NULL
);
COMMENT ON TABLE sales.customers IS 'People who buy';
COMMENT ON COLUMN sales.customers.customer_email IS 'Contact address';
CREATE TABLE sales.orders (
    region text NOT NULL, order_no integer NOT NULL,
    customer_id bigint REFERENCES sales.customers (id),
    status sales.status NOT NULL DEFAULT 'new',
    total numeric(10, 2) CHECK (total >= 0),
    tags text[],
    PRIMARY KEY (region, order_no)
);
CREATE TABLE sales.order_lines (
    region text, order_no integer, line integer,
    FOREIGN KEY (region, order_no) REFERENCES sales.orders (region, order_no) ON UPDATE CASCADE ON DELETE CASCADE
);
CREATE INDEX orders_open ON sales.orders (order_no) WHERE status = 'new';
CREATE INDEX orders_lower_region ON sales.orders (lower(region));
CREATE VIEW sales.big_orders AS SELECT * FROM sales.orders WHERE total > 100;
CREATE MATERIALIZED VIEW sales.totals AS SELECT region, sum(total) AS total FROM sales.orders GROUP BY region;
CREATE TABLE sales.events (id bigint, at date) PARTITION BY RANGE (at);
CREATE TABLE sales.events_2026 PARTITION OF sales.events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
CREATE TABLE "Mixed Case"."with-hyphen" ("Has Space" int, "quote""d" text);
CREATE TABLE "Mixed Case"."dot.ted/slash" (id int);
"""


def catalog_conn(catalog_url: str):
    conn = psycopg2.connect(catalog_url.replace("postgresql+psycopg2://", "postgresql://"))
    conn.autocommit = True
    return conn


def catalog_rows(catalog_url: str, sql: str, params=()) -> list[tuple]:
    conn = catalog_conn(catalog_url)
    try:
        with conn.cursor() as cur:
            cur.execute(sql, params)
            return cur.fetchall()
    finally:
        conn.close()


def catalog_snapshot(catalog_url: str, source_id: int) -> list[tuple]:
    """Everything the catalog holds for a source, to compare before and after."""
    return catalog_rows(
        catalog_url,
        """
        SELECT t.schema_name, t.name, t.kind, t.fingerprint, t.definition::text, t.crawled_at, t.changed_at,
               t.removed_at, (SELECT count(*) FROM catalog_columns c WHERE c.table_id = t.id)
        FROM catalog_tables t WHERE t.source_id = %s ORDER BY 1, 2""",
        (source_id,),
    )


SECRET = "Target-Pa55word-never-in-the-broker"


def pg_source(user, dbname, **overrides):
    p = pg_params()
    body = {
        "name": f"pg {dbname}",
        "engine": "postgresql",
        "host": p["host"],
        "port": p["port"],
        "database": dbname,
        "username": p["username"],
        "password": SECRET,
    }
    body.update(overrides)
    r = user.post("/api/v1/sources", json=body)
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def create_mariadb_account(db: str, reader: str, grants: str, extra: str = "") -> None:
    """The MariaDB account `reader` (at '%' and 'localhost', password SECRET)
    with `grants` on `db` and the statements `extra` ('{reader}' and '{h}'
    filled in). The caller drops it."""
    mysql_execute(
        "".join(
            f"CREATE USER '{reader}'@'{h}' IDENTIFIED BY '{SECRET}';"
            f"GRANT {grants} ON `{db}`.* TO '{reader}'@'{h}';" + extra.format(reader=reader, h=h)
            for h in ("%", "localhost")
        )
    )


@contextmanager
def mariadb_reader(db: str, grants: str = "SELECT, REFERENCES, SHOW VIEW", extra: str = "") -> Iterator[str]:
    """A MariaDB account with `grants` on `db` (see create_mariadb_account); dropped afterwards."""
    reader = "mc_r_" + db[-10:]
    create_mariadb_account(db, reader, grants, extra)
    try:
        yield reader
    finally:
        mysql_execute(f"DROP USER IF EXISTS '{reader}'@'%'; DROP USER IF EXISTS '{reader}'@'localhost';")


def mariadb_source(user, db: str, reader: str) -> dict:
    """Register `db` as a MariaDB source read by `reader` (see mariadb_reader)."""
    p = mysql_params()
    body = {"name": f"maria {db}", "engine": "mariadb", "host": p["host"], "port": p["port"], "database": db}
    r = user.post("/api/v1/sources", json={**body, "username": reader, "password": SECRET})
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def crawl_now(user, source_id):
    r = user.post(f"/api/v1/sources/{source_id}/crawls")
    assert r.status_code == 202, r.get_json()
    return wait_for_crawl(user, r.get_json()["url"])


def wait_for_insights(user, source_id, crawl_id, timeout: float = 60) -> dict:
    """Insights are computed after a changing crawl has succeeded, in their own
    transaction: wait until the source's show that crawl."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        body = user.get(f"/api/v1/sources/{source_id}/insights?limit=1").get_json()
        # marked with the newest crawl they saw: this one, or a later one
        if body["crawl_id"] is not None and body["crawl_id"] >= crawl_id:
            return body
        time.sleep(0.1)
    raise AssertionError(f"insights of source {source_id} not computed after crawl {crawl_id}: {body}")


def hold_target_catalog_lock(dbname, release: threading.Event, locked: threading.Event):
    """Lock a system catalog the describe and signature queries read (column
    defaults), so they stall; the plan's queries (tables, enums, routines,
    triggers, sequences) do not read it, so a crawl still gets planned."""
    p = pg_params()
    conn = psycopg2.connect(host=p["host"], port=p["port"], user=p["username"], dbname=dbname)
    try:
        with conn.cursor() as cur:
            cur.execute("LOCK TABLE pg_catalog.pg_attrdef IN ACCESS EXCLUSIVE MODE")
            locked.set()
            release.wait(60)
        conn.rollback()
    except psycopg2.Error:
        pass  # terminated by DROP DATABASE ... WITH (FORCE)
    finally:
        conn.close()


def source_body(**overrides):
    body = {
        "name": "warehouse",
        "engine": "postgresql",
        "host": "db.example.com",
        "port": 5432,
        "database": "analytics",
        "username": "reader",
        "password": SECRET,
    }
    body.update(overrides)
    return body


SQLITE_SCHEMA = """
CREATE TABLE customers (id INTEGER PRIMARY KEY, customer_email TEXT NOT NULL UNIQUE);
CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER REFERENCES customers (id), total REAL);
CREATE INDEX orders_customer ON orders (customer_id);
CREATE VIEW big_orders AS SELECT * FROM orders WHERE total > 100;
"""


def sqlite_file(directory, sql: str = SQLITE_SCHEMA) -> str:
    path = os.path.join(directory, f"shop_{uuid.uuid4().hex[:8]}.db")
    conn = sqlite3.connect(path)
    conn.executescript(sql)
    conn.close()
    return path


def maria_source(user, db: str) -> dict:
    """Register `db` read by 'mc_views_<db suffix>' (SELECT, REFERENCES, SHOW
    VIEW); the caller's fixture drops that account."""
    reader = "mc_views_" + db[-8:]
    create_mariadb_account(db, reader, "SELECT, REFERENCES, SHOW VIEW")
    return mariadb_source(user, db, reader)


def detail(user, sid, schema, table) -> dict:
    r = user.get(f"/api/v1/sources/{sid}/tables/{schema}/{table}")
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def poll(what, check, timeout: float = 30):
    """check()'s first true value, asked every 0.1 s; fails after `timeout` saying `what`."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"{what}: not within {timeout} s")
