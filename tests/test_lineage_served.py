"""Column lineage served and used (issue #26): by id (another user's table
is a 404), on the table page, in the exports, in the hazards of dropping or
retyping a column a view reads; with hostile names on PostgreSQL and
MariaDB, and SQLite's `*` expanded from the tables it reads."""

from __future__ import annotations

import json
import uuid

import pytest

from .conftest import wait_for_crawl
from .crawl_helpers import crawl_now, maria_source, pg_source, sqlite_file
from .export_parsers import foreign_markup, render_markdown
from .targets import mysql_databases, mysql_execute, pg_database, pg_execute
from .ui_helpers import Browser

# Names with a newline, both quotes, a backtick, markup and non-ASCII letters.
SCHEMA = 'sales\n"s"'
TABLE = "ord`ers 'é' <b>"
COLUMN = 'to"tal\n表'
VIEW = "big 'orders'\n`v` <i>"
ALIAS = 'ID\n"x"'


def q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def bq(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


PG_HOSTILE = (
    f"CREATE SCHEMA {q(SCHEMA)};"
    f"CREATE TABLE {q(SCHEMA)}.{q(TABLE)} (id int PRIMARY KEY, {q(COLUMN)} numeric, note text);"
    f"CREATE VIEW {q(SCHEMA)}.{q(VIEW)} AS SELECT o.id AS {q(ALIAS)}, o.{q(COLUMN)} * 2 AS doubled, 'k' AS konst"
    f" FROM {q(SCHEMA)}.{q(TABLE)} o WHERE o.note IS NOT NULL;"
)
MARIA_HOSTILE = (
    f"CREATE TABLE {bq(TABLE)} (id int PRIMARY KEY, {bq(COLUMN)} decimal(10,2), note text);"
    f"CREATE VIEW {bq(VIEW)} AS SELECT o.id AS `ID`, o.{bq(COLUMN)} * 2 AS `doubled`, 'k' AS konst"
    f" FROM {bq(TABLE)} o WHERE o.note IS NOT NULL;"
)


@pytest.fixture
def hostile_pg():
    with pg_database("mc_lineage_h") as name:
        pg_execute(name, PG_HOSTILE)
        yield name


def detail(user, sid, schema, table) -> dict:
    """The table document by id, found on the schema page (the names hold newlines)."""
    r = user.get(f"/api/v1/sources/{sid}/schema", query_string={"schema": schema, "limit": 1000})
    assert r.status_code == 200, r.get_json()
    [table_id] = [t["table_id"] for t in r.get_json()["tables"] if t["name"] == table]
    r = user.get(f"/api/v1/tables/{table_id}")
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def _lineage(user, table_id):
    r = user.get(f"/api/v1/tables/{table_id}/lineage")
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def test_hostile_names_on_postgres_lineage_served_page_export_and_404(alice, bob, worker, hostile_pg):
    source = pg_source(alice, hostile_pg)
    assert wait_for_crawl(alice, source["crawl"]["url"])["state"] == "succeeded"
    sid = source["id"]
    view = detail(alice, sid, SCHEMA, VIEW)
    table = detail(alice, sid, SCHEMA, TABLE)
    body = _lineage(alice, view["table_id"])
    assert body["status"] == "resolved", body
    assert [
        (c["name"], c["status"], [(s["schema"], s["table"], s["column"], s["found"]) for s in c["sources"]])
        for c in body["columns"]
    ] == [
        (ALIAS, "resolved", [(SCHEMA, TABLE, "id", "catalog")]),
        ("doubled", "resolved", [(SCHEMA, TABLE, COLUMN, "catalog")]),
        ("konst", "constant", []),
    ]
    assert {s["column"] for s in body["reads"]} == {"id", COLUMN, "note"}
    assert {s["table_id"] for s in body["reads"]} == {table["table_id"]}
    read_by = _lineage(alice, table["table_id"])["read_by"]
    assert {(r["column"], r["view_name"], r["view_column"]) for r in read_by} == {
        ("id", VIEW, ALIAS),
        (COLUMN, VIEW, "doubled"),
        ("note", VIEW, None),
    }

    # another user's table is a 404, as is one that does not exist
    assert bob.get(f"/api/v1/tables/{view['table_id']}/lineage").status_code == 404
    assert alice.get(f"/api/v1/tables/{view['table_id'] + 1000}/lineage").status_code == 404

    # the table page has its lineage section, every name escaped, linked to the table
    browser = Browser(alice.client)
    assert browser.sign_in(alice.email, alice.password).status_code == 302
    html = browser.get(f"/sources/{sid}/table", query_string={"schema": SCHEMA, "name": VIEW}).get_data(as_text=True)
    section = html[html.index('<section id="lineage">') :]
    section = section[: section.index("</section>")]
    assert "Lineage <strong>resolved</strong>" in section and '<svg class="lineage"' in section
    assert "ord`ers &#39;é&#39; &lt;b&gt;" in section and "<b>" not in section
    assert f"/sources/{sid}/table?schema=sales%0A%22s%22&amp;name=ord%60ers" in section
    table_html = browser.get(f"/sources/{sid}/table", query_string={"schema": SCHEMA, "name": TABLE}).get_data(
        as_text=True
    )
    assert "Read by" in table_html and "(filter or join)" in table_html

    # the JSON export carries it; Markdown lists each column's sources and renders no markup from names
    export = json.loads(alice.get(f"/api/v1/sources/{sid}/schema/export?format=json").get_data(as_text=True))
    exported = {t["name"]: t for t in export["tables"]}
    assert exported[VIEW]["lineage"] == view["lineage"]
    md = alice.get(f"/api/v1/sources/{sid}/schema/export?format=markdown").get_data(as_text=True)
    assert "Column lineage (resolved)" in md and foreign_markup(md) == []
    assert "表" in render_markdown(md)


def test_hostile_names_on_mariadb_and_the_hazard_of_dropping_a_column_a_view_reads(alice, worker):
    with mysql_databases(1, "mc_lineage_h") as (db,):
        mysql_execute(MARIA_HOSTILE, db)
        try:
            source = maria_source(alice, db)
            assert wait_for_crawl(alice, source["crawl"]["url"])["state"] == "succeeded"
            sid = source["id"]
            view = detail(alice, sid, db, VIEW)
            body = _lineage(alice, view["table_id"])
            assert [
                (c["name"], c["status"], [(s["table"], s["column"], s["found"]) for s in c["sources"]])
                for c in body["columns"]
            ] == [
                ("ID", "resolved", [(TABLE, "id", "parsed")]),
                ("doubled", "resolved", [(TABLE, COLUMN, "parsed")]),
                ("konst", "constant", []),
            ]
            assert {s["column"] for s in body["reads"]} == {"id", COLUMN, "note"}

            # MariaDB lets the column go and the view breaks silently: breaking, and why
            mysql_execute(f"ALTER TABLE {bq(TABLE)} DROP COLUMN note", db)
            assert crawl_now(alice, sid)["state"] == "succeeded"
            table_id = detail(alice, sid, db, TABLE)["table_id"]
            [event] = alice.get(f"/api/v1/tables/{table_id}/history").get_json()["changes"][:1]
            assert event["event"] == "table_changed" and event["hazard"] == "breaking"
            assert (
                f"breaking: column note removed, read by view {db}.{VIEW}: the view breaks" in (event["hazard_reasons"])
            )
            # a retyped column the view reads is named too
            mysql_execute(f"ALTER TABLE {bq(TABLE)} MODIFY {bq(COLUMN)} varchar(20)", db)
            assert crawl_now(alice, sid)["state"] == "succeeded"
            [event] = alice.get(f"/api/v1/tables/{table_id}/history").get_json()["changes"][:1]
            assert (
                f"risky: column {COLUMN} retyped, read by view {db}.{VIEW}: its column changes with it"
                in (event["hazard_reasons"])
            )
        finally:
            reader = "mc_views_" + db[-8:]
            mysql_execute(f"DROP USER IF EXISTS '{reader}'@'%'; DROP USER IF EXISTS '{reader}'@'localhost';")


SQLITE_VIEWS = """
CREATE TABLE customers (id INTEGER PRIMARY KEY, email TEXT NOT NULL);
CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER REFERENCES customers (id), total REAL);
CREATE VIEW big_orders AS SELECT * FROM orders WHERE total > 100;
CREATE VIEW with_email AS SELECT o.id, email, o.total * 1.2 AS gross FROM orders o JOIN customers c
    ON c.id = o.customer_id;
CREATE VIEW odd AS SELECT id FROM orders UNION SELECT id FROM customers;
"""


def test_sqlite_views_expand_star_from_the_tables_they_read(alice, worker, files_dir):
    path = sqlite_file(files_dir, SQLITE_VIEWS)
    r = alice.post("/api/v1/sources", json={"name": f"file {uuid.uuid4().hex[:6]}", "engine": "sqlite", "path": path})
    assert r.status_code == 201, r.get_json()
    source = r.get_json()
    crawl = wait_for_crawl(alice, source["crawl"]["url"])
    assert crawl["state"] == "succeeded", crawl

    def sources(view):
        body = _lineage(alice, detail(alice, source["id"], "main", view)["table_id"])
        return body, {c["name"]: sorted((s["table"], s["column"]) for s in c["sources"]) for c in body["columns"]}

    body, got = sources("big_orders")
    assert body["status"] == "resolved" and got == {
        "id": [("orders", "id")],
        "customer_id": [("orders", "customer_id")],
        "total": [("orders", "total")],
    }
    body, got = sources("with_email")
    assert got == {"id": [("orders", "id")], "email": [("customers", "email")], "gross": [("orders", "total")]}
    assert ("orders", "customer_id") in {(s["table"], s["column"]) for s in body["reads"]}
    assert sources("odd")[1] == {"id": [("customers", "id"), ("orders", "id")]}
