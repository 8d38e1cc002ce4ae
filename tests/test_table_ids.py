"""One way to address a table: /api/v1/tables/{id}, whatever its names hold;
search hits, change events and exports give that URL, and its history is
/api/v1/tables/{id}/history."""

from __future__ import annotations

import json
from urllib.parse import quote

from .conftest import wait_for_crawl
from .crawl_helpers import SECRET, crawl_now, pg_source
from .targets import mysql_databases, mysql_execute, mysql_params, pg_database, pg_execute

PG_NAMES = [("a/b", "line\nbreak"), ("public", "100%"), ("public", "history"), ("we%2Fird", "x/y/history")]


def _all_by_id(user, names, query):
    for schema, name in names:
        hits = user.get("/api/v1/search", query_string={"q": query(name), "kind": "table"}).get_json()["results"]
        [hit] = [h for h in hits if (h["schema"], h["table"]) == (schema, name)]
        assert hit["url"] == f"/api/v1/tables/{hit['table_id']}"
        r = user.get(hit["url"])
        assert r.status_code == 200, (schema, name, r.get_json())
        assert (r.get_json()["schema"], r.get_json()["name"]) == (schema, name)
        # the same document as the table's address by names (where one works: a
        # `/` in a name is why the id exists)
        assert "referenced_by" in r.get_json() and "activity" in r.get_json()
        if "/" not in schema + name:
            path = f"{quote(schema, safe='')}/{quote(name, safe='')}"
            by_names = user.get(f"/api/v1/sources/{hit['source_id']}/tables/{path}")
            assert by_names.status_code == 200 and by_names.get_json() == r.get_json()
        assert user.get(hit["url"], headers={"If-None-Match": r.headers["ETag"]}).status_code == 304


def test_postgres_names_of_every_kind_by_id(alice, bob, worker):
    with pg_database() as db:
        pg_execute(
            db,
            "".join(
                f'CREATE SCHEMA IF NOT EXISTS "{s}"; CREATE TABLE "{s}"."{n}" (id int);'
                for s, n in PG_NAMES
                if s != "public"
            )
            + 'CREATE TABLE "100%" (id int); CREATE TABLE history (id int);',
        )
        source = pg_source(alice, db)
        assert wait_for_crawl(alice, source["crawl"]["url"])["state"] == "succeeded"
        _all_by_id(alice, PG_NAMES, lambda n: n)
        hit = alice.get("/api/v1/search", query_string={"q": "history", "kind": "table"}).get_json()["results"][0]
        assert bob.get(hit["url"]).status_code == 404  # not his
        assert alice.get("/api/v1/tables/999999999").status_code == 404
        assert alice.get(f"/api/v1/tables/{2**63}").status_code == 404


def test_mariadb_names_by_id(alice, worker):
    with mysql_databases(1) as (db,):
        names = [(db, "a/b%c"), (db, "history"), (db, "sp ace")]
        mysql_execute("".join(f"CREATE TABLE `{db}`.`{n}` (id int);" for _, n in names))
        p = mysql_params()
        reader = "mc_names_" + db[-6:]
        mysql_execute(
            "".join(
                f"CREATE USER '{reader}'@'{h}' IDENTIFIED BY '{SECRET}';"
                f"GRANT SELECT, REFERENCES ON `{db}`.* TO '{reader}'@'{h}';"
                for h in ("%", "localhost")
            )
        )
        r = alice.post(
            "/api/v1/sources",
            json={
                "name": "maria names",
                "engine": "mariadb",
                "host": p["host"],
                "port": p["port"],
                "database": db,
                "username": reader,
                "password": SECRET,
            },
        )
        try:
            assert r.status_code == 201, r.get_json()
            job = wait_for_crawl(alice, r.get_json()["crawl"]["url"])
            assert job["state"] == "succeeded", job
            _all_by_id(alice, names, lambda n: n)
        finally:
            mysql_execute("".join(f"DROP USER '{reader}'@'{h}';" for h in ("%", "localhost")))


def test_change_feed_exports_and_history_address_tables_by_id(alice, bob, worker):
    """Change events, JSON/NDJSON exports and /tables/{id}/history all give the
    table's id-based URL, whatever its names hold (issue 13)."""
    names = [*PG_NAMES, ("public", "50% off\nline")]

    def ddl(sql: str) -> str:
        return "".join(sql.format(s=s.replace('"', '""'), n=n.replace('"', '""')) for s, n in names)

    with pg_database() as db:
        pg_execute(db, 'CREATE SCHEMA "a/b"; CREATE SCHEMA "we%2Fird";' + ddl('CREATE TABLE "{s}"."{n}" (id int);'))
        source = pg_source(alice, db)
        sid = source["id"]
        assert wait_for_crawl(alice, source["crawl"]["url"])["state"] == "succeeded"
        pg_execute(db, ddl('ALTER TABLE "{s}"."{n}" ADD COLUMN note text;'))
        assert crawl_now(alice, sid)["state"] == "succeeded"

        changes = alice.get(f"/api/v1/sources/{sid}/changes").get_json()["changes"]
        changed = {(e["schema"], e["table"]): e for e in changes if e["event"] == "table_changed"}
        assert set(changed) == set(names)
        for (schema, name), e in changed.items():
            assert e["url"] == f"/api/v1/tables/{e['table_id']}"
            assert e["history_url"] == f"/api/v1/tables/{e['table_id']}/history"
            t = alice.get(e["url"]).get_json()
            assert (t["schema"], t["name"], t["table_id"], t["url"]) == (schema, name, e["table_id"], e["url"])
            history = alice.get(e["history_url"])
            assert history.status_code == 200, history.get_json()
            assert [h["id"] for h in history.get_json()["changes"]] == [e["id"]]
        baseline = [e for e in changes if e["event"] == "source_crawled"]
        assert baseline and baseline[0]["table_id"] is None and baseline[0]["url"] is None

        by_names = changed
        exported = alice.get(f"/api/v1/sources/{sid}/schema/export?format=json").get_json()["tables"]
        lines = alice.get(f"/api/v1/sources/{sid}/schema/export?format=ndjson").get_data(as_text=True)
        for tables in (exported, [json.loads(line) for line in lines.splitlines()]):
            assert {(t["schema"], t["name"]): t["url"] for t in tables} == {k: e["url"] for k, e in by_names.items()}

        # a removed table: its URL is gone, its history by id stays
        pg_execute(db, 'DROP TABLE public."100%";')
        assert crawl_now(alice, sid)["state"] == "succeeded"
        gone = by_names[("public", "100%")]
        assert alice.get(gone["url"]).status_code == 404
        events = alice.get(gone["history_url"], query_string={"limit": 1}).get_json()
        assert events["changes"][0]["event"] == "table_removed" and events["next_cursor"]
        assert events["changes"][0]["url"] == gone["url"]
        rest = alice.get(gone["history_url"], query_string={"limit": 1, "cursor": events["next_cursor"]}).get_json()
        assert [e["event"] for e in rest["changes"]] == ["table_changed"]

        assert bob.get(gone["history_url"]).status_code == 404  # not his
        assert alice.get("/api/v1/tables/999999999/history").status_code == 404
        assert alice.get(f"/api/v1/tables/{2**63}/history").status_code == 404
