"""Views' SQL and dependencies, enum types and partitions, crawled from
PostgreSQL and MariaDB and read through the API (issue #12)."""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest

from .conftest import wait_for_crawl
from .crawl_helpers import catalog_conn, crawl_now, detail, maria_source, pg_source
from .targets import mysql_databases, mysql_execute, pg_database, pg_execute
from .ui_helpers import Browser

PG_TARGET = """
CREATE SCHEMA shop;
CREATE TYPE shop.status AS ENUM ('new', 'paid');
CREATE TYPE mood AS ENUM ('ok', 'sad');
CREATE TABLE shop.orders (id int PRIMARY KEY, status shop.status NOT NULL, total numeric, feeling mood);
CREATE TABLE shop.customers (id int PRIMARY KEY, name text);
CREATE VIEW shop.big_orders AS SELECT o.id, c.name FROM shop.orders o JOIN shop.customers c ON c.id = o.id
    WHERE o.total > 100;
CREATE MATERIALIZED VIEW shop.totals AS SELECT status, sum(total) AS total FROM shop.orders GROUP BY status;
CREATE TABLE shop.events (id bigint, at date) PARTITION BY RANGE (at);
CREATE TABLE shop.events_2025 PARTITION OF shop.events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
CREATE TABLE shop.events_2026 PARTITION OF shop.events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
CREATE TABLE shop.zebra (id int);
"""


@pytest.fixture
def pg_target():
    with pg_database("mc_views") as name:
        pg_execute(name, PG_TARGET)
        yield name


@pytest.fixture
def maria_db():
    with mysql_databases(1, "mc_views") as (db,):
        mysql_execute(
            """
            CREATE TABLE orders (id int PRIMARY KEY, status enum('new','paid') NOT NULL, tags set('a','b'),
                                 total decimal(10,2));
            CREATE VIEW big_orders AS SELECT id, total FROM orders WHERE total > 100;
            CREATE TABLE events (id int, at date) PARTITION BY RANGE (year(at))
                (PARTITION p2025 VALUES LESS THAN (2026), PARTITION p2026 VALUES LESS THAN (2027));
            """,
            db,
        )
        yield db
        mysql_execute(
            f"DROP USER IF EXISTS 'mc_views_{db[-8:]}'@'%'; DROP USER IF EXISTS 'mc_views_{db[-8:]}'@'localhost';"
        )


# --- 1. views' SQL and dependencies ---


def test_postgres_view_sql_and_dependencies(alice, worker, pg_target):
    source = pg_source(alice, pg_target)
    assert wait_for_crawl(alice, source["crawl"]["url"])["state"] == "succeeded"
    sid = source["id"]
    view = detail(alice, sid, "shop", "big_orders")
    assert view["kind"] == "view" and "FROM (shop.orders o" in view["definition"]
    assert view["depends_on"] == [{"schema": "shop", "table": "customers"}, {"schema": "shop", "table": "orders"}]
    mat = detail(alice, sid, "shop", "totals")
    assert mat["kind"] == "materialized_view" and "sum(orders.total)" in mat["definition"]
    assert mat["depends_on"] == [{"schema": "shop", "table": "orders"}]
    assert "definition" not in detail(alice, sid, "shop", "orders")  # a table has none

    # the exports carry it
    export = json.loads(alice.get(f"/api/v1/sources/{sid}/schema/export?format=json").get_data(as_text=True))
    exported = {t["name"]: t for t in export["tables"]}
    assert exported["big_orders"]["definition"] == view["definition"]
    markdown = alice.get(f"/api/v1/sources/{sid}/schema/export?format=markdown").get_data(as_text=True)
    assert "View SQL:" in markdown and "sum(orders.total)" in markdown
    assert "Reads: shop.customers, shop.orders" in markdown

    # the web UI's table page shows it
    browser = Browser(alice.client)
    assert browser.sign_in(alice.email, alice.password).status_code == 302
    html = browser.get(f"/sources/{sid}/table?schema=shop&name=big_orders").get_data(as_text=True)
    assert "View SQL" in html and 'class="sql"' in html and "o.total &gt; (100)::numeric" in html

    # a changed view is a change event, its SQL before and after
    pg_execute(
        pg_target,
        "CREATE OR REPLACE VIEW shop.big_orders AS SELECT o.id, c.name FROM shop.orders o "
        "JOIN shop.customers c ON c.id = o.id WHERE o.total > 500",
    )
    assert crawl_now(alice, sid)["state"] == "succeeded"
    history = alice.get(f"/api/v1/sources/{sid}/tables/shop/big_orders/history").get_json()["changes"]
    assert history[0]["event"] == "table_changed"
    change = history[0]["details"]["definition"]
    assert "100" in change["from"] and "500" in change["to"]
    assert history[0]["hazard"] == "risky" and "risky: view definition changed" in history[0]["hazard_reasons"]
    assert "500" in detail(alice, sid, "shop", "big_orders")["definition"]


def test_mariadb_view_sql(alice, worker, maria_db):
    source = maria_source(alice, maria_db)
    assert wait_for_crawl(alice, source["crawl"]["url"])["state"] == "succeeded"
    sid = source["id"]
    view = detail(alice, sid, maria_db, "big_orders")
    assert view["kind"] == "view" and "`total` > 100" in view["definition"]
    assert "depends_on" not in view  # MariaDB has no VIEW_TABLE_USAGE
    mysql_execute("CREATE OR REPLACE VIEW big_orders AS SELECT id, total FROM orders WHERE total > 500", maria_db)
    assert crawl_now(alice, sid)["state"] == "succeeded"
    history = alice.get(f"/api/v1/sources/{sid}/tables/{maria_db}/big_orders/history").get_json()["changes"]
    assert history[0]["event"] == "table_changed" and "500" in history[0]["details"]["definition"]["to"]


# --- 2. enums ---


def test_postgres_enums_served_and_a_new_value_is_a_change(alice, worker, pg_target):
    source = pg_source(alice, pg_target)
    assert wait_for_crawl(alice, source["crawl"]["url"])["state"] == "succeeded"
    sid = source["id"]
    r = alice.get(f"/api/v1/sources/{sid}/enums")
    assert r.status_code == 200
    assert [(e["kind"], e["schema"], e["name"], e["values"], e["table"]) for e in r.get_json()["enums"]] == [
        ("enum", "public", "mood", ["ok", "sad"], None),
        ("enum", "shop", "status", ["new", "paid"], None),
    ]
    columns = {c["name"]: c for c in detail(alice, sid, "shop", "orders")["columns"]}
    assert columns["status"]["enum_values"] == ["new", "paid"] and columns["feeling"]["enum_values"] == ["ok", "sad"]
    assert "enum_values" not in columns["total"]

    pg_execute(pg_target, "ALTER TYPE shop.status ADD VALUE 'refunded'")
    assert crawl_now(alice, sid)["state"] == "succeeded"
    changes = alice.get(f"/api/v1/sources/{sid}/changes").get_json()["changes"]
    [event] = [c for c in changes if c["event"].startswith("enum_")]
    assert (event["event"], event["schema"], event["table"]) == ("enum_changed", "shop", None)
    assert event["details"]["values_added"] == ["refunded"] and event["details"]["type"] == "shop.status"
    assert event["hazard"] == "safe"
    columns = {c["name"]: c for c in detail(alice, sid, "shop", "orders")["columns"]}
    assert columns["status"]["enum_values"] == ["new", "paid", "refunded"]

    # the UI's change feed names it
    browser = Browser(alice.client)
    assert browser.sign_in(alice.email, alice.password).status_code == 302
    html = browser.get(f"/sources/{sid}/changes").get_data(as_text=True)
    assert "enum changed" in html and "shop.status" in html and "refunded added" in html


def test_mariadb_inline_enums_served(alice, worker, maria_db):
    source = maria_source(alice, maria_db)
    assert wait_for_crawl(alice, source["crawl"]["url"])["state"] == "succeeded"
    sid = source["id"]
    enums = alice.get(f"/api/v1/sources/{sid}/enums").get_json()["enums"]
    assert [(e["kind"], e["schema"], e["table"], e["column"], e["values"]) for e in enums] == [
        ("enum", maria_db, "orders", "status", ["new", "paid"]),
        ("set", maria_db, "orders", "tags", ["a", "b"]),
    ]
    columns = {c["name"]: c for c in detail(alice, sid, maria_db, "orders")["columns"]}
    assert columns["status"]["enum_values"] == ["new", "paid"] and columns["tags"]["enum_values"] == ["a", "b"]
    mysql_execute("ALTER TABLE orders MODIFY status enum('new','paid','refunded') NOT NULL", maria_db)
    assert crawl_now(alice, sid)["state"] == "succeeded"
    history = alice.get(f"/api/v1/sources/{sid}/tables/{maria_db}/orders/history").get_json()["changes"]
    altered = history[0]["details"]["columns_altered"]
    assert altered[0]["name"] == "status" and "refunded" in altered[0]["changes"]["type"]["to"]


def test_inline_enum_parsing():
    from catalog.reads import inline_enum

    assert inline_enum("enum('a','b''c','')") == ("enum", ["a", "b'c", ""])
    assert inline_enum("set('x,y','z')") == ("set", ["x,y", "z"])
    assert inline_enum("varchar(10)") is None


# --- 3. partitions as a tree ---


def test_postgres_partitions_listed_once_with_their_count(alice, worker, pg_target, catalog_url):
    source = pg_source(alice, pg_target)
    assert wait_for_crawl(alice, source["crawl"]["url"])["state"] == "succeeded"
    sid = source["id"]
    base = f"/api/v1/sources/{sid}/schema?schema=shop"
    tables = {t["name"]: t for t in alice.get(base).get_json()["tables"]}
    assert "events_2025" not in tables and "events_2026" not in tables
    events = tables["events"]
    assert events["kind"] == "partitioned_table" and events["partition_count"] == 2
    assert events["partition"] == {"strategy": "range", "key": "at"}
    assert "partition_count" not in tables["orders"]
    every = {t["name"]: t for t in alice.get(f"{base}&partitions=true").get_json()["tables"]}
    part = every["events_2025"]
    assert part["partition_of"] == {"schema": "shop", "table": "events"}
    assert part["bounds"] == "FOR VALUES FROM ('2025-01-01') TO ('2026-01-01')"
    assert detail(alice, sid, "shop", "events")["partition_count"] == 2

    # keyset pages stay whole and ordered with partitions hidden, and apart from them
    for query, expected in (("", sorted(tables)), ("&partitions=true", sorted(every))):
        url, seen = f"{base}&limit=2{query}", []
        while url:
            body = alice.get(url).get_json()
            seen += [t["name"] for t in body["tables"]]
            url = f"{base}&limit=2{query}&cursor={quote(body['next_cursor'])}" if body["next_cursor"] else None
        assert seen == expected
    first = alice.get(f"{base}&limit=2").get_json()["next_cursor"]
    assert alice.get(f"{base}&limit=2&partitions=true&cursor={quote(first)}").status_code == 400

    # a new partition is counted after the next crawl
    pg_execute(
        pg_target,
        "CREATE TABLE shop.events_2027 PARTITION OF shop.events FOR VALUES FROM ('2027-01-01') TO ('2028-01-01');"
        # a schema that holds only partitions (of shop.logs)
        "CREATE SCHEMA parts; CREATE TABLE shop.logs (id int, at date) PARTITION BY RANGE (at);"
        "CREATE TABLE parts.logs_2025 PARTITION OF shop.logs FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');",
    )
    assert crawl_now(alice, sid)["state"] == "succeeded"
    tables = {t["name"]: t for t in alice.get(base).get_json()["tables"]}
    assert tables["events"]["partition_count"] == 3 and "events_2027" not in tables

    # the page without partitions can use its partial index
    conn = catalog_conn(catalog_url)
    try:
        with conn.cursor() as cur:
            cur.execute("SET enable_seqscan = off")
            cur.execute(
                "EXPLAIN SELECT t.name FROM catalog_tables t WHERE t.source_id = %s AND t.removed_at IS NULL "
                "AND t.partition_of_name IS NULL AND (t.schema_name, t.name) > ('a', 'b') "
                "ORDER BY t.schema_name, t.name LIMIT 10",
                (sid,),
            )
            plan = "\n".join(r[0] for r in cur.fetchall())
    finally:
        conn.close()
    assert "ix_catalog_tables_source_schema_name_unpartitioned" in plan, plan


def test_ui_lists_a_partitioned_table_once_and_shows_partitions_on_request(alice, worker, pg_target):
    pg_execute(
        pg_target,
        "CREATE TABLE shop.events_2027 PARTITION OF shop.events FOR VALUES FROM ('2027-01-01') TO ('2028-01-01');"
        # a schema that holds only partitions (of shop.logs)
        "CREATE SCHEMA parts; CREATE TABLE shop.logs (id int, at date) PARTITION BY RANGE (at);"
        "CREATE TABLE parts.logs_2025 PARTITION OF shop.logs FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');",
    )
    source = pg_source(alice, pg_target)
    assert wait_for_crawl(alice, source["crawl"]["url"])["state"] == "succeeded"
    sid = source["id"]
    browser = Browser(alice.client)
    assert browser.sign_in(alice.email, alice.password).status_code == 302
    link = f'href="/sources/{sid}/table?schema=shop&amp;name='

    html = browser.get(f"/sources/{sid}/tables?schema=shop").get_data(as_text=True)
    assert f"{link}events" + '"' in html and f"{link}orders" + '"' in html
    assert "events_20" not in html  # no partition listed
    # the schema list counts what the page lists: 7 relations, the partitions with their parents;
    # a schema of partitions only is still listed
    assert 'aria-current="page">shop</a> <span class="sub">7</span>' in html
    assert '?schema=parts">parts</a> <span class="sub">0</span>' in html
    assert '<div class="sub partition-count">3 partitions</div>' in html
    assert 'href="?partitions=true&amp;schema=shop">Show partitions</a>' in html

    html = browser.get(f"/sources/{sid}/tables?schema=shop&partitions=true").get_data(as_text=True)
    for year in (2025, 2026, 2027):
        assert f"{link}events_{year}" + '"' in html
    assert html.count("partition of shop.events") == 3
    assert '<div class="sub partition-count">3 partitions</div>' in html
    assert 'name="partitions" value="true" checked' in html
    assert 'href="?schema=shop">Hide partitions</a>' in html

    # the other filters keep the choice, and a bad value is named, not a 500
    html = browser.get(f"/sources/{sid}/tables?q=events&partitions=true").get_data(as_text=True)
    assert html.count(f"{link}events") == 4
    r = browser.get(f"/sources/{sid}/tables?partitions=maybe")
    assert r.status_code == 200 and "Not a valid boolean." in r.get_data(as_text=True)


def test_mariadb_partitions(alice, worker, maria_db):
    source = maria_source(alice, maria_db)
    assert wait_for_crawl(alice, source["crawl"]["url"])["state"] == "succeeded"
    sid = source["id"]
    tables = {t["name"]: t for t in alice.get(f"/api/v1/sources/{sid}/schema").get_json()["tables"]}
    events = tables["events"]
    assert events["partition"] == {
        "strategy": "range",
        "key": "year(`at`)",
        "partitions": ["p2025", "p2026"],
        "bounds": [
            {"name": "p2025", "bounds": "VALUES LESS THAN (2026)"},
            {"name": "p2026", "bounds": "VALUES LESS THAN (2027)"},
        ],
    }
    assert events["partition_count"] == 2 and "partition" not in tables["orders"]
    mysql_execute("ALTER TABLE events ADD PARTITION (PARTITION p2027 VALUES LESS THAN (2028))", maria_db)
    assert crawl_now(alice, sid)["state"] == "succeeded"
    events = detail(alice, sid, maria_db, "events")
    assert events["partition_count"] == 3
    history = alice.get(f"/api/v1/sources/{sid}/tables/{maria_db}/events/history").get_json()["changes"]
    assert "partition" in history[0]["details"] and history[0]["hazard"] == "risky"
