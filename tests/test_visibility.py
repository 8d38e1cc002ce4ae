"""What a crawl's account cannot see (issue #26): a MariaDB account with
SELECT and SHOW VIEW only is shown no routines and no triggers by
information_schema, nor column statistics without SELECT on
mysql.column_stats; the crawl says so (the crawl's status, the source
answer, the source's and the crawl's pages) instead of a silently empty
list, and a crawl by root of the same target says nothing."""

from __future__ import annotations

import uuid

import pytest

from .conftest import wait_for_crawl
from .crawl_helpers import mariadb_reader, mariadb_source
from .engine_targets import postgres_target
from .targets import mysql_databases, mysql_execute
from .ui_helpers import Browser

TARGET = """
CREATE TABLE items (id int PRIMARY KEY, touched int);
CREATE TRIGGER items_touch BEFORE UPDATE ON items FOR EACH ROW SET NEW.touched = 1;
CREATE FUNCTION add_two(a int, b int) RETURNS int DETERMINISTIC RETURN a + b;
"""


@pytest.fixture
def target():
    # markup in the database's name, which the messages name
    with mysql_databases(1, "mc_<b>visible") as (db,):
        mysql_execute(TARGET, db)
        yield db


def _get(user, url: str) -> dict:
    r = user.get(url)
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def test_a_select_only_account_is_told_what_it_cannot_see(alice, worker, target):
    with mariadb_reader(target, "SELECT, SHOW VIEW") as reader:
        source = mariadb_source(alice, target, reader)
        crawl = wait_for_crawl(alice, source["crawl"]["url"])
    assert crawl["state"] == "succeeded"
    found = {w["kind"]: w for w in crawl["warnings"]}
    assert sorted(found) == ["routines", "statistics", "triggers"]
    assert found["statistics"]["privilege"] == "SELECT ON mysql.column_stats"
    assert found["routines"]["privilege"] in ("SELECT ON mysql.proc", "SHOW ROUTINE")
    assert found["routines"]["privilege"] in found["routines"]["message"]
    assert found["triggers"]["privilege"] == "TRIGGER"
    assert f"grant TRIGGER on `{target}`.*" in found["triggers"]["message"]
    # what the catalog holds is what the account saw: nothing, said to be incomplete
    sid = source["id"]
    assert _get(alice, f"/api/v1/sources/{sid}/routines")["routines"] == []
    assert _get(alice, f"/api/v1/sources/{sid}/tables/{target}/items")["triggers"] == []
    assert _get(alice, f"/api/v1/sources/{sid}")["warnings"] == crawl["warnings"]

    browser = Browser(alice.client)
    assert browser.sign_in(alice.email, alice.password).status_code == 302
    for page in (f"/sources/{sid}", f"/crawls/{crawl['id']}"):
        html = browser.get(page).get_data(as_text=True)
        assert 'id="visibility"' in html, page
        assert "routines: this account sees only the routines it defined" in html
        escaped = target.replace("<", "&lt;").replace(">", "&gt;")
        assert f"grant TRIGGER on `{escaped}`.* to see them" in html and "<b>" not in html


def test_an_account_that_sees_everything_is_told_nothing(alice, worker, target):
    # root's own grants (the test server's root has no password, which a source must have)
    root_grants = "GRANT ALL PRIVILEGES ON *.* TO '{reader}'@'{h}' WITH GRANT OPTION;"
    with mariadb_reader(target, "ALL PRIVILEGES", root_grants) as root:
        source = mariadb_source(alice, target, root)
        crawl = wait_for_crawl(alice, source["crawl"]["url"])
    assert crawl["state"] == "succeeded" and crawl["warnings"] == []
    sid = source["id"]
    assert [x["name"] for x in _get(alice, f"/api/v1/sources/{sid}/routines")["routines"]] == ["add_two"]
    assert [x["name"] for x in _get(alice, f"/api/v1/sources/{sid}/tables/{target}/items")["triggers"]] == [
        "items_touch"
    ]
    assert _get(alice, f"/api/v1/sources/{sid}")["warnings"] == []
    browser = Browser(alice.client)
    assert browser.sign_in(alice.email, alice.password).status_code == 302
    assert 'id="visibility"' not in browser.get(f"/sources/{sid}").get_data(as_text=True)


def test_grants_that_show_them_silence_the_warnings(alice, worker, target):
    extra = "GRANT SELECT ON mysql.proc TO '{reader}'@'{h}'; GRANT SELECT ON mysql.column_stats TO '{reader}'@'{h}';"
    with mariadb_reader(target, "SELECT, SHOW VIEW, TRIGGER", extra) as reader:
        source = mariadb_source(alice, target, reader)
        crawl = wait_for_crawl(alice, source["crawl"]["url"])
    assert crawl["state"] == "succeeded" and crawl["warnings"] == []
    assert [x["name"] for x in _get(alice, f"/api/v1/sources/{source['id']}/routines")["routines"]] == ["add_two"]


def test_a_postgres_account_that_may_read_no_column_of_a_table_is_told(tmp_path):
    """pg_stats shows only the columns an account may read: a table it may
    read nothing of gets no statistics, and the crawl says so, naming it."""
    role = f"mc_nostat_{uuid.uuid4().hex[:8]}"
    with postgres_target(tmp_path) as target:
        target.create_tables(["readable", "hidden"])
        target.execute(
            f'CREATE ROLE {role} LOGIN; GRANT USAGE ON SCHEMA public TO {role}; GRANT SELECT ON "readable" TO {role};'
        )
        try:
            intro = target.intro(username=role)
            with intro:
                intro.check_visibility()
                (warning,) = intro.warnings
            assert warning.kind == "statistics" and "SELECT" in warning.privilege
            assert "1 table(s)" in warning.message and "public.hidden" in warning.message
            with target.intro() as owner:  # the owner may read every column: nothing to say
                owner.check_visibility()
                assert owner.warnings == []
        finally:
            target.execute(f"DROP OWNED BY {role}; DROP ROLE {role};")
