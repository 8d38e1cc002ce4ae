"""No silent empty crawls: a crawl that sees no tables where the catalog had
some, or cannot see a database it was told to crawl, fails with a typed
reason its owner can act on, and the catalog stays as it was."""

from __future__ import annotations

from .conftest import wait_for_crawl
from .crawl_helpers import SECRET, catalog_snapshot, crawl_now, create_mariadb_account, pg_source
from .targets import mysql_databases, mysql_execute, mysql_params, pg_database, pg_execute


def test_a_crawl_that_sees_no_tables_fails(alice, worker, catalog_url):
    with pg_database() as name:
        pg_execute(name, "CREATE TABLE a (id int); CREATE TABLE b (id int);")
        source = pg_source(alice, name)
        assert wait_for_crawl(alice, source["crawl"]["url"])["state"] == "succeeded"
        before = catalog_snapshot(catalog_url, source["id"])
        pg_execute(name, "DROP TABLE a; DROP TABLE b;")
        job = crawl_now(alice, source["id"])
        assert job["state"] == "failed" and job["error"]["type"] == "no_tables_seen", job
        assert "allow_mass_removal" in job["error"]["message"] and "2 for this source" in job["error"]["message"]
        assert catalog_snapshot(catalog_url, source["id"]) == before
        # the owner says the tables are really gone
        r = alice.post(f"/api/v1/sources/{source['id']}/crawls", json={"allow_mass_removal": True})
        job = wait_for_crawl(alice, r.get_json()["url"])
        assert job["state"] == "succeeded" and job["stats"]["removed"] == 2, job
        # an empty database crawled again: nothing to lose, nothing refused
        assert crawl_now(alice, source["id"])["state"] == "succeeded"


def test_a_mariadb_database_the_user_cannot_see_fails_the_crawl(alice, worker):
    with mysql_databases(2) as (visible, hidden):
        mysql_execute(f"CREATE TABLE `{visible}`.t (id int); CREATE TABLE `{hidden}`.secret (id int);")
        p = mysql_params()
        reader = "mc_blind_" + visible[-6:]
        create_mariadb_account(visible, reader, "SELECT, REFERENCES")
        try:
            body = {
                "name": "blind",
                "engine": "mariadb",
                "host": p["host"],
                "port": p["port"],
                "database": visible,
                "username": reader,
                "password": SECRET,
                "options": {"include_schemas": [hidden]},
            }
            r = alice.post("/api/v1/sources", json=body)
            assert r.status_code == 201, r.get_json()
            job = wait_for_crawl(alice, r.get_json()["crawl"]["url"])
            assert job["state"] == "failed" and job["error"]["type"] == "database_not_visible", job
            assert hidden in job["error"]["message"] and "grant" in job["error"]["message"].lower()
            # both: the visible one alone would hide that the other was skipped
            r = alice.patch(
                f"/api/v1/sources/{r.get_json()['id']}", json={"options": {"include_schemas": [visible, hidden]}}
            )
            job = crawl_now(alice, r.get_json()["id"])
            assert job["state"] == "failed" and job["error"]["type"] == "database_not_visible", job
        finally:
            mysql_execute("".join(f"DROP USER '{reader}'@'{h}';" for h in ("%", "localhost")))
