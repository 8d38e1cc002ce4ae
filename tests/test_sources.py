"""The credentials API: validation, ownership, and the password never coming back."""

import json

import psycopg2
import pytest

from .crawl_helpers import SECRET, source_body


def create(user, **overrides):
    r = user.post("/api/v1/sources", json=source_body(**overrides))
    assert r.status_code == 201, r.get_json()
    return r


def test_create_returns_source_location_and_queued_crawl(alice):
    r = create(alice, options={"sslmode": "require", "include_schemas": ["public"]}, schedule="30 3 * * *")
    body = r.get_json()
    assert r.headers["Location"].endswith(f"/api/v1/sources/{body['id']}")
    assert body["name"] == "warehouse" and body["port"] == 5432 and body["schedule"] == "30 3 * * *"
    assert body["options"] == {"sslmode": "require", "include_schemas": ["public"]}
    assert body["crawl"]["state"] == "queued" and body["crawl"]["url"] == f"/api/v1/crawls/{body['crawl']['id']}"
    assert body["next_crawl_at"].endswith("T03:30:00.000000Z")
    assert "password" not in body and SECRET not in r.get_data(as_text=True)


def test_default_schedule_is_nightly(alice):
    body = create(alice).get_json()
    assert body["schedule"] == "0 2 * * *"


def test_password_is_not_stored_in_clear(alice, catalog_url):
    create(alice)
    conn = psycopg2.connect(catalog_url.replace("postgresql+psycopg2://", "postgresql://"))
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT row_to_json(s)::text, secrets FROM sources s")
            row_json, secrets = cur.fetchone()
    finally:
        conn.close()
    assert SECRET not in row_json
    assert list(secrets) == ["password"] and SECRET not in secrets["password"]


def test_get_list_and_password_absent_everywhere(alice):
    sid = create(alice).get_json()["id"]
    for url in ("/api/v1/sources", f"/api/v1/sources/{sid}"):
        r = alice.get(url)
        assert r.status_code == 200
        assert SECRET not in r.get_data(as_text=True) and '"password"' not in r.get_data(as_text=True)
    assert [s["id"] for s in alice.get("/api/v1/sources").get_json()["sources"]] == [sid]


def test_list_is_paginated_with_cursor_and_link(alice):
    ids = [create(alice, name=f"s{i}").get_json()["id"] for i in range(5)]
    seen, url = [], "/api/v1/sources?limit=2"
    while url:
        r = alice.get(url)
        page = r.get_json()
        seen += [s["id"] for s in page["sources"]]
        url = f"/api/v1/sources?limit=2&cursor={page['next_cursor']}" if page["next_cursor"] else None
        assert ("Link" in r.headers) == bool(page["next_cursor"])
    assert seen == ids


def test_patch_changes_fields_and_password(alice, app):
    sid = create(alice).get_json()["id"]
    r = alice.patch(f"/api/v1/sources/{sid}", json={"port": 6543, "password": "new-password-123"})
    assert r.status_code == 200
    assert r.get_json()["port"] == 6543 and r.get_json()["options"] == {}
    from catalog.db import Session
    from catalog.models import Source
    from catalog.vault import Vault

    with app.app_context():
        stored = Session.get(Source, sid)
        vault = Vault(app.config["METACRAWL"].fernet_keys)
        assert vault.decrypt(stored.secrets["password"].encode()) == "new-password-123"
        assert stored.settings["port"] == 6543 and stored.settings["host"] == "db.example.com"


def test_patch_schedule_to_none(alice):
    sid = create(alice).get_json()["id"]
    body = alice.patch(f"/api/v1/sources/{sid}", json={"schedule": None}).get_json()
    assert body["schedule"] is None and body["next_crawl_at"] is None


def test_delete(alice):
    sid = create(alice).get_json()["id"]
    assert alice.delete(f"/api/v1/sources/{sid}").status_code == 204
    assert alice.get(f"/api/v1/sources/{sid}").status_code == 404


# --- bad input: each a clear 4xx naming the field, never a 500 ---


def assert_field_error(r, status, field):
    assert r.status_code == status, r.get_json()
    body = r.get_json()
    assert field in body["errors"]["json"], body
    text = r.get_data(as_text=True)
    assert "Traceback" not in text and SECRET not in text


@pytest.mark.parametrize("field", ["name", "engine", "host", "port", "database", "username", "password"])
def test_missing_field(alice, field):
    body = source_body()
    del body[field]
    assert_field_error(alice.post("/api/v1/sources", json=body), 422, field)


def test_port_as_string(alice):
    assert_field_error(alice.post("/api/v1/sources", json=source_body(port="5432")), 422, "port")


@pytest.mark.parametrize("port", [0, 70000, -1])
def test_port_out_of_range(alice, port):
    assert_field_error(alice.post("/api/v1/sources", json=source_body(port=port)), 422, "port")


def test_unknown_engine(alice):
    r = alice.post("/api/v1/sources", json=source_body(engine="oracle"))
    assert_field_error(r, 422, "engine")
    assert "postgresql" in r.get_json()["errors"]["json"]["engine"][0]


@pytest.mark.parametrize("value", ["", "x" * 10240])
def test_empty_or_huge_password(alice, value):
    r = alice.post("/api/v1/sources", json=source_body(password=value))
    assert_field_error(r, 422, "password")
    assert value[:50] not in r.get_data(as_text=True) or value == ""


@pytest.mark.parametrize("value", ["", "x" * 10240])
def test_empty_or_huge_name(alice, value):
    assert_field_error(alice.post("/api/v1/sources", json=source_body(name=value)), 422, "name")


def test_duplicate_name_for_same_user(alice, bob):
    create(alice)
    assert_field_error(alice.post("/api/v1/sources", json=source_body()), 409, "name")
    create(bob)  # another user may use the same name


def test_duplicate_name_by_patch(alice):
    create(alice, name="a")
    sid = create(alice, name="b").get_json()["id"]
    assert_field_error(alice.patch(f"/api/v1/sources/{sid}", json={"name": "a"}), 409, "name")


def test_malformed_json(alice):
    r = alice.post("/api/v1/sources", data='{"name": "x",', content_type="application/json")
    assert r.status_code == 400
    assert r.get_json()["errors"]["json"] == ["Invalid JSON body."]


def test_body_over_one_megabyte(alice):
    r = alice.post(
        "/api/v1/sources", data=json.dumps(source_body(comment="x" * (1024 * 1024))), content_type="application/json"
    )
    assert r.status_code == 413
    assert r.get_json()["code"] == 413


def test_unknown_option(alice):
    r = alice.post("/api/v1/sources", json=source_body(options={"sslmode": "require", "bogus": 1}))
    assert r.status_code == 422
    assert "bogus" in r.get_json()["errors"]["json"]["options"]


def test_bad_cron(alice):
    assert_field_error(alice.post("/api/v1/sources", json=source_body(schedule="every night")), 422, "schedule")


def test_link_local_host_refused(alice):
    assert_field_error(alice.post("/api/v1/sources", json=source_body(host="169.254.169.254")), 422, "host")


@pytest.mark.parametrize("method", ["get", "patch", "delete"])
def test_someone_elses_source_is_404(alice, bob, method):
    sid = create(alice).get_json()["id"]
    kwargs = {"json": {"name": "stolen"}} if method == "patch" else {}
    theirs = getattr(bob, method)(f"/api/v1/sources/{sid}", **kwargs)
    missing = getattr(bob, method)("/api/v1/sources/999999", **kwargs)
    assert theirs.status_code == missing.status_code == 404
    assert theirs.get_json()["message"] == f"source {sid} not found"
    assert alice.get(f"/api/v1/sources/{sid}").get_json()["name"] == "warehouse"


def test_admin_lists_everyones_sources(app, client, alice, bob):
    from api.cli import main

    from .conftest import ApiUser

    create(alice)
    create(bob)
    app.test_cli_runner().invoke(
        main, ["create-user", "--email", "admin@example.com", "--password", "admin password", "--admin"]
    )
    admin = ApiUser.__new__(ApiUser)
    admin.client = client
    admin.access = client.post(
        "/api/v1/auth/login", json={"email": "admin@example.com", "password": "admin password"}
    ).get_json()["access_token"]
    assert len(admin.get("/api/v1/sources?all=true").get_json()["sources"]) == 2
    assert len(admin.get("/api/v1/sources").get_json()["sources"]) == 0
    assert len(bob.get("/api/v1/sources?all=true").get_json()["sources"]) == 1


def test_rotate_keys_reencrypts_under_new_key(app, alice, settings, redis_client):
    from dataclasses import replace

    from cryptography.fernet import Fernet

    from api import create_app
    from api.cli import main
    from catalog.db import Session
    from catalog.models import Source
    from catalog.vault import Vault

    sid = create(alice).get_json()["id"]
    new_key = Fernet.generate_key().decode()
    rotated_app = create_app(replace(settings, fernet_keys=(new_key,) + settings.fernet_keys))
    result = rotated_app.test_cli_runner().invoke(main, ["rotate-keys"])
    assert result.exit_code == 0 and "re-encrypted 1" in result.output
    with rotated_app.app_context():
        token = Session.get(Source, sid).secrets["password"]
    assert Vault((new_key,)).decrypt(token.encode()) == SECRET  # the old key is no longer needed
