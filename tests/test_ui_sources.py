"""The source forms of the web UI on the engine contract (Flask test client,
real catalog, real Celery worker): each engine's fields come from its
settings schema, a refused setting is shown next to its field, a secret is
write-only (blank on edit keeps the stored one, which the crawl and the
connection test then use), and test connection works for every engine, in
the UI and through the API, without a secret in any answer."""

from __future__ import annotations

import re

import pytest

from engines import ENGINES

from .crawl_helpers import sqlite_file
from .targets import mysql_databases, mysql_execute, mysql_params
from .ui_helpers import Browser, crawl_done, error_of, register

SECRET = "canary-ui-engines-3d81"  # a password that must never appear in an answer


def settings_names(engine: str) -> dict[str, bool]:
    """The input names an engine's form must show, each with whether it is secret."""
    import marshmallow as ma

    out: dict[str, bool] = {}

    def walk(fields):
        for name, field in fields.items():
            if isinstance(field, ma.fields.Nested):
                walk(field.nested._declared_fields)
            else:
                out[name] = bool(field.metadata.get("secret"))

    walk(ENGINES[engine].settings_schema._declared_fields)
    return out


def job_of(r) -> int:
    assert r.status_code == 303, r.get_data(as_text=True)
    return int(r.headers["Location"].rsplit("/", 1)[1])


def test_the_form_shows_the_fields_of_the_chosen_engine(client):
    b = register(client, "hana@example.com")
    every = {n for e in ENGINES for n in settings_names(e)}
    for engine in ENGINES:
        names = settings_names(engine)
        for url in (f"/sources/new?engine={engine}", f"/sources/new/fields?engine={engine}"):
            html = b.get(url).get_data(as_text=True)
            for name, secret in names.items():
                assert f'name="{name}"' in html, (engine, name)
                if secret:
                    assert f'name="{name}" type="password" value=""' in html, (engine, name)
            for name in every - set(names):
                assert f'name="{name}"' not in html, (engine, name)
            assert f'name="shown_engine" value="{engine}"' in html
        assert f'<option value="{engine}" selected>' in b.get(f"/sources/new?engine={engine}").get_data(as_text=True)
    html = b.get("/sources/new").get_data(as_text=True)  # PostgreSQL first, its usual port, TLS modes
    assert 'name="port" type="text" value="5432"' in html and '<option value="verify-full">' in html
    assert 'hx-get="/sources/new/fields"' in html
    # Without JavaScript: another engine chosen and the form sent brings that engine's fields, keeping the name
    r = b.post("/sources/new", {"name": "files", "engine": "sqlite", "shown_engine": "postgresql", "host": "db"})
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "Fill in the fields of SQLite" in html
    assert 'name="path"' in html and 'name="host"' not in html and 'value="files"' in html
    assert "/crawls/" not in r.headers.get("Location", "")


def test_add_a_sqlite_source_through_the_form(client, worker, files_dir, tmp_path):
    b = register(client, "ida@example.com")
    form = {"name": "shop file", "engine": "sqlite", "shown_engine": "sqlite", "schedule": ""}
    # refused paths: the message next to the field
    outside = sqlite_file(tmp_path)
    r = b.post("/sources/new", {**form, "path": outside})
    assert r.status_code == 422 and "outside the directories this server may read" in error_of(r.text, "path")
    r = b.post("/sources/new", {**form, "path": "shop.db"})
    assert "must be an absolute path" in error_of(r.text, "path")
    r = b.post("/sources/new", form)
    assert error_of(r.text, "path") == "Required."
    r = b.post("/sources/new", {**form, "path": outside, "action": "test"})
    assert r.status_code == 422 and "outside the directories" in error_of(r.text, "path")
    # the generic engine: a URL holding a password is refused, and the page does not repeat the password
    r = b.post(
        "/sources/new",
        {**form, "engine": "sqlalchemy", "shown_engine": "sqlalchemy", "url": f"postgresql://u:{SECRET}@db/x"},
    )
    assert "must not contain a password" in error_of(r.text, "url") and SECRET not in r.text
    # test, then add: the crawl reads the file
    path = sqlite_file(files_dir)
    r = b.post("/sources/new", {**form, "path": path, "action": "test"})
    assert r.status_code == 200 and "Connected." in r.text
    job_id = job_of(b.post("/sources/new", {**form, "path": path}))
    html = crawl_done(client, job_id)
    assert 'data-state="succeeded"' in html, html
    sid = int(re.search(r'href="/sources/(\d+)/tables"', html).group(1))
    assert path in b.get(f"/sources/{sid}").text and "shop file" in b.get("/sources").text
    tables = b.get(f"/sources/{sid}/tables?schema=main").text
    assert "customers" in tables and "big_orders" in tables
    # the edit form shows the stored path; a refused one is refused there too, and nothing changes
    edit = b.get(f"/sources/{sid}/edit").text
    assert f'name="path" type="text" value="{path}"' in edit
    r = b.post(f"/sources/{sid}/edit", {**form, "path": outside})
    assert r.status_code == 422 and "outside the directories" in error_of(r.text, "path")
    assert b.api.get(f"/api/v1/sources/{sid}").get_json()["path"] == path


def test_api_test_connection_for_file_engines(client, files_dir, tmp_path):
    b = register(client, "jo@example.com")
    path = sqlite_file(files_dir)
    for body in ({"engine": "sqlite", "path": path}, {"engine": "sqlalchemy", "url": f"sqlite:///{path}"}):
        r = b.api.post("/api/v1/sources/test-connection", json=body)
        assert r.status_code == 200 and r.get_json()["ok"] is True, r.get_json()
    body = b.api.post("/api/v1/sources/test-connection", json={"engine": "sqlite", "path": sqlite_file(tmp_path)})
    assert body.get_json()["error"]["type"] == "settings_refused"
    r = b.api.post("/api/v1/sources/test-connection", json={"engine": "sqlite"})
    assert r.status_code == 422 and "path" in r.get_json()["errors"]["json"]
    r = b.api.post("/api/v1/sources/test-connection", json={"engine": "sqlite", "path": path, "host": "db"})
    assert r.status_code == 422  # a field the engine does not take


@pytest.fixture
def mariadb_reader():
    """A MariaDB database and a user who reads it with a real password."""
    user = "mc_ui_reader"
    with mysql_databases(1, prefix="mc_ui") as (db,):
        mysql_execute(
            "CREATE TABLE items (id int PRIMARY KEY, label varchar(20));"
            f"CREATE USER IF NOT EXISTS '{user}'@'%' IDENTIFIED BY '{SECRET}';"
            f"CREATE USER IF NOT EXISTS '{user}'@'localhost' IDENTIFIED BY '{SECRET}';"
            f"GRANT SELECT, REFERENCES ON `{db}`.* TO '{user}'@'%';"
            f"GRANT SELECT, REFERENCES ON `{db}`.* TO '{user}'@'localhost';",
            database=db,
        )
        try:
            yield db, user
        finally:
            mysql_execute(f"DROP USER IF EXISTS '{user}'@'%'; DROP USER IF EXISTS '{user}'@'localhost';")


def test_edit_with_a_blank_password_keeps_the_stored_one(client, worker, mariadb_reader):
    db, user = mariadb_reader
    p = mysql_params()
    b = register(client, "kim@example.com")
    form = {
        "name": "shop db",
        "engine": "mariadb",
        "shown_engine": "mariadb",
        "host": p["host"],
        "port": str(p["port"]),
        "database": db,
        "username": user,
        "password": SECRET,
        "schedule": "",
    }
    assert "Connected." in b.post("/sources/new", {**form, "action": "test"}).text
    html = crawl_done(client, job_of(b.post("/sources/new", form)))
    assert 'data-state="succeeded"' in html, html
    sid = int(re.search(r'href="/sources/(\d+)/tables"', html).group(1))
    edit = b.get(f"/sources/{sid}/edit").text
    assert 'name="password" type="password" value=""' in edit and "Leave blank to keep the stored one" in edit
    assert 'name="include_schemas" type="text" value=""' in edit
    # the fields htmx swaps in when the select changes: the stored values for the stored engine only
    fields = b.get(f"/sources/{sid}/edit/fields?engine=mariadb").text
    assert f'value="{db}"' in fields and "Leave blank to keep the stored one" in fields and SECRET not in fields
    fields = b.get(f"/sources/{sid}/edit/fields?engine=postgresql").text
    assert f'value="{db}"' not in fields and "Leave blank" not in fields
    # a blank password: the stored one is used, to test and to save
    blank = {**form, "password": "", "include_schemas": db}
    assert "Connected." in b.post(f"/sources/{sid}/edit", {**blank, "action": "test"}).text
    r = b.post(f"/sources/{sid}/edit", {**blank, "action": "test", "password": "not-the-password"})
    assert "authentication_failed" in r.text and "not-the-password" not in r.text
    assert b.post(f"/sources/{sid}/edit", blank).status_code == 303
    assert b.api.get(f"/api/v1/sources/{sid}").get_json()["options"]["include_schemas"] == [db]
    r = b.post(f"/sources/{sid}/crawl")
    html = crawl_done(client, job_of(r))
    assert 'data-state="succeeded"' in html, html  # the crawl logged in with the stored password
    assert b.api.get(f"/api/v1/crawls/{job_of(r)}").get_json()["trigger"] == "ui"  # Crawl now, not the API
    # the API's connection test of a stored source: its secrets unless others are sent
    test = f"/api/v1/sources/{sid}/test-connection"
    assert b.api.post(test).get_json()["ok"] is True
    assert b.api.post(test, json={"options": {"include_schemas": [db]}}).get_json()["ok"] is True
    wrong = b.api.post(test, json={"password": "not-the-password"})
    assert wrong.get_json()["error"]["type"] == "authentication_failed" and "not-the-password" not in wrong.text
    assert b.api.post(test, json={"port": 1}).get_json()["error"]["type"] == "connection_failed"
    # another engine starts afresh: the stored password is not carried over
    r = b.api.post(test, json={"engine": "sqlalchemy", "url": f"mysql+pymysql://{user}@{p['host']}:{p['port']}/{db}"})
    assert r.get_json()["error"]["type"] == "authentication_failed", r.get_json()
    # and a form that changes the engine asks for the new engine's secret again
    r = b.post(f"/sources/{sid}/edit", {**blank, "engine": "postgresql", "shown_engine": "postgresql"})
    assert error_of(r.text, "password") == "Required."
    assert all(SECRET not in page for page in b.pages)
    assert isinstance(b, Browser)
