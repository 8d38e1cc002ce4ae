"""Renames keep a table's identity (issue #23): on PostgreSQL by its stable
ids (a table's oid, a column's attnum), on MariaDB and SQLite as a probable
rename a curator confirms or rejects. Everything asserted is what a user
sees through the API."""

from __future__ import annotations

import json
import sqlite3

from .conftest import wait_for_crawl
from .crawl_helpers import (
    crawl_now,
    detail,
    mariadb_reader,
    mariadb_source,
    pg_source,
    sqlite_file,
    wait_for_insights,
)
from .targets import mysql_databases, mysql_execute, pg_database, pg_execute

PG_BEFORE = """
CREATE SCHEMA app;
CREATE TABLE app.users (id bigint PRIMARY KEY, email text);
CREATE TABLE app.posts (id bigint PRIMARY KEY, user_id bigint, title text, body text);
CREATE TABLE app.audit (id int, note text);
CREATE TABLE app.untouched (id int PRIMARY KEY);
"""

PG_AFTER = """
ALTER TABLE app.posts RENAME TO articles;
ALTER TABLE app.articles RENAME COLUMN title TO headline;
DROP TABLE app.audit;
CREATE TABLE app.audit (id int, note text);
"""


def _changes(user, source_id, crawl_id=None) -> list[dict]:
    r = user.get(f"/api/v1/sources/{source_id}/changes?limit=1000")
    assert r.status_code == 200, r.get_json()
    rows = r.get_json()["changes"]
    return [c for c in rows if crawl_id is None or c["crawl_id"] == crawl_id]


def _renames(user, source_id, status="pending") -> list[dict]:
    r = user.get(f"/api/v1/sources/{source_id}/renames?status={status}")
    assert r.status_code == 200, r.get_json()
    return r.get_json()["renames"]


def test_postgres_rename_keeps_the_table(alice, worker):
    with pg_database("mc_renames") as db:
        pg_execute(db, PG_BEFORE)
        source = pg_source(alice, db, name="renames")
        sid = source["id"]
        first = wait_for_crawl(alice, source["crawl"]["url"])
        assert first["state"] == "succeeded"
        wait_for_insights(alice, sid, first["id"])
        posts = detail(alice, sid, "app", "posts")
        audit = detail(alice, sid, "app", "audit")
        keys = alice.get(f"/api/v1/sources/{sid}/inferred-keys?limit=100").get_json()["inferred_keys"]
        key = next(k for k in keys if (k["table"], k["column"]) == ("posts", "user_id"))
        assert alice.post(f"/api/v1/sources/{sid}/inferred-keys/{key['id']}/accept").status_code == 200

        pg_execute(db, PG_AFTER)
        second = crawl_now(alice, sid)
        assert second["state"] == "succeeded", second
        assert second["stats"]["renamed"] == 1 and second["stats"]["removed"] == 0, second["stats"]

        # the same catalog table under its new name, its first sighting kept
        articles = detail(alice, sid, "app", "articles")
        assert articles["table_id"] == posts["table_id"]
        assert articles["first_seen_at"] == posts["first_seen_at"]
        assert [c["name"] for c in articles["columns"]] == ["id", "user_id", "headline", "body"]
        assert alice.get(f"/api/v1/sources/{sid}/tables/app/posts").status_code == 404
        # dropped and created again under the same name: the same row back
        assert detail(alice, sid, "app", "audit")["table_id"] == audit["table_id"]

        events = _changes(alice, sid, second["id"])
        renamed = [e for e in events if e["event"] == "table_renamed"]
        assert len(renamed) == 1, events
        assert renamed[0]["details"] == {"from": {"schema": "app", "name": "posts"},
                                         "to": {"schema": "app", "name": "articles"}}  # fmt: skip
        assert renamed[0]["table_id"] == posts["table_id"] and renamed[0]["hazard"] == "breaking"
        assert "readers of the old name" in renamed[0]["hazard_reasons"][0]
        columns = [e for e in events if e["event"] == "column_renamed"]
        assert len(columns) == 1 and columns[0]["details"] == {"column": {"from": "title", "to": "headline"}}
        assert columns[0]["hazard"] == "breaking" and columns[0]["table"] == "articles"
        # a pure rename is no table_changed, no removal, no addition of the renamed table
        assert not [e for e in events if e["table_id"] == posts["table_id"]
                    and e["event"] not in ("table_renamed", "column_renamed")]  # fmt: skip

        # the table's history, by id, shows both renames
        history = alice.get(f"/api/v1/tables/{posts['table_id']}/history").get_json()["changes"]
        assert {e["event"] for e in history} >= {"table_renamed", "column_renamed"}

        # the schema as of the first crawl still shows the old name
        r = alice.get(f"/api/v1/sources/{sid}/diff?as_of={first['id']}")
        assert r.status_code == 200
        tables = {t["table"]: t["status"] for t in json.loads(r.get_data(as_text=True))["tables"]}
        assert tables.get("posts") == "only_in_against" and tables.get("articles") == "only_in_source", tables

        # the owner's decision on the inferred key moved with the table
        wait_for_insights(alice, sid, second["id"])
        keys = alice.get(f"/api/v1/sources/{sid}/inferred-keys?limit=100").get_json()["inferred_keys"]
        moved = [k for k in keys if (k["table"], k["column"]) == ("articles", "user_id")]
        assert len(moved) == 1 and moved[0]["decision"] == "accepted" and moved[0]["id"] == key["id"], keys
        assert not [k for k in keys if k["table"] == "posts"]

        # a recrawl with nothing changed changes nothing
        third = crawl_now(alice, sid)
        assert third["stats"]["changed"] == 0 and not _changes(alice, sid, third["id"])


MARIA = """
CREATE TABLE customers (id int PRIMARY KEY, email varchar(100));
CREATE TABLE orders (id int PRIMARY KEY, customer_id int, total decimal(10,2), KEY by_customer (customer_id));
CREATE TABLE twin_a (id int, v varchar(10));
CREATE TABLE twin_b (id int, v varchar(10));
CREATE TABLE gone (id int, w text);
"""


def test_mariadb_probable_rename_confirmed_rejected_and_ambiguous(alice, bob, worker):
    with mysql_databases(1, "mc_renames") as (db,), mariadb_reader(db) as reader:
        mysql_execute(MARIA, db)
        source = mariadb_source(alice, db, reader)
        sid = source["id"]
        assert wait_for_crawl(alice, source["crawl"]["url"])["state"] == "succeeded"
        orders = detail(alice, sid, db, "orders")
        gone = detail(alice, sid, db, "gone")
        r = alice.patch(f"/api/v1/tables/{orders['table_id']}/curation", json={"description": "What was bought"})
        assert r.status_code == 200, r.get_json()

        # one rename, two identical tables renamed (ambiguous), one more rename to reject
        mysql_execute(
            "RENAME TABLE orders TO purchases; RENAME TABLE twin_a TO twin_c, twin_b TO twin_d;"
            "RENAME TABLE gone TO kept_apart;",
            db,
        )
        second = crawl_now(alice, sid)
        assert second["state"] == "succeeded" and second["stats"]["probable_renames"] == 2, second["stats"]
        pending = {c["old"]["name"]: c for c in _renames(alice, sid)}
        assert set(pending) == {"orders", "gone"}, pending  # no candidate for the ambiguous twins
        cand = pending["orders"]
        assert cand["status"] == "pending" and cand["new"]["name"] == "purchases"
        assert cand["old"]["table_id"] == orders["table_id"]
        probable = [e for e in _changes(alice, sid, second["id"]) if e["event"] == "table_probable_rename"]
        assert len(probable) == 2 and all(e["hazard"] == "breaking" for e in probable)
        by_old = {e["details"]["from"]["name"]: e for e in probable}
        assert by_old["orders"]["details"]["candidate_id"] == cand["id"]
        assert by_old["orders"]["details"]["to"] == {"schema": db, "name": "purchases",
                                                     "table_id": cand["new"]["table_id"]}  # fmt: skip

        # another user's source and unknown candidates are 404
        assert bob.get(f"/api/v1/sources/{sid}/renames").status_code == 404
        assert bob.post(f"/api/v1/sources/{sid}/renames/{cand['id']}/confirm").status_code == 404
        assert alice.post(f"/api/v1/sources/{sid}/renames/999999999/confirm").status_code == 404
        assert alice.post(f"/api/v1/sources/{sid}/renames/999999999/reject").status_code == 404

        # confirm: the old id survives under the new name, with the new definition
        r = alice.post(f"/api/v1/sources/{sid}/renames/{cand['id']}/confirm")
        assert r.status_code == 200, r.get_json()
        body = r.get_json()
        assert body["status"] == "confirmed" and body["decided_by"] is not None and body["decided_at"]
        purchases = detail(alice, sid, db, "purchases")
        assert purchases["table_id"] == orders["table_id"]
        assert purchases["first_seen_at"] == orders["first_seen_at"]
        assert purchases["curation"]["description"] == "What was bought"  # the curation came with the table
        assert not purchases["curation"]["orphaned"]
        assert [c["name"] for c in purchases["columns"]] == ["id", "customer_id", "total"]
        assert alice.get(f"/api/v1/tables/{cand['new']['table_id']}").status_code == 404
        assert alice.get(f"/api/v1/tables/{orders['table_id']}").status_code == 200
        renamed = [e for e in _changes(alice, sid) if e["event"] == "table_renamed"]
        assert len(renamed) == 1 and renamed[0]["table_id"] == orders["table_id"]
        assert renamed[0]["details"]["from"] == {"schema": db, "name": "orders"}
        assert renamed[0]["details"]["to"] == {"schema": db, "name": "purchases"}
        assert renamed[0]["details"]["candidate_id"] == cand["id"] and renamed[0]["hazard"] == "breaking"
        history = alice.get(f"/api/v1/tables/{orders['table_id']}/history").get_json()["changes"]
        assert {"table_renamed", "table_probable_rename"} <= {e["event"] for e in history}

        # deciding twice is a conflict
        r = alice.post(f"/api/v1/sources/{sid}/renames/{cand['id']}/confirm")
        assert r.status_code == 409 and "already confirmed" in r.get_json()["message"]
        assert alice.post(f"/api/v1/sources/{sid}/renames/{cand['id']}/reject").status_code == 409

        # reject: the two stay apart
        other = pending["gone"]
        r = alice.post(f"/api/v1/sources/{sid}/renames/{other['id']}/reject")
        assert r.status_code == 200 and r.get_json()["status"] == "rejected"
        assert detail(alice, sid, db, "kept_apart")["table_id"] == other["new"]["table_id"] != gone["table_id"]
        assert alice.post(f"/api/v1/sources/{sid}/renames/{other['id']}/confirm").status_code == 409
        assert _renames(alice, sid) == []
        assert {c["status"] for c in _renames(alice, sid, "all")} == {"confirmed", "rejected"}

        # the next crawl sees the merged table as unchanged
        third = crawl_now(alice, sid)
        assert third["state"] == "succeeded" and third["stats"]["added"] == 0 and third["stats"]["removed"] == 0
        assert detail(alice, sid, db, "purchases")["table_id"] == orders["table_id"]


def test_sqlite_probable_rename(alice, worker, files_dir):
    path = sqlite_file(files_dir)
    r = alice.post("/api/v1/sources", json={"name": "lite", "engine": "sqlite", "path": path})
    assert r.status_code == 201, r.get_json()
    source = r.get_json()
    sid = source["id"]
    assert wait_for_crawl(alice, source["crawl"]["url"])["state"] == "succeeded"
    customers = detail(alice, sid, "main", "customers")
    conn = sqlite3.connect(path)
    conn.execute("ALTER TABLE customers RENAME TO clients")
    conn.commit()
    conn.close()
    assert crawl_now(alice, sid)["state"] == "succeeded"
    (cand,) = _renames(alice, sid)
    assert (cand["old"]["name"], cand["new"]["name"]) == ("customers", "clients")
    assert alice.post(f"/api/v1/sources/{sid}/renames/{cand['id']}/confirm").status_code == 200
    assert detail(alice, sid, "main", "clients")["table_id"] == customers["table_id"]


def test_curation_and_history_follow_postgres_renames(alice, worker):
    """The issue's walk-through: describe and tag a table and two columns,
    rename the table and one column, drop and re-create another table,
    recrawl: the curation follows the renames, the re-created table gets its
    curation back, the feed says renamed once per rename, and search by tag
    finds the renamed table under its new name."""
    with pg_database("mc_renames_curated") as db:
        pg_execute(db, PG_BEFORE)
        source = pg_source(alice, db, name="curated renames")
        sid, team = source["id"], source["team_id"]
        assert wait_for_crawl(alice, source["crawl"]["url"])["state"] == "succeeded"
        for tag, colour in (("pii", "#b00020"), ("content", "#1f4e79")):
            assert alice.put(f"/api/v1/teams/{team}/tags/{tag}", json={"colour": colour}).status_code == 200
        posts, audit = detail(alice, sid, "app", "posts"), detail(alice, sid, "app", "audit")
        posts_url, audit_url = f"/api/v1/tables/{posts['table_id']}", f"/api/v1/tables/{audit['table_id']}"
        curate = {
            f"{posts_url}/curation": {"description": "What people **wrote**", "tags": ["content"]},
            f"{posts_url}/columns/title/curation": {"description": "The headline"},
            f"{posts_url}/columns/user_id/curation": {"tags": ["pii"]},
            f"{audit_url}/curation": {"description": "Kept for the auditors", "owners": ["alice@example.com"]},
        }
        for url, body in curate.items():
            r = alice.patch(url, json=body)
            assert r.status_code == 200, (url, r.get_json())

        pg_execute(db, PG_AFTER)
        second = crawl_now(alice, sid)
        assert second["state"] == "succeeded", second

        articles = detail(alice, sid, "app", "articles")
        assert articles["table_id"] == posts["table_id"]
        assert articles["curation"]["description"] == "What people **wrote**"
        assert [t["name"] for t in articles["curation"]["tags"]] == ["content"]
        columns = {c["name"]: c for c in articles["columns"]}
        assert columns["headline"]["curation"]["description"] == "The headline"
        assert not columns["headline"]["curation"]["orphaned"]
        assert [t["name"] for t in columns["user_id"]["curation"]["tags"]] == ["pii"]
        r = alice.get(f"/api/v1/tables/{posts['table_id']}/columns/headline/curation")
        assert r.status_code == 200 and r.get_json()["description"] == "The headline"
        history = alice.get(f"/api/v1/tables/{posts['table_id']}/columns/headline/curation/history").get_json()
        assert [h["field"] for h in history["changes"]] == ["description"], history

        # dropped and created again: the same table, its curation back and not orphaned
        recreated = alice.get(f"/api/v1/tables/{audit['table_id']}/curation").get_json()
        assert recreated["description"] == "Kept for the auditors" and not recreated["orphaned"]
        assert [o["name"] for o in recreated["owners"]] == ["alice@example.com"]

        events = _changes(alice, sid, second["id"])
        assert [e["event"] for e in events].count("table_renamed") == 1
        assert [e["event"] for e in events].count("column_renamed") == 1

        hits = alice.get("/api/v1/search", query_string={"q": "tag:content"}).get_json()["results"]
        assert [(h["schema"], h["table"]) for h in hits if h.get("column") is None] == [("app", "articles")]
        hits = alice.get("/api/v1/search", query_string={"q": "tag:pii"}).get_json()["results"]
        assert [(h["table"], h["column"]) for h in hits] == [("articles", "user_id")]
