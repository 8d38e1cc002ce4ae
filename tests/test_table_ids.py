"""One way to address a table: /api/v1/tables/{id}, whatever its names hold;
search hits give that URL."""

from __future__ import annotations

from .conftest import wait_for_crawl
from .crawl_helpers import SECRET, pg_source
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
