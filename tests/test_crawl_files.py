"""File-based sources end to end (API → a real Celery worker → the file →
catalog → reads, search, recrawl), and the server-side checks on their
paths and URLs: at registration (422 naming the field) and at crawl time."""

from __future__ import annotations

import os
import sqlite3
import uuid
from dataclasses import replace

from .conftest import ApiUser, wait_for_crawl
from .crawl_helpers import SQLITE_SCHEMA, sqlite_file
from .engine_helpers import require_duckdb_reflection


def register(user: ApiUser, body: dict) -> dict:
    r = user.post("/api/v1/sources", json={"name": f"file {uuid.uuid4().hex[:6]}", **body})
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def crawl_now(user, source_id) -> dict:
    r = user.post(f"/api/v1/sources/{source_id}/crawls")
    assert r.status_code == 202, r.get_json()
    return wait_for_crawl(user, r.get_json()["url"])


def check_crawl_read_search_recrawl(alice, source: dict, alter) -> None:
    job = wait_for_crawl(alice, source["crawl"]["url"])
    assert job["state"] == "succeeded", job
    assert job["stats"] == {"added": 3, "changed": 0, "removed": 0, "unchanged": 0, "with_warnings": 0}
    schema = alice.get(f"/api/v1/sources/{source['id']}/schema").get_json()
    tables = {t["name"]: t for t in schema["tables"]}
    assert {(t["schema"], t["kind"]) for t in schema["tables"]} == {("main", "table"), ("main", "view")}
    assert sorted(tables) == ["big_orders", "customers", "orders"]
    assert [c["name"] for c in tables["orders"]["columns"]] == ["id", "customer_id", "total"]
    assert tables["orders"]["primary_key"]["columns"] == ["id"]
    [fk] = tables["orders"]["foreign_keys"]
    assert (fk["referenced_table"], fk["referenced_columns"]) == ("customers", ["id"])
    one = alice.get(f"/api/v1/sources/{source['id']}/tables/main/customers")
    assert one.status_code == 200 and one.get_json()["name"] == "customers"
    hits = alice.get(f"/api/v1/search?q=customer_email&source_id={source['id']}").get_json()["results"]
    assert [(h["kind"], h["table"], h["column"]) for h in hits][0] == ("column", "customers", "customer_email")

    alter()
    job = crawl_now(alice, source["id"])
    assert job["state"] == "succeeded", job
    assert job["stats"] == {"added": 1, "changed": 1, "removed": 1, "unchanged": 1, "with_warnings": 0}
    names = {t["name"] for t in alice.get(f"/api/v1/sources/{source['id']}/schema").get_json()["tables"]}
    assert names == {"customers", "orders", "refunds"}


def sqlite_alter(path: str):
    def alter():
        conn = sqlite3.connect(path)
        conn.executescript(
            "ALTER TABLE customers ADD COLUMN phone TEXT; DROP VIEW big_orders; CREATE TABLE refunds (id INTEGER);"
        )
        conn.close()

    return alter


def test_sqlite_source_crawls_reads_searches_and_recrawls(alice, worker, files_dir):
    path = sqlite_file(files_dir)
    source = register(alice, {"engine": "sqlite", "path": path})
    assert source["path"] == path and "host" not in source
    check_crawl_read_search_recrawl(alice, source, sqlite_alter(path))


def test_generic_engine_on_sqlite_crawls_reads_searches_and_recrawls(alice, worker, files_dir):
    path = sqlite_file(files_dir)
    source = register(alice, {"engine": "sqlalchemy", "url": f"sqlite:///{path}"})
    assert source["url"] == f"sqlite:///{path}" and source["options"] == {}
    check_crawl_read_search_recrawl(alice, source, sqlite_alter(path))


def test_generic_engine_on_duckdb_crawls_reads_searches_and_recrawls(alice, worker, files_dir):
    require_duckdb_reflection()
    import duckdb

    path = os.path.join(files_dir, f"shop_{uuid.uuid4().hex[:8]}.duckdb")
    conn = duckdb.connect(path)
    conn.execute(SQLITE_SCHEMA.replace("INTEGER PRIMARY KEY", "INTEGER PRIMARY KEY").replace("REAL", "DOUBLE"))
    conn.close()

    def alter():
        c = duckdb.connect(path)
        c.execute("ALTER TABLE customers ADD COLUMN phone TEXT; DROP VIEW big_orders; CREATE TABLE refunds (id INT)")
        c.close()

    source = register(alice, {"engine": "sqlalchemy", "url": f"duckdb:///{path}"})
    check_crawl_read_search_recrawl(alice, source, alter)


# --- refused at registration, each a 422 naming the field ---------------------------------


def field_error(r, field: str) -> str:
    assert r.status_code == 422, r.get_json()
    body = r.get_json()
    assert field in body["errors"]["json"], body
    return body["errors"]["json"][field][0]


def test_sqlite_paths_refused(alice, files_dir, tmp_path):
    outside = sqlite_file(tmp_path)
    message = field_error(
        alice.post("/api/v1/sources", json={"name": "x", "engine": "sqlite", "path": outside}), "path"
    )
    assert "outside the directories" in message
    link = os.path.join(files_dir, f"link_{uuid.uuid4().hex[:6]}.db")
    os.symlink(outside, link)
    message = field_error(alice.post("/api/v1/sources", json={"name": "x", "engine": "sqlite", "path": link}), "path")
    assert "symbolic link leading outside" in message
    text = os.path.join(files_dir, "notes.txt")
    with open(text, "w") as f:
        f.write("not a database at all, but long enough to have a header")
    message = field_error(alice.post("/api/v1/sources", json={"name": "x", "engine": "sqlite", "path": text}), "path")
    assert "is not an SQLite database" in message
    missing = os.path.join(files_dir, "nothing_here.db")
    assert "no such file" in field_error(
        alice.post("/api/v1/sources", json={"name": "x", "engine": "sqlite", "path": missing}), "path"
    )
    field_error(alice.post("/api/v1/sources", json={"name": "x", "engine": "sqlite", "path": "relative.db"}), "path")
    field_error(alice.post("/api/v1/sources", json={"name": "x", "engine": "sqlite"}), "path")
    r = alice.post("/api/v1/sources", json={"name": "x", "engine": "sqlite", "path": outside, "host": "h"})
    assert field_error(r, "host") == "Unknown field."


def test_sqlite_is_off_without_allowed_directories(settings, redis_client, files_dir):
    from api import create_app

    app = create_app(replace(settings, sqlite_dirs=()))
    user = ApiUser(app.test_client(), "carol@example.com")
    r = user.post("/api/v1/sources", json={"name": "x", "engine": "sqlite", "path": sqlite_file(files_dir)})
    assert "METACRAWL_SQLITE_DIRS" in field_error(r, "engine")


def test_generic_urls_refused(alice, worker, files_dir, tmp_path):
    def post(url, **extra):
        return alice.post("/api/v1/sources", json={"name": "x", "engine": "sqlalchemy", "url": url, **extra})

    assert "must not contain a password" in field_error(post("postgresql://u:hunter2@db.example/app"), "url")
    assert "hunter2" not in post("postgresql://u:hunter2@db.example/app").get_data(as_text=True)
    assert "no SQLAlchemy dialect" in field_error(post("nosuchdialect://db.example/app"), "url")
    assert "not a SQLAlchemy URL" in field_error(post("::::"), "url")
    assert "link-local" in field_error(post("postgresql+psycopg2://u@169.254.169.254/app"), "url")
    assert "outside the directories" in field_error(post(f"sqlite:///{sqlite_file(tmp_path)}"), "url")
    assert "absolute path" in field_error(post("sqlite://"), "url")
    ok = post(f"sqlite:///{sqlite_file(files_dir)}", password="kept-secret-1")
    assert ok.status_code == 201 and "kept-secret-1" not in ok.get_data(as_text=True)
    wait_for_crawl(alice, ok.get_json()["crawl"]["url"])  # (a worker may be running: let it finish)


def test_path_rechecked_at_crawl_time(alice, worker, files_dir, tmp_path):
    path = sqlite_file(files_dir)
    source = register(alice, {"engine": "sqlite", "path": path})
    assert wait_for_crawl(alice, source["crawl"]["url"])["state"] == "succeeded"
    os.remove(path)
    os.symlink(sqlite_file(tmp_path), path)  # now leads outside the allowed directories
    job = crawl_now(alice, source["id"])
    assert job["state"] == "failed" and job["error"]["type"] == "settings_refused", job
    assert "symbolic link leading outside" in job["error"]["message"]


def test_patch_keeps_engine_settings_and_secrets(alice, worker, files_dir, app):
    path = sqlite_file(files_dir)
    source = register(alice, {"engine": "sqlalchemy", "url": f"sqlite:///{path}", "password": "first-secret-9"})
    wait_for_crawl(alice, source["crawl"]["url"])
    other = sqlite_file(files_dir)
    r = alice.patch(f"/api/v1/sources/{source['id']}", json={"url": f"sqlite:///{other}"})
    assert r.status_code == 200 and r.get_json()["url"] == f"sqlite:///{other}", r.get_json()
    r = alice.patch(f"/api/v1/sources/{source['id']}", json={"url": "postgresql://u:pw@db.example/x"})
    field_error(r, "url")
    from catalog.db import Session
    from catalog.models import Source

    with app.app_context():
        assert list(Session.get(Source, source["id"]).secrets) == ["password"]  # kept through the PATCH
    r = alice.patch(f"/api/v1/sources/{source['id']}", json={"engine": "sqlite", "path": other})
    assert r.status_code == 200 and r.get_json()["path"] == other and "url" not in r.get_json()
    with app.app_context():
        Session.expire_all()
        assert Session.get(Source, source["id"]).secrets == {}  # sqlite has no secrets
