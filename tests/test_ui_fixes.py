"""Fixes from issue #25's list, as a person meets them in the web UI (Flask
test client, real catalog, real Celery worker where a crawl runs): the UI's
own 404 page on every HTML path, the favicon, only the engines this server
offers, a failed crawl shown as a failure, and Test connection through htmx
answering its result alone (the typed password stays in the form)."""

from __future__ import annotations

import re
from dataclasses import replace

from .crawl_helpers import pg_source, sqlite_file
from .targets import pg_database, pg_execute, pg_params
from .ui_helpers import crawl_done, error_of, register

SECRET = "canary-ui-fixes-7c1e"


def _is_404_page(r) -> bool:
    html = r.get_data(as_text=True)
    return (
        r.status_code == 404
        and r.mimetype == "text/html"
        and '<html lang="en">' in html
        and "<title>Not found · metacrawl</title>" in html
        and "<h1>Not found</h1>" in html
    )


def test_unknown_paths_answer_the_ui_404_page(client):
    b = register(client, "nell@example.com")
    for url in ("/no-such-page", "/sources/999999/insights", "/sources/999999/export", "/sources/new/nope"):
        r = b.get(url)
        assert _is_404_page(r), (url, r.status_code, r.get_data(as_text=True)[:200])
        assert 'href="/teams"' in r.get_data(as_text=True)  # the signed-in header, as on every page
    # signed out: the same page, without the header's links
    r = client.application.test_client().get("/no-such-page")
    assert _is_404_page(r) and 'href="/teams"' not in r.get_data(as_text=True)
    # a method a page does not take is a page too
    r = b.client.delete("/sources")
    assert r.status_code == 405 and r.mimetype == "text/html" and '<html lang="en">' in r.get_data(as_text=True)
    assert set(r.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS"}
    # the API's paths keep the API's JSON errors
    r = b.client.get("/api/v1/no-such-thing")
    assert r.status_code == 404 and r.get_json()["code"] == 404


def test_someone_elses_insights_and_export_paths_are_the_404_page(idle_app):
    owner = register(idle_app.test_client(), "olga@example.com")  # no worker: its crawl stays queued
    sid = pg_source(owner.api, "mc_ui_fixes_404")["id"]
    other = register(idle_app.test_client(), "pete@example.com")
    for url in (f"/sources/{sid}/insights", f"/sources/{sid}/export", f"/sources/{sid}/nothing-here"):
        assert _is_404_page(other.get(url)), url


def test_every_page_links_the_apps_own_favicon(client):
    html = client.get("/login").get_data(as_text=True)
    assert '<link rel="icon" href="/ui/static/favicon.svg" type="image/svg+xml">' in html
    for url in ("/ui/static/favicon.svg", "/favicon.ico"):
        r = client.get(url)
        assert r.status_code == 200 and r.mimetype == "image/svg+xml" and r.get_data(as_text=True).startswith("<svg")
    assert "favicon" in client.get("/no-such-page").get_data(as_text=True)


def test_sqlite_is_not_offered_where_the_operator_switched_it_off(settings, redis_client, files_dir):
    from api import create_app

    app = create_app(replace(settings, sqlite_dirs=()))
    b = register(app.test_client(), "quinn@example.com")
    html = b.get("/sources/new").get_data(as_text=True)
    offered = re.findall(r'<option value="(\w+)"[^>]*>', html.split('id="f-engine"', 1)[1].split("</select>", 1)[0])
    assert offered == ["postgresql", "mysql", "mariadb", "sqlalchemy"]
    # asking for its fields anyway gives the default engine's
    html = b.get("/sources/new?engine=sqlite").get_data(as_text=True)
    assert 'name="shown_engine" value="postgresql"' in html and 'name="path"' not in html
    assert 'name="path"' not in b.get("/sources/new/fields?engine=sqlite").get_data(as_text=True)
    # a form posted with it anyway: a 422 naming the engine, nothing stored
    form = {"name": "f", "engine": "sqlite", "shown_engine": "sqlite", "path": sqlite_file(files_dir)}
    for action in ("save", "test"):
        r = b.post("/sources/new", {**form, "action": action})
        assert r.status_code == 422 and "METACRAWL_SQLITE_DIRS" in error_of(r.get_data(as_text=True), "engine")
    assert b.api.get("/api/v1/sources").get_json()["sources"] == []


def test_sqlite_is_offered_where_directories_are_allowed(client):
    html = register(client, "rita@example.com").get("/sources/new").get_data(as_text=True)
    assert '<option value="sqlite">' in html


def test_a_failed_crawl_shows_its_failure_not_an_empty_progress_bar(client, worker):
    b = register(client, "sam@example.com")
    with pg_database("mc_ui_fixes_fail") as target:
        source = pg_source(b.api, target, port=1)  # nothing listens there
        html = crawl_done(client, source["crawl"]["id"])
    assert 'data-state="failed"' in html
    assert "<progress" not in html and "Tables:" not in html
    assert "The crawl failed" in html and "connection_failed" in html and "Check the host and port" in html
    page = b.get(f"/crawls/{source['crawl']['id']}").get_data(as_text=True)
    assert "<progress" not in page and "The crawl failed" in page


def test_test_connection_with_htmx_answers_the_result_alone(client):
    b = register(client, "tara@example.com")
    p = pg_params()
    with pg_database("mc_ui_fixes_probe") as target:
        pg_execute(target, "CREATE TABLE t (id int)")
        form = {
            "name": "probe",
            "engine": "postgresql",
            "shown_engine": "postgresql",
            "host": p["host"],
            "port": str(p["port"]),
            "database": target,
            "username": p["username"],
            "password": SECRET,
            "action": "test",
        }
        r = b.post("/sources/new", form, headers={"HX-Request": "true"})
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "Connected." in html
    assert "<form" not in html and 'name="password"' not in html and SECRET not in html
    # fields that keep the test from running are named in the result
    r = b.post("/sources/new", {**form, "host": "", "database": ""}, headers={"HX-Request": "true"})
    html = r.get_data(as_text=True)
    assert r.status_code == 422 and "Host: Required." in html and "Database: Required." in html
    assert "<form" not in html and SECRET not in html
    # without JavaScript the whole form comes back: blank, and saying so
    r = b.post("/sources/new", form)
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "Type the password again before saving: it is never sent back." in html
    assert 'name="password" type="password" value=""' in html and SECRET not in html
    # the form's button asks for exactly that
    page = b.get("/sources/new").get_data(as_text=True)
    assert re.search(r'value="test"[^>]*hx-post="/sources/new" hx-target="#form-probe"', page)


def test_crawl_now_is_recorded_with_trigger_ui_an_enum_of_the_api(client, idle_app):
    b = register(idle_app.test_client(), "uma@example.com")  # no worker: the crawls stay queued
    sid = pg_source(b.api, "mc_ui_fixes_trigger")["id"]
    first = b.api.get(f"/api/v1/sources/{sid}/crawls").get_json()["crawls"][0]
    assert first["trigger"] == "register"
    b.api.post(f"/api/v1/crawls/{first['id']}/cancel")
    r = b.post(f"/sources/{sid}/crawl")
    job_id = int(r.headers["Location"].rsplit("/", 1)[1])
    assert b.api.get(f"/api/v1/crawls/{job_id}").get_json()["trigger"] == "ui"
    spec = client.get("/api/v1/openapi.json").get_json()
    trigger = spec["components"]["schemas"]["Crawl"]["properties"]["trigger"]
    assert trigger["enum"] == ["register", "api", "ui", "schedule"] and "Crawl now" in trigger["description"]
