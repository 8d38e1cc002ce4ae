"""Column lineage through views (issue #26), on the Sakila sample schema
(tests/data/README.md): on PostgreSQL the catalog's edges equal what
pg_depend and information_schema.view_column_usage say, queried live; on
MariaDB the parsed lineage equals hand-written expectations; a view the
parser cannot map says so; served by id (404 to others), on the table page,
in the exports, and in the hazards of dropping a column a view reads."""

from __future__ import annotations

from pathlib import Path

import psycopg2
import pytest

from .conftest import wait_for_crawl
from .crawl_helpers import catalog_rows, detail, maria_source, pg_source
from .targets import mysql_databases, mysql_execute, pg_database, pg_execute, pg_params

DATA = Path(__file__).parent / "data"

# A view the lineage parse cannot follow (it reads from a function), beside Sakila's.
PG_EXTRA = """
CREATE VIEW numbered AS SELECT g AS n, a.first_name FROM generate_series(1, 3) g JOIN actor a ON a.actor_id = g;
CREATE VIEW constant_and_star AS SELECT 1 AS one, c.* FROM country c WHERE c.last_update IS NOT NULL;
"""


@pytest.fixture
def sakila_pg():
    with pg_database("mc_lineage") as name:
        pg_execute(name, (DATA / "sakila-postgres-schema.sql").read_text() + PG_EXTRA)
        yield name


@pytest.fixture
def sakila_maria():
    with mysql_databases(1, "mc_lineage") as (db,):
        mysql_execute((DATA / "sakila-mysql-schema.sql").read_text(), db)
        yield db
        mysql_execute(
            f"DROP USER IF EXISTS 'mc_views_{db[-8:]}'@'%'; DROP USER IF EXISTS 'mc_views_{db[-8:]}'@'localhost';"
        )


def target_rows(dbname: str, sql: str) -> list[tuple]:
    p = pg_params()
    conn = psycopg2.connect(host=p["host"], port=p["port"], user=p["username"], dbname=dbname)
    try:
        with conn.cursor() as cur:
            cur.execute(sql)
            return cur.fetchall()
    finally:
        conn.close()


# Every (view, source schema, table, column) pg_depend records for the
# public schema's views, and the same from information_schema.
PG_DEPEND_SQL = """
SELECT DISTINCT v.relname, dn.nspname, dc.relname, da.attname
FROM pg_class v JOIN pg_namespace vn ON vn.oid = v.relnamespace
JOIN pg_rewrite rw ON rw.ev_class = v.oid
JOIN pg_depend dp ON dp.classid = 'pg_rewrite'::regclass AND dp.objid = rw.oid
                 AND dp.refclassid = 'pg_class'::regclass AND dp.refobjsubid > 0 AND dp.refobjid <> v.oid
JOIN pg_class dc ON dc.oid = dp.refobjid JOIN pg_namespace dn ON dn.oid = dc.relnamespace
JOIN pg_attribute da ON da.attrelid = dc.oid AND da.attnum = dp.refobjsubid
WHERE vn.nspname = 'public' AND v.relkind IN ('v', 'm')
"""
VIEW_COLUMN_USAGE_SQL = """
SELECT view_name, table_schema, table_name, column_name FROM information_schema.view_column_usage
WHERE view_schema = 'public'
"""


def lineage(user, table_id: int) -> dict:
    r = user.get(f"/api/v1/tables/{table_id}/lineage")
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def test_postgres_sakila_lineage_equals_pg_depend(alice, worker, sakila_pg, catalog_url):
    source = pg_source(alice, sakila_pg)
    assert wait_for_crawl(alice, source["crawl"]["url"])["state"] == "succeeded"
    sid = source["id"]
    depend = set(target_rows(sakila_pg, PG_DEPEND_SQL))
    assert depend == set(target_rows(sakila_pg, VIEW_COLUMN_USAGE_SQL))
    views = sorted({v for v, *_ in depend})
    assert len(views) == 9  # Sakila's 7 and the two above

    served, compared = set(), 0
    for view in views:
        doc = detail(alice, sid, "public", view)
        body = lineage(alice, doc["table_id"])
        served |= {(view, e["schema"], e["table"], e["column"]) for e in body["reads"]}
        assert all(e["found"] == "catalog" for e in body["reads"]), body
        assert doc["lineage"]["status"] == body["status"]  # the table document carries it too
        if view not in ("numbered", "constant_and_star"):  # Sakila's own views are mapped whole
            assert body["status"] == "resolved", body
        assert [c["name"] for c in body["columns"]] == [c["name"] for c in doc["columns"]]
        for column in body["columns"]:
            compared += 1
            for e in column["sources"]:
                assert (view, e["schema"], e["table"], e["column"]) in depend and e["found"] == "catalog"
                assert e["table_id"] == detail(alice, sid, e["schema"], e["table"])["table_id"]
    assert served == depend
    # the edges table holds the same, so "read by" is one indexed query
    edges = catalog_rows(
        catalog_url,
        "SELECT v.name, l.source_schema, l.source_table, l.source_column FROM catalog_column_lineage l "
        "JOIN catalog_tables v ON v.id = l.view_id WHERE l.source_id = %s",
        (sid,),
    )
    assert set(edges) == depend
    print(f"compared {compared} view columns of {len(views)} views, {len(depend)} pg_depend edges")
    assert compared == 48  # Sakila's 42 view columns and the 6 above

    # output columns mapped by the parse, as a reader checks them by hand
    film_list = lineage(alice, detail(alice, sid, "public", "film_list")["table_id"])
    by_name = {c["name"]: c for c in film_list["columns"]}
    assert by_name["actors"]["status"] == "resolved"
    assert {(e["table"], e["column"]) for e in by_name["actors"]["sources"]} == {
        ("actor", "first_name"),
        ("actor", "last_name"),
    }
    assert [(e["table"], e["column"]) for e in by_name["price"]["sources"]] == [("film", "rental_rate")]
    star = lineage(alice, detail(alice, sid, "public", "constant_and_star")["table_id"])
    assert [(c["name"], c["status"]) for c in star["columns"]] == [
        ("one", "constant"),
        ("country_id", "resolved"),
        ("country", "resolved"),
        ("last_update", "resolved"),
    ]

    # a view the parse cannot follow says so, and still lists what pg_depend says it reads
    numbered = lineage(alice, detail(alice, sid, "public", "numbered")["table_id"])
    assert numbered["status"] == "unresolved" and "RangeFunction" in numbered["reason"]
    assert {c["status"] for c in numbered["columns"]} == {"unresolved"}
    assert {(e["table"], e["column"]) for e in numbered["reads"]} == {("actor", "actor_id"), ("actor", "first_name")}

    # read by: the views reading a table's columns
    actor = lineage(alice, detail(alice, sid, "public", "actor")["table_id"])
    assert actor["status"] is None and actor["columns"] == [] and actor["reads"] == []
    readers = {(r["column"], r["view_name"], r["view_column"]) for r in actor["read_by"]}
    assert ("first_name", "film_list", "actors") in readers and ("actor_id", "film_list", None) in readers
    assert ("first_name", "numbered", None) in readers


# Sakila's views on MariaDB, column by column, as a reader of their SQL maps them.
_CITY = {("address", "address")}
MARIA_EXPECTED = {
    "actor_info": {
        "actor_id": {("actor", "actor_id")},
        "first_name": {("actor", "first_name")},
        "last_name": {("actor", "last_name")},
        "film_info": {("category", "name"), ("film", "title")},
    },
    "customer_list": {
        "ID": {("customer", "customer_id")},
        "name": {("customer", "first_name"), ("customer", "last_name")},
        "address": _CITY,
        "zip code": {("address", "postal_code")},
        "phone": {("address", "phone")},
        "city": {("city", "city")},
        "country": {("country", "country")},
        "notes": {("customer", "active")},
        "SID": {("customer", "store_id")},
    },
    "film_list": {
        "FID": {("film", "film_id")},
        "title": {("film", "title")},
        "description": {("film", "description")},
        "category": {("category", "name")},
        "price": {("film", "rental_rate")},
        "length": {("film", "length")},
        "rating": {("film", "rating")},
        "actors": {("actor", "first_name"), ("actor", "last_name")},
    },
    "sales_by_film_category": {"category": {("category", "name")}, "total_sales": {("payment", "amount")}},
    "sales_by_store": {
        "store": {("city", "city"), ("country", "country")},
        "manager": {("staff", "first_name"), ("staff", "last_name")},
        "total_sales": {("payment", "amount")},
    },
    "staff_list": {
        "ID": {("staff", "staff_id")},
        "name": {("staff", "first_name"), ("staff", "last_name")},
        "address": _CITY,
        "zip code": {("address", "postal_code")},
        "phone": {("address", "phone")},
        "city": {("city", "city")},
        "country": {("country", "country")},
        "SID": {("staff", "store_id")},
    },
}
MARIA_EXPECTED["nicer_but_slower_film_list"] = MARIA_EXPECTED["film_list"]

# A view over JSON_TABLE, which the lineage parse does not follow.
MARIA_UNPARSEABLE = """
CREATE VIEW from_json AS SELECT j.a AS a FROM JSON_TABLE('[1]', '$[*]' COLUMNS (a int PATH '$')) AS j;
"""


def test_mariadb_sakila_lineage_matches_hand_written_expectations(alice, worker, sakila_maria):
    mysql_execute(MARIA_UNPARSEABLE, sakila_maria)
    source = maria_source(alice, sakila_maria)
    assert wait_for_crawl(alice, source["crawl"]["url"])["state"] == "succeeded"
    sid, db = source["id"], sakila_maria
    compared = 0
    for view, expected in MARIA_EXPECTED.items():
        body = lineage(alice, detail(alice, sid, db, view)["table_id"])
        got = {c["name"]: {(e["table"], e["column"]) for e in c["sources"]} for c in body["columns"]}
        assert got == expected, view
        compared += len(got)
        assert all(e["schema"] == db and e["found"] == "parsed" for c in body["columns"] for e in c["sources"])
        # every source links to its table in the catalog
        assert all(e["table_id"] is not None for c in body["columns"] for e in c["sources"])
        # the joins' keys are read too, though they feed no output column
        if "city" in {t for sources in expected.values() for t, _ in sources}:
            assert (db, "city", "city_id") in {(e["schema"], e["table"], e["column"]) for e in body["reads"]}
    assert compared == 42
    # MariaDB prints LENGTH as octet_length, which sqlglot does not know: said, not hidden
    nicer = lineage(alice, detail(alice, sid, db, "nicer_but_slower_film_list")["table_id"])
    actors = next(c for c in nicer["columns"] if c["name"] == "actors")
    assert actors["status"] == "partial" and "octet_length" in actors["reason"] and nicer["status"] == "partial"
    assert lineage(alice, detail(alice, sid, db, "film_list")["table_id"])["status"] == "resolved"

    unparseable = lineage(alice, detail(alice, sid, db, "from_json")["table_id"])
    assert unparseable["status"] == "unresolved" and unparseable["reason"]
    assert unparseable["columns"] == [
        {"name": "a", "status": "unresolved", "reason": unparseable["reason"], "sources": []}
    ]

    # read by, on MariaDB too
    payment = lineage(alice, detail(alice, sid, db, "payment")["table_id"])
    assert {(r["column"], r["view_name"], r["view_column"]) for r in payment["read_by"]} >= {
        ("amount", "sales_by_store", "total_sales"),
        ("amount", "sales_by_film_category", "total_sales"),
        ("rental_id", "sales_by_store", None),
    }
