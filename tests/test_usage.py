"""Usage between crawls (issue #26) on a real PostgreSQL target: scans, rows
read and written counted exactly between two crawls, a counter reset that
never gives a negative count and says so, each index's scans, what the
runtime insights make of it (an unused index after N crawl-days, not a
constraint's; heavy sequential scans; never analysed; an unindexed foreign
key of a busy parent), pg_stat_statements absent or unreadable, and the
table page; another user's table is a 404."""

from __future__ import annotations

import psycopg2
import pytest

from .conftest import wait_for_crawl
from .crawl_helpers import catalog_rows, crawl_now, detail, maria_source, pg_source, poll
from .engine_targets import mariadb_target, postgres_target
from .insight_helpers import all_findings, by_rule
from .targets import mysql_databases, mysql_execute, pg_database, pg_params
from .ui_helpers import Browser

TARGET = """
CREATE TABLE items (id int PRIMARY KEY, v int);
CREATE INDEX items_v ON items (v);
INSERT INTO items SELECT g, g FROM generate_series(1, 100) g;
CREATE TABLE logs (id int);
VACUUM ANALYZE items;
VACUUM ANALYZE logs;
"""

SEQ_ONLY = "SET enable_indexscan = off; SET enable_indexonlyscan = off; SET enable_bitmapscan = off"
INDEX_ONLY = "RESET ALL; SET enable_seqscan = off; SET enable_bitmapscan = off; SET enable_indexonlyscan = off"


def run_flushed(db: str, *statements: str) -> None:
    """Run statements one by one in one session, then make that session's
    statistics visible at once: PostgreSQL 15+ flushes a backend's counters
    at most once a second unless pg_stat_force_next_flush() asks, and does
    it when the backend next goes idle (the SELECT 1 after it)."""
    p = pg_params()
    conn = psycopg2.connect(host=p["host"], port=p["port"], user=p["username"], dbname=db)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            for sql in statements:
                cur.execute(sql)
            cur.execute("SELECT pg_stat_force_next_flush()")
            cur.execute("SELECT 1")
    finally:
        conn.close()


def script(sql: str) -> list[str]:
    """A script's statements (VACUUM runs outside a transaction: one by one)."""
    return [s.strip() for s in sql.split(";") if s.strip()]


@pytest.fixture
def target():
    with pg_database("mc_usage") as name:
        run_flushed(name, *script(TARGET))
        yield name


def test_counts_between_crawls_are_exactly_what_ran_and_a_reset_says_so(alice, bob, worker, target):
    source = pg_source(alice, target)
    assert wait_for_crawl(alice, source["crawl"]["url"])["state"] == "succeeded"
    sid = source["id"]
    first = detail(alice, sid, "public", "items")["usage"]
    assert first["since_last_crawl"] is None  # one crawl has read the counters: no growth yet
    assert {i["name"] for i in first["indexes"]} == {"items_pkey", "items_v"}
    assert first["statements"] == []  # pg_stat_statements is not installed here

    run_flushed(
        target,
        SEQ_ONLY,
        *["SELECT count(*) FROM items"] * 3,
        INDEX_ONLY,
        *["SELECT * FROM items WHERE v = 5"] * 2,
        "INSERT INTO items SELECT g, g FROM generate_series(101, 120) g",
        "INSERT INTO logs VALUES (1), (2), (3), (4), (5)",
    )
    assert crawl_now(alice, sid)["state"] == "succeeded"
    usage = detail(alice, sid, "public", "items")["usage"]
    grown = usage["since_last_crawl"]
    assert grown["seq_scans"] == 3 and grown["seq_rows_read"] == 300
    assert grown["index_scans"] == 2 and grown["index_rows_fetched"] == 2
    assert grown["rows_written"] == 20 and grown["counters_reset"] is False
    assert grown["from"] < usage["read_at"]
    scans = {i["name"]: i for i in usage["indexes"]}
    assert scans["items_v"]["scans_since_last_crawl"] == 2 and scans["items_pkey"]["scans_since_last_crawl"] == 0
    assert scans["items_v"]["idle_since"] is None and scans["items_pkey"]["idle_since"] is not None
    assert usage["seq_scans"] >= 3 and usage["index_scans"] >= 2  # since the counters' reset
    logs = detail(alice, sid, "public", "logs")["usage"]
    assert logs["since_last_crawl"]["rows_written"] == 5 and logs["indexes"] == []

    # a reset between crawls: the counts are those since the reset, never negative, and say so
    run_flushed(target, SEQ_ONLY, "SELECT count(*) FROM items")  # counted, then reset
    run_flushed(target, "SELECT pg_stat_reset()", SEQ_ONLY, "SELECT count(*) FROM items")
    assert crawl_now(alice, sid)["state"] == "succeeded"
    usage = detail(alice, sid, "public", "items")["usage"]
    grown = usage["since_last_crawl"]
    assert grown["counters_reset"] is True and usage["stats_reset_at"] is not None
    assert grown["seq_scans"] == 1 and grown["seq_rows_read"] == 120
    assert grown["index_scans"] == 0 and grown["rows_written"] == 0
    assert all(i["scans_since_last_crawl"] == 0 for i in usage["indexes"])
    browser = Browser(alice.client)
    assert browser.sign_in(alice.email, alice.password).status_code == 302
    html = browser.get(f"/sources/{sid}/table?schema=public&name=items").get_data(as_text=True)
    assert 'id="usage-reset"' in html and "counters were reset" in html

    # an idle crawl: nothing grew
    assert crawl_now(alice, sid)["state"] == "succeeded"
    grown = detail(alice, sid, "public", "items")["usage"]["since_last_crawl"]
    assert grown["seq_scans"] == 0 and grown["counters_reset"] is False

    # usage is never a change
    changes = alice.get(f"/api/v1/sources/{sid}/tables/public/items/history").get_json()["changes"]
    assert changes == []

    # the table page shows it; another user gets a 404, from the API and the page
    html = browser.get(f"/sources/{sid}/table?schema=public&name=items").get_data(as_text=True)
    assert 'id="usage"' in html and "Sequential scans" in html and "items_v" in html and "usage-reset" not in html
    assert bob.get(f"/api/v1/sources/{sid}/tables/public/items").status_code == 404
    other = Browser(bob.client)
    assert other.sign_in(bob.email, bob.password).status_code == 302
    page = other.get(f"/sources/{sid}/table?schema=public&name=items")
    assert page.status_code == 404 and "items_v" not in page.get_data(as_text=True)


RUNTIME_TARGET = """
CREATE TABLE parent (id int PRIMARY KEY);
CREATE TABLE child (id int PRIMARY KEY, parent_id int REFERENCES parent (id), note text, code text UNIQUE);
CREATE INDEX child_note ON child (note);
CREATE TABLE slots (r int4range, EXCLUDE USING gist (r WITH &&));
CREATE TABLE big (id int, v int);
INSERT INTO big SELECT g, g FROM generate_series(1, 20000) g;
VACUUM ANALYZE parent; VACUUM ANALYZE child; VACUUM ANALYZE slots; VACUUM ANALYZE big;
CREATE TABLE fresh (id int);
INSERT INTO fresh VALUES (1), (2), (3);
"""


def runtime_findings(user, sid, rule: str, present: bool) -> set[str]:
    """The objects of `rule`'s findings once the runtime insights after the
    last crawl show (or no longer show) any."""

    def check():
        found = by_rule(all_findings(user, sid)).get(rule, set())
        return (found or None) if present else (found == set() or None)

    poll(f"{rule} findings {'shown' if present else 'gone'}", check, timeout=60)
    return by_rule(all_findings(user, sid)).get(rule, set())


def test_runtime_insights(alice, worker, catalog_url):
    with pg_database("mc_usage_rules") as db:
        run_flushed(db, *script(RUNTIME_TARGET))
        source = pg_source(alice, db)
        assert wait_for_crawl(alice, source["crawl"]["url"])["state"] == "succeeded"
        sid = source["id"]
        assert runtime_findings(alice, sid, "never_analyzed", True) == {"public.fresh"}
        findings = {(f["rule"], f["object"]): f for f in all_findings(alice, sid)}
        assert findings[("never_analyzed", "public.fresh")]["fix"] == "ANALYZE public.fresh;"
        assert "unused_index" not in by_rule(all_findings(alice, sid))  # not yet N days without a scan

        # N days of crawls without a scan, faked in the catalog: the stored "no scan since"
        catalog_rows(
            catalog_url,
            "UPDATE catalog_index_usage u SET idle_since = idle_since - interval '31 days' FROM catalog_tables t "
            "WHERE t.id = u.table_id AND t.source_id = %s RETURNING 1",
            (sid,),
        )
        run_flushed(
            db,
            "INSERT INTO parent SELECT g FROM generate_series(1, 1000) g",
            "SET enable_indexscan = off",
            "SET enable_bitmapscan = off",
            *["SELECT count(*) FROM big WHERE v = 7"] * 10,
        )
        assert crawl_now(alice, sid)["state"] == "succeeded"
        # the constraints' indexes (primary keys, unique, exclusion) are never reported
        assert runtime_findings(alice, sid, "unused_index", True) == {"public.child.child_note"}
        findings = {(f["rule"], f["object"]): f for f in all_findings(alice, sid)}
        unused = findings[("unused_index", "public.child.child_note")]
        assert unused["fix"] == "DROP INDEX public.child_note;" and "no scan since" in unused["message"]
        heavy = findings[("heavy_seq_scan", "public.big")]
        assert heavy["message"].startswith("10 sequential scans read 200000 rows")
        assert "pg_stat_statements" in heavy["fix"]
        busy = findings[("fk_without_index_busy_parent", "public.child.child_parent_id_fkey")]
        assert busy["severity"] == "error" and "1000 rows written" in busy["message"]
        assert busy["fix"] == "CREATE INDEX ON public.child (parent_id);"

        # a scan of the index: no longer unused
        run_flushed(db, INDEX_ONLY, "SELECT * FROM child WHERE note = 'x'")
        assert crawl_now(alice, sid)["state"] == "succeeded"
        assert runtime_findings(alice, sid, "unused_index", False) == set()


def test_pg_stat_statements_absent_or_unreadable(tmp_path):
    with postgres_target(tmp_path) as target:
        intro = target.intro()
        try:
            absent = intro.top_statements(10)
            assert absent.statements == [] and absent.unreadable == {"statements"}
            assert "not installed" in absent.reason
            assert intro.warnings == []  # not installed: nothing the account could be granted
            # created but not loaded (it needs shared_preload_libraries, which this server does not set)
            target.execute("CREATE EXTENSION pg_stat_statements")
            second = target.intro()
            loaded = second.top_statements(10)
            if loaded.unreadable:
                assert loaded.statements == [] and "could not be read" in loaded.reason
                assert "shared_preload_libraries" in loaded.reason
                # installed but unreadable: the crawl is told, naming what would show them
                (warning,) = second.warnings
                assert warning.kind == "statements" and "pg_read_all_stats" in warning.privilege
            else:  # a server that preloads it: readable, with blanked literals
                assert all("'" not in s.query for s in loaded.statements)
        finally:
            intro.close()


def test_mariadb_engine_names_the_usage_it_cannot_read(tmp_path):
    with mariadb_target(tmp_path) as target:
        target.create_tables(["t"])
        intro = target.intro()
        try:
            read = intro.activity(intro.list_tables())
            assert read.unreadable == {"table_scans", "index_scans", "rows_read", "rows_written"}
            assert read[(target.schema or target.params.database, "t")].seq_scans is None  # unknown, not 0
            top = intro.top_statements(10)
            assert top.statements == [] and top.unreadable == {"statements"} and top.reason
        finally:
            intro.close()


def test_mariadb_usage_is_unknown_and_says_which_kinds(alice, worker):
    with mysql_databases(1, "mc_usage") as (db,):
        mysql_execute("CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t VALUES (1);", db)
        try:
            source = maria_source(alice, db)
            assert wait_for_crawl(alice, source["crawl"]["url"])["state"] == "succeeded"
            table = detail(alice, source["id"], db, "t")
            assert table["usage"] is None and table["activity"]["read_at"]
        finally:
            mysql_execute(
                f"DROP USER IF EXISTS 'mc_views_{db[-8:]}'@'%'; DROP USER IF EXISTS 'mc_views_{db[-8:]}'@'localhost';"
            )


def test_rows_stored_before_the_counters_show_growth_from_the_crawl_after(alice, worker, target, catalog_url):
    source = pg_source(alice, target)
    assert wait_for_crawl(alice, source["crawl"]["url"])["state"] == "succeeded"
    sid = source["id"]
    # as migration 0021 leaves a row stored before it: the figures without the counters
    catalog_rows(
        catalog_url,
        "UPDATE catalog_table_activity a SET seq_scans = NULL, seq_rows_read = NULL, index_scans = NULL, "
        "index_rows_fetched = NULL, stats_reset_at = NULL FROM catalog_tables t "
        "WHERE t.id = a.table_id AND t.source_id = %s RETURNING 1",
        (sid,),
    )
    run_flushed(target, SEQ_ONLY, "SELECT count(*) FROM items")
    assert crawl_now(alice, sid)["state"] == "succeeded"
    usage = detail(alice, sid, "public", "items")["usage"]
    assert usage["seq_scans"] is not None and usage["since_last_crawl"] is None  # no growth from unknown
    run_flushed(target, SEQ_ONLY, "SELECT count(*) FROM items")
    assert crawl_now(alice, sid)["state"] == "succeeded"
    grown = detail(alice, sid, "public", "items")["usage"]["since_last_crawl"]
    assert grown["seq_scans"] == 1 and grown["counters_reset"] is False
