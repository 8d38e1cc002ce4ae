"""Sizes people recognise, explicit row estimates, activity statistics kept
apart from the definition, and objects the target cannot describe (issues
#12 and #13), crawled from PostgreSQL and MariaDB and read through the API
and the web UI."""

from __future__ import annotations

import psycopg2
import pytest

from .conftest import wait_for_crawl
from .crawl_helpers import catalog_rows, crawl_now, detail, maria_source, pg_source
from .targets import mysql_databases, mysql_execute, pg_database, pg_execute, pg_params
from .ui_helpers import Browser

PG_TARGET = """
CREATE TABLE big (id int PRIMARY KEY, note text);
INSERT INTO big SELECT g, repeat('x', 40) FROM generate_series(1, 3000) g;
CREATE TABLE fresh (id int);
INSERT INTO fresh VALUES (1), (2), (3);
CREATE VIEW big_view AS SELECT id FROM big;
"""


def pg_total_size(db: str, table: str) -> int:
    p = pg_params()
    conn = psycopg2.connect(host=p["host"], port=p["port"], user=p["username"], password=p["password"], dbname=db)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT pg_total_relation_size(%s::regclass)", (table,))
            return cur.fetchone()[0]
    finally:
        conn.close()


@pytest.fixture
def pg_target():
    with pg_database("mc_sizes") as name:
        pg_execute(name, PG_TARGET)
        pg_execute(name, "VACUUM ANALYZE big")
        yield name


def test_postgres_sizes_row_estimates_and_activity(alice, worker, pg_target, catalog_url):
    source = pg_source(alice, pg_target)
    assert wait_for_crawl(alice, source["crawl"]["url"])["state"] == "succeeded"
    sid = source["id"]

    big = detail(alice, sid, "public", "big")
    # the same figure as pg_total_relation_size (forks, TOAST and indexes), read without opening the table
    assert big["size_bytes"] == pg_total_size(pg_target, "big")
    assert big["row_estimate"] == 3000 and big["row_estimate_source"] == "statistics"
    activity = big["activity"]
    assert activity["rows_inserted"] == 3000 and activity["live_rows"] == 3000 and activity["dead_rows"] == 0
    assert activity["last_vacuum_at"] and activity["last_analyze_at"] and activity["read_at"]
    assert activity["last_update_at"] is None  # MySQL/MariaDB only

    fresh = detail(alice, sid, "public", "fresh")  # never vacuumed or analyzed: says so
    assert fresh["row_estimate"] is None and fresh["size_bytes"] is None
    assert fresh["row_estimate_source"] == "never_analyzed"
    assert fresh["activity"]["rows_inserted"] == 3 and fresh["activity"]["last_analyze_at"] is None

    view = detail(alice, sid, "public", "big_view")
    assert view["row_estimate_source"] == "not_applicable" and view["activity"] is None
    assert "warnings" not in view  # PostgreSQL cannot hold a view on a dropped table

    # schema pages carry the source of the estimate too
    page = alice.get(f"/api/v1/sources/{sid}/schema").get_json()
    assert {t["name"]: t["row_estimate_source"] for t in page["tables"]}["fresh"] == "never_analyzed"

    browser = Browser(alice.client)
    assert browser.sign_in(alice.email, alice.password).status_code == 302
    html = browser.get(f"/sources/{sid}/table?schema=public&name=big").get_data(as_text=True)
    assert 'id="activity"' in html and "3,000" in html
    html = browser.get(f"/sources/{sid}/table?schema=public&name=fresh").get_data(as_text=True)
    assert "never analyzed" in html

    # activity moves on every crawl, for unchanged tables too, and is never a change
    before = activity["read_at"]
    history = alice.get(f"/api/v1/sources/{sid}/tables/public/big/history").get_json()["changes"]
    pg_execute(pg_target, "UPDATE big SET note = 'y' WHERE id <= 10")
    job = crawl_now(alice, sid)
    assert job["state"] == "succeeded"
    assert job["stats"] == {"added": 0, "changed": 0, "removed": 0, "unchanged": 3, "with_warnings": 0}
    after = detail(alice, sid, "public", "big")["activity"]
    assert after["rows_updated"] == 10 and after["read_at"] > before
    assert alice.get(f"/api/v1/sources/{sid}/tables/public/big/history").get_json()["changes"] == history

    # figures that did not move are not rewritten, and still read as of the last crawl (the crawl after
    # a write rewrites the row once: its growth since the crawl before goes back to 0)
    assert crawl_now(alice, sid)["state"] == "succeeded"
    after = detail(alice, sid, "public", "big")["activity"]
    stored = (
        "SELECT a.xmin::text FROM catalog_table_activity a JOIN catalog_tables t ON t.id = a.table_id "
        "WHERE t.source_id = %s AND t.name = 'big'"
    )
    row_version = catalog_rows(catalog_url, stored, (sid,))
    assert crawl_now(alice, sid)["state"] == "succeeded"
    again = detail(alice, sid, "public", "big")["activity"]
    assert again["read_at"] > after["read_at"] and again["rows_updated"] == 10
    assert catalog_rows(catalog_url, stored, (sid,)) == row_version


@pytest.fixture
def maria_db():
    with mysql_databases(1, "mc_views") as (db,):
        mysql_execute(
            """
            CREATE TABLE orders (id int PRIMARY KEY, total int);
            INSERT INTO orders VALUES (1, 10), (2, 20);
            CREATE VIEW fine AS SELECT id FROM orders;
            CREATE TABLE gone (a int);
            CREATE VIEW broken AS SELECT a FROM gone;
            DROP TABLE gone;
            """,
            db,
        )
        yield db
        mysql_execute(
            f"DROP USER IF EXISTS 'mc_views_{db[-8:]}'@'%'; DROP USER IF EXISTS 'mc_views_{db[-8:]}'@'localhost';"
        )


def test_mariadb_broken_view_warnings_and_activity(alice, worker, maria_db):
    source = maria_source(alice, maria_db)
    crawl = wait_for_crawl(alice, source["crawl"]["url"])
    assert crawl["state"] == "succeeded"
    assert crawl["stats"]["with_warnings"] == 1  # the crawl says how many objects it could not describe
    sid = source["id"]

    broken = detail(alice, sid, maria_db, "broken")
    assert broken["columns"] == []
    assert len(broken["warnings"]) == 1 and "references invalid table(s) or column(s)" in broken["warnings"][0]
    assert "warnings" not in detail(alice, sid, maria_db, "fine")

    orders = detail(alice, sid, maria_db, "orders")
    assert orders["row_estimate_source"] == "statistics"
    assert orders["activity"]["last_update_at"] and orders["activity"]["read_at"]
    assert orders["activity"]["rows_inserted"] is None  # PostgreSQL only
    assert broken["activity"] is None and broken["row_estimate_source"] == "not_applicable"

    browser = Browser(alice.client)
    assert browser.sign_in(alice.email, alice.password).status_code == 302
    html = browser.get(f"/sources/{sid}/table?schema={maria_db}&name=broken").get_data(as_text=True)
    assert 'id="warnings"' in html and "references invalid table(s)" in html
    html = browser.get(f"/sources/{sid}/table?schema={maria_db}&name=orders").get_data(as_text=True)
    assert 'id="activity"' in html and "Last write" in html
    html = browser.get(f"/crawls/{crawl['id']}").get_data(as_text=True)
    assert "1 object the database could not describe" in html

    # a view that stays broken is no change; mending it is one, and its warning goes
    job = crawl_now(alice, sid)
    assert job["stats"] == {"added": 0, "changed": 0, "removed": 0, "unchanged": 3, "with_warnings": 1}
    mysql_execute("CREATE TABLE gone (a int)", maria_db)
    job = crawl_now(alice, sid)
    assert job["stats"]["changed"] == 1 and job["stats"]["with_warnings"] == 0
    mended = detail(alice, sid, maria_db, "broken")
    assert "warnings" not in mended and [c["name"] for c in mended["columns"]] == ["a"]
