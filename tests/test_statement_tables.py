"""Which tables a pg_stat_statements text names, and its literals blanked
(engines/statement_tables.py), on texts as pg_stat_statements records them;
and the catalog's match of those names to a source's tables at apply
(catalog/usage/apply.py), served as a table's top statements."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import create_engine, text

from catalog.usage.apply import STATEMENTS_REPLACED
from engines.postgres_usage import statement_from_row
from engines.statement_tables import blank_literals, named_tables

from .conftest import wait_for_crawl
from .crawl_helpers import detail, pg_source
from .targets import pg_database, pg_execute

# (text as pg_stat_statements keeps it, the tables it names)
RECORDED = [
    ("SELECT * FROM orders WHERE id = $1", [(None, "orders")]),
    ("select o.id, l.line from sales.orders o join sales.order_lines l on l.order_no = o.id where o.region = $1",
     [("sales", "orders"), ("sales", "order_lines")]),
    ('SELECT "Has Space" FROM "Mixed Case"."with-hyphen" WHERE "quote""d" = $1',
     [("Mixed Case", "with-hyphen")]),
    ("UPDATE ONLY accounts SET balance = balance - $1 FROM transfers t WHERE t.account_id = accounts.id",
     [(None, "accounts"), (None, "transfers")]),
    ("INSERT INTO audit_log (at, what) VALUES (now(), $1) RETURNING id", [(None, "audit_log")]),
    ("DELETE FROM sessions USING users u WHERE sessions.user_id = u.id AND u.disabled",
     [(None, "sessions"), (None, "users")]),
    ("WITH recent AS (SELECT * FROM events WHERE at > now() - $1::interval) SELECT count(*) FROM recent, regions r",
     [(None, "events"), (None, "regions")]),
    ("SELECT extract(year FROM created_at), x IS DISTINCT FROM y FROM facts", [(None, "facts")]),
    ("SELECT * FROM generate_series($1, $2) g JOIN days d USING (g)", [(None, "days")]),
    ("SELECT EXISTS (SELECT $1 FROM pg_catalog.pg_class WHERE relname = $2)", [("pg_catalog", "pg_class")]),
    ("TRUNCATE TABLE staging.a, staging.b", [("staging", "a"), ("staging", "b")]),
    ("COPY orders FROM STDIN", [(None, "orders")]),
    ("COPY (SELECT * FROM orders) TO STDOUT", [(None, "orders")]),
    ("SELECT $1 -- FROM commented\n, 'FROM quoted' FROM real_one", [(None, "real_one")]),
    ("SELECT a FROM (SELECT a FROM inner_t) s, LATERAL (SELECT 1) x", [(None, "inner_t")]),
]  # fmt: skip


@pytest.mark.parametrize(("query", "tables"), RECORDED)
def test_named_tables(query, tables):
    assert named_tables(query) == tables


def test_literals_and_comments_never_kept():
    sent = "CREATE TABLE t (s text DEFAULT 'secret'); /* token=abc */ SELECT $$pw$$, E'x\\'y', 42, 1.5e3, $1 -- pw"
    blanked = blank_literals(sent)
    for leak in ("secret", "abc", "pw", "x\\'y", "42", "1.5e3"):
        assert leak not in blanked
    assert blanked.count("?") == 5 and "$1" in blanked
    row = statement_from_row(("-7", "SELECT * FROM users WHERE email = 'a@b.c'", 3, 12.34567, 9))
    assert row.query == "SELECT * FROM users WHERE email = ?" and row.tables == [(None, "users")]
    assert (row.query_id, row.calls, row.total_ms, row.rows) == ("-7", 3, 12.346, 9)


TARGET = """
CREATE SCHEMA sales; CREATE SCHEMA other;
CREATE TABLE public.orders (id int); CREATE TABLE sales.orders (id int);
CREATE TABLE other.only_here (id int);
CREATE TABLE sales.twice (id int); CREATE TABLE other.twice (id int);
"""

STAGED = [
    ("1", "SELECT * FROM orders WHERE id = $1", 900.0),
    ("2", "SELECT * FROM sales.orders o JOIN only_here h ON h.id = o.id", 500.0),
    ("3", "SELECT * FROM twice", 100.0),  # two tables of that name, none in public: no match
]


def test_statements_match_the_tables_they_name(alice, worker, catalog_url):
    with pg_database("mc_statements") as db:
        pg_execute(db, TARGET)
        source = pg_source(alice, db)
        job = wait_for_crawl(alice, source["crawl"]["url"])
        assert job["state"] == "succeeded"
        sid = source["id"]
        engine = create_engine(catalog_url)
        try:
            with engine.begin() as conn:  # what the plan stages from pg_stat_statements
                for query_id, query, ms in STAGED:
                    conn.execute(
                        text(
                            "INSERT INTO crawl_staged_statements (job_id, query_id, query, calls, total_ms, rows, "
                            "tables, read_at) VALUES (:job, :qid, :q, 2, :ms, 4, CAST(:t AS jsonb), now())"
                        ),
                        {"job": job["id"], "qid": query_id, "q": query, "ms": ms, "t": json.dumps(named_tables(query))},
                    )
                assert conn.execute(text(STATEMENTS_REPLACED), {"job": job["id"], "sid": sid}).scalar_one() == 3
                conn.execute(text("DELETE FROM crawl_staged_statements WHERE job_id = :job"), {"job": job["id"]})
        finally:
            engine.dispose()

        def queries(schema, name):
            return [s["query"] for s in detail(alice, sid, schema, name)["usage"]["statements"]]

        assert queries("public", "orders") == ["SELECT * FROM orders WHERE id = $1"]
        assert queries("sales", "orders") == ["SELECT * FROM sales.orders o JOIN only_here h ON h.id = o.id"]
        assert queries("other", "only_here") == ["SELECT * FROM sales.orders o JOIN only_here h ON h.id = o.id"]
        assert queries("sales", "twice") == [] and queries("other", "twice") == []
