"""Column statistics read without scanning a row, and their value lists kept
out of sight (issue #26): crawled from real PostgreSQL and MariaDB targets
after ANALYZE, read through the API and the web UI."""

from __future__ import annotations

import pytest

from catalog.column_statistics import READ_MARK
from engines import ENGINES
from engines.base import ConnectionParams, TableRef
from engines.pg_statistics import STATISTICS_SQL

from .conftest import wait_for_crawl
from .crawl_helpers import catalog_rows, crawl_now, detail, mariadb_reader, mariadb_source, pg_source
from .targets import mysql_databases, mysql_execute, pg_database, pg_execute, pg_params
from .ui_helpers import Browser

# Values no name, comment or figure of the catalog holds: if they show
# anywhere, the value lists leaked.
PLANTED = "Zephyr-Plum-Quokka-7731"
PLANTED_EMAIL = "quokka.hidden-7731@example.org"

PG_TARGET = f"""
CREATE TABLE orders (id int PRIMARY KEY, fruit text, email text, note text);
INSERT INTO orders SELECT g, CASE WHEN g % 2 = 0 THEN '{PLANTED}' ELSE 'fruit-' || g END,
       CASE WHEN g % 3 = 0 THEN '{PLANTED_EMAIL}' ELSE 'user' || g || '@example.com' END,
       CASE WHEN g % 4 = 0 THEN NULL ELSE 'n' END
FROM generate_series(1, 2000) g;
CREATE TABLE never_analyzed (id int);
"""


@pytest.fixture
def pg_target():
    with pg_database("mc_stats") as name:
        pg_execute(name, PG_TARGET)
        pg_execute(name, "ANALYZE orders")
        yield name


def _columns(doc: dict) -> dict:
    return {c["name"]: c for c in doc["columns"]}


def test_postgres_statistics_appear_after_analyze(alice, worker, pg_target):
    source = pg_source(alice, pg_target)
    assert wait_for_crawl(alice, source["crawl"]["url"])["state"] == "succeeded"
    orders = detail(alice, source["id"], "public", "orders")
    cols = _columns(orders)
    note = cols["note"]["statistics"]
    assert note["null_fraction"] == pytest.approx(0.25, abs=0.01)
    assert note["distinct_estimate"] == 1 and note["avg_width"] == 2
    assert note["correlation"] is not None and note["gathered_at"]
    ids = cols["id"]["statistics"]
    assert ids["distinct_fraction"] == pytest.approx(1.0) and ids["distinct_estimate"] == 2000
    assert orders["statistics"]["row_estimate_gathered_at"] == note["gathered_at"]
    assert orders["statistics"]["values_allowed"] is False
    # off by default: no value list at all
    assert all(c["statistics"]["most_common_values"] is None for c in cols.values())
    assert all(c["statistics"]["histogram_bounds"] is None for c in cols.values())
    never = detail(alice, source["id"], "public", "never_analyzed")
    assert [c["statistics"] for c in never["columns"]] == [None]
    assert never["statistics"]["row_estimate_gathered_at"] is None


def test_unchanged_crawls_rewrite_no_statistics_row(alice, worker, pg_target, catalog_url):
    source = pg_source(alice, pg_target)
    assert wait_for_crawl(alice, source["crawl"]["url"])["state"] == "succeeded"
    stored = (
        "SELECT s.column_name, s.xmin::text FROM catalog_column_statistics s JOIN catalog_tables t "
        "ON t.id = s.table_id WHERE t.source_id = %s AND t.name = 'orders' ORDER BY 1"
    )
    before = catalog_rows(catalog_url, stored, (source["id"],))
    # each column's row, and the table's read mark (what the next crawl compares its analyze time with)
    assert [r[0] for r in before] == [READ_MARK, "email", "fruit", "id", "note"]
    for _ in range(2):
        job = crawl_now(alice, source["id"])
        assert job["state"] == "succeeded" and job["stats"]["changed"] == 0
        assert catalog_rows(catalog_url, stored, (source["id"],)) == before
    # statistics move without DDL: a new ANALYZE rewrites them, and is no change event
    history = alice.get(f"/api/v1/sources/{source['id']}/tables/public/orders/history").get_json()["changes"]
    pg_execute(pg_target, "UPDATE orders SET note = NULL WHERE id <= 1000; ANALYZE orders")
    assert crawl_now(alice, source["id"])["stats"]["changed"] == 0
    note = _columns(detail(alice, source["id"], "public", "orders"))["note"]["statistics"]
    assert note["null_fraction"] == pytest.approx(0.625, abs=0.02)
    assert catalog_rows(catalog_url, stored, (source["id"],)) != before
    assert alice.get(f"/api/v1/sources/{source['id']}/tables/public/orders/history").get_json()["changes"] == history


def test_without_the_setting_the_value_lists_are_not_even_selected(pg_target):
    assert "most_common_vals" not in STATISTICS_SQL and "histogram_bounds" not in STATISTICS_SQL
    p = pg_params()
    with ENGINES["postgresql"](ConnectionParams(database=pg_target, **p)) as intro:
        read = intro.statistics([TableRef("public", "orders", "table")])
    cols = {s.column: s for s in read[("public", "orders")]}
    assert cols["note"].null_fraction == pytest.approx(0.25, abs=0.01)
    assert all(s.most_common_values is None and s.histogram_bounds is None for s in cols.values())


def _every_answer(user, browser, sid: int, table_id: int) -> str:
    """Every API answer and UI page about the source and the table, as one text."""
    api = [
        f"/api/v1/sources/{sid}",
        f"/api/v1/sources/{sid}/schema",
        f"/api/v1/sources/{sid}/tables/public/orders",
        f"/api/v1/tables/{table_id}",
        f"/api/v1/sources/{sid}/schema/export",
        f"/api/v1/sources/{sid}/changes",
        f"/api/v1/sources/{sid}/sensitive-columns",
        f"/api/v1/sources/{sid}/sensitive-columns?table_id={table_id}",
        f"/api/v1/search?q={PLANTED[:6]}",
        *(f"/api/v1/sources/{sid}/schema/export/{f}" for f in ("ndjson", "markdown", "dbml")),
    ]
    ui = [
        f"/sources/{sid}",
        f"/sources/{sid}/tables",
        f"/sources/{sid}/table?schema=public&name=orders",
        f"/sources/{sid}/changes",
    ]
    texts = []
    for url in api:
        r = user.client.get(url, headers=user.headers)
        assert r.status_code == 200, (url, r.status_code)
        texts.append(r.get_data(as_text=True))
    for url in ui:
        r = browser.get(url)
        assert r.status_code == 200, (url, r.status_code)
        texts.append(r.get_data(as_text=True))
    return "\n".join(texts)


def test_most_common_values_only_when_enabled_and_never_sensitive(alice, worker, pg_target, catalog_url):
    source = pg_source(alice, pg_target)
    assert wait_for_crawl(alice, source["crawl"]["url"])["state"] == "succeeded"
    sid = source["id"]
    table_id = detail(alice, sid, "public", "orders")["table_id"]
    browser = Browser(alice.client)
    assert browser.sign_in(alice.email, alice.password).status_code == 302
    stored_values = "SELECT count(*) FROM catalog_column_statistics WHERE most_common_values::text LIKE %s"

    # off (the default): absent from every answer, page and catalog row
    everything = _every_answer(alice, browser, sid, table_id)
    assert PLANTED not in everything and PLANTED_EMAIL not in everything
    assert catalog_rows(catalog_url, stored_values, (f"%{PLANTED[:10]}%",)) == [(0,)]

    # an admin turns them on: the next crawl reads them, except for the e-mail column
    r = alice.patch(f"/api/v1/sources/{sid}", json={"statistics_values": True})
    assert r.status_code == 200 and r.get_json()["statistics_values"] is True
    assert crawl_now(alice, sid)["state"] == "succeeded"
    cols = _columns(detail(alice, sid, "public", "orders"))
    assert PLANTED in cols["fruit"]["statistics"]["most_common_values"]
    assert cols["fruit"]["statistics"]["most_common_freqs"][0] == pytest.approx(0.5, abs=0.01)
    assert cols["email"]["sensitive"]["status"] == "pending"
    assert cols["email"]["statistics"]["most_common_values"] is None
    assert cols["email"]["statistics"]["histogram_bounds"] is None
    page = browser.get(f"/sources/{sid}/table?schema=public&name=orders").get_data(as_text=True)
    assert PLANTED in page
    everything = _every_answer(alice, browser, sid, table_id)
    assert PLANTED_EMAIL not in everything and "user1" not in everything  # the e-mail column's values: never read
    assert catalog_rows(catalog_url, stored_values, (f"%{PLANTED_EMAIL[:10]}%",)) == [(0,)]

    # tagged sensitive: gone at once, everywhere; forgotten by the next crawl
    assert alice.put(f"/api/v1/teams/{source['team_id']}/tags/pii", json={"colour": "#aa0000"}).status_code == 200
    r = alice.patch(f"/api/v1/tables/{table_id}/columns/fruit/curation", json={"tags": ["pii"]})
    assert r.status_code == 200, r.get_json()
    assert PLANTED not in _every_answer(alice, browser, sid, table_id)
    assert crawl_now(alice, sid)["state"] == "succeeded"
    assert catalog_rows(catalog_url, stored_values, (f"%{PLANTED[:10]}%",)) == [(0,)]
    assert PLANTED not in _every_answer(alice, browser, sid, table_id)


def test_turning_the_setting_off_hides_stored_values_at_once(alice, worker, pg_target):
    source = pg_source(alice, pg_target, statistics_values=True)
    assert wait_for_crawl(alice, source["crawl"]["url"])["state"] == "succeeded"
    sid = source["id"]
    assert PLANTED in _columns(detail(alice, sid, "public", "orders"))["fruit"]["statistics"]["most_common_values"]
    assert alice.patch(f"/api/v1/sources/{sid}", json={"statistics_values": False}).status_code == 200
    assert _columns(detail(alice, sid, "public", "orders"))["fruit"]["statistics"]["most_common_values"] is None


def test_a_bad_setting_value_is_a_422_naming_the_field(alice, pg_target):
    source = pg_source(alice, pg_target)
    r = alice.patch(f"/api/v1/sources/{source['id']}", json={"statistics_values": "maybe"})
    assert r.status_code == 422
    assert "statistics_values" in str(r.get_json())
    assert alice.get(f"/api/v1/sources/{source['id']}").get_json().get("statistics_values") is None


def test_another_users_source_is_404(alice, bob, worker, pg_target):
    source = pg_source(alice, pg_target)
    assert wait_for_crawl(alice, source["crawl"]["url"])["state"] == "succeeded"
    sid = source["id"]
    mine = alice.get(f"/api/v1/sources/{sid}/sensitive-columns").get_json()["suggestions"]
    assert mine, "the e-mail column is suggested"
    assert bob.get(f"/api/v1/sources/{sid}/sensitive-columns").status_code == 404
    assert bob.post(f"/api/v1/sources/{sid}/sensitive-columns/{mine[0]['id']}/confirm").status_code == 404
    assert bob.post(f"/api/v1/sources/{sid}/sensitive-columns/{mine[0]['id']}/dismiss").status_code == 404
    assert bob.patch(f"/api/v1/sources/{sid}", json={"statistics_values": True}).status_code == 404
    # and a suggestion of another source is not found through one's own
    other = pg_source(bob, pg_target)
    assert bob.post(f"/api/v1/sources/{other['id']}/sensitive-columns/{mine[0]['id']}/confirm").status_code == 404


@pytest.fixture
def maria_db():
    with mysql_databases(1, "mc_stats") as (db,):
        mysql_execute(
            f"""
            CREATE TABLE orders (id int PRIMARY KEY, fruit varchar(40), note varchar(10));
            INSERT INTO orders SELECT seq, IF(seq % 2 = 0, '{PLANTED}', concat('fruit-', seq)),
                                   IF(seq % 4 = 0, NULL, 'n') FROM seq_1_to_400;
            ANALYZE TABLE orders PERSISTENT FOR ALL;
            """,
            db,
        )
        yield db


def test_mariadb_statistics_after_analyze_persistent(alice, worker, maria_db):
    grant = "GRANT SELECT ON mysql.column_stats TO '{reader}'@'{h}';"
    with mariadb_reader(maria_db, extra=grant) as reader:
        source = mariadb_source(alice, maria_db, reader)
        assert wait_for_crawl(alice, source["crawl"]["url"])["state"] == "succeeded"
        cols = _columns(detail(alice, source["id"], maria_db, "orders"))
        note = cols["note"]["statistics"]
        assert note["null_fraction"] == pytest.approx(0.25, abs=0.01) and note["distinct_estimate"] == 1
        assert cols["id"]["statistics"]["distinct_fraction"] == pytest.approx(1.0)
        assert note["gathered_at"] is None and note["correlation"] is None  # MariaDB keeps neither
        assert cols["fruit"]["statistics"]["histogram_bounds"] is None  # off by default
        # on: the bounds (MariaDB's min and max) appear
        assert alice.patch(f"/api/v1/sources/{source['id']}", json={"statistics_values": True}).status_code == 200
        assert crawl_now(alice, source["id"])["state"] == "succeeded"
        bounds = _columns(detail(alice, source["id"], maria_db, "orders"))["fruit"]["statistics"]["histogram_bounds"]
        assert bounds == [PLANTED, "fruit-99"] or PLANTED in bounds


def test_mariadb_statistics_the_account_cannot_read_are_none_not_an_error(alice, worker, maria_db):
    with mariadb_reader(maria_db) as reader:  # no grant on mysql.column_stats
        source = mariadb_source(alice, maria_db, reader)
        assert wait_for_crawl(alice, source["crawl"]["url"])["state"] == "succeeded"
        cols = _columns(detail(alice, source["id"], maria_db, "orders"))
        assert [c["statistics"] for c in cols.values()] == [None, None, None]
