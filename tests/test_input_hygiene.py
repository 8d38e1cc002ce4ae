"""Every input is answered 4xx or 2xx, never 5xx: one test per case of #13."""

import json
import socket
import time
from dataclasses import replace

import jwt as pyjwt
import pytest

from .crawl_helpers import source_body

NUL, SURROGATE = "\x00", "\ud800"


def raw_json(user_or_client, url, body: str, method="post"):
    """Send `body` as is, so JSON escapes such as \\ud800 reach the server unparsed."""
    send = getattr(user_or_client, method)
    return send(url, data=body, content_type="application/json")


def field_errors(r, location="json"):
    assert r.status_code == 422, (r.status_code, r.get_json())
    return r.get_json()["errors"][location]


@pytest.mark.parametrize("field", ["name", "host", "database", "username", "password"])
def test_nul_in_a_source_field_is_422_naming_it(alice, field):
    errors = field_errors(alice.post("/api/v1/sources", json=source_body(**{field: f"a{NUL}b"})))
    assert "NUL" in errors[field][0]


@pytest.mark.parametrize("field", ["name", "database", "username", "password"])
def test_lone_surrogate_in_a_source_field_is_422_naming_it(alice, field):
    body = json.dumps(source_body(**{field: "PLACEHOLDER"})).replace("PLACEHOLDER", "a\\ud800b")
    errors = field_errors(raw_json(alice, "/api/v1/sources", body))
    assert "surrogate" in errors[field][0]


def test_nul_and_surrogate_in_schema_filters_name_the_item(alice):
    body = json.dumps(source_body(options={"include_schemas": ["ok", "PLACEHOLDER"]})).replace(
        "PLACEHOLDER", "x\\ud800"
    )
    errors = field_errors(raw_json(alice, "/api/v1/sources", body))
    assert "surrogate" in errors["options"]["include_schemas"]["1"][0]
    errors = field_errors(alice.post("/api/v1/sources", json=source_body(options={"exclude_schemas": [NUL]})))
    assert errors["options"]["exclude_schemas"]["0"]


def test_surrogate_in_a_field_name_is_refused(alice):
    body = json.dumps(source_body()).replace('"name"', '"na\\udc00me"', 1)
    r = raw_json(alice, "/api/v1/sources", body)
    assert r.status_code == 422 and "field name" in json.dumps(r.get_json()["errors"])


def test_nul_in_a_patch_is_422(alice):
    sid = alice.post("/api/v1/sources", json=source_body()).get_json()["id"]
    errors = field_errors(alice.patch(f"/api/v1/sources/{sid}", json={"database": NUL}))
    assert errors["database"]


@pytest.mark.parametrize("field", ["email", "password"])
def test_login_refuses_nul_and_surrogates(client, field):
    body = {"email": "a@example.com", "password": "some password"}
    body[field] = f"x{NUL}"
    assert field_errors(client.post("/api/v1/auth/login", json=body))[field]
    text = json.dumps({**body, field: "PLACEHOLDER"}).replace("PLACEHOLDER", "\\udfff")
    assert field_errors(raw_json(client, "/api/v1/auth/login", text))[field]


@pytest.mark.parametrize("field", ["email", "password"])
def test_register_refuses_nul_and_surrogates(client, field):
    body = {"email": "a@example.com", "password": "a long enough pass phrase"}
    body[field] = f"{body[field]}{NUL}"
    assert field_errors(client.post("/api/v1/auth/register", json=body))[field]
    text = json.dumps({**body, field: "PLACEHOLDER"}).replace("PLACEHOLDER", "\\ud800x")
    assert field_errors(raw_json(client, "/api/v1/auth/register", text))[field]


def test_nul_in_query_parameters_is_422_naming_them(alice):
    assert field_errors(alice.get("/api/v1/search?q=a%00b"), "query")["q"]
    sid = alice.post("/api/v1/sources", json=source_body()).get_json()["id"]
    assert field_errors(alice.get(f"/api/v1/sources/{sid}/schema?schema=%00"), "query")["schema"]


def test_json_nested_100000_levels_is_400_json(alice):
    r = raw_json(alice, "/api/v1/sources", "[" * 100_000 + "]" * 100_000)
    assert r.status_code == 400 and r.get_json()["code"] == 400
    assert "nested deeper" in r.get_json()["message"]


def test_json_nested_deeper_than_the_limit_is_400(alice):
    deep = {"options": {}}
    node = deep["options"]
    for _ in range(40):
        node["x"] = {}
        node = node["x"]
    r = alice.post("/api/v1/sources", json=deep)
    assert r.status_code == 400 and "nested deeper" in r.get_json()["message"]


def test_body_over_the_size_limit_is_413_json(alice):
    r = raw_json(alice, "/api/v1/sources", json.dumps(source_body(name="x" * (1024 * 1024 + 10))))
    assert r.status_code == 413 and r.get_json()["code"] == 413


def test_body_that_is_not_utf8_is_400(alice):
    r = raw_json(alice, "/api/v1/sources", b'{"name": "\xff\xfe"}')
    assert r.status_code == 400 and r.get_json()["errors"] == {"json": ["Invalid JSON body."]}


@pytest.mark.parametrize("cron", ["0 0 31 2 *", "0 0 30 2 *", "0 0 31 4 *"])
def test_impossible_cron_is_422_naming_schedule(alice, cron):
    errors = field_errors(alice.post("/api/v1/sources", json=source_body(schedule=cron)))
    assert "never runs" in errors["schedule"][0]


def test_overlong_schedule_is_422(alice):
    assert field_errors(alice.post("/api/v1/sources", json=source_body(schedule="0 " * 200)))["schedule"]


@pytest.mark.parametrize(
    "since", ["0601-10-02T11:13:17.8-17:03", "0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-14:30"]
)
def test_dates_out_of_range_are_422(alice, since):
    sid = alice.post("/api/v1/sources", json=source_body()).get_json()["id"]
    errors = field_errors(alice.get(f"/api/v1/sources/{sid}/changes", query_string={"since": since}), "query")
    assert errors["since"]


def test_redis_down_is_503_with_a_json_reason(settings, alice):
    """Login needs Redis (its limits): 503. A token's revocation is read from
    the catalog then, so the rest of the API answers."""
    from api import create_app

    down = create_app(replace(settings, redis_url="redis://127.0.0.1:1/0")).test_client()
    r = down.post("/api/v1/auth/login", json={"email": alice.email, "password": alice.password})
    assert r.status_code == 503
    assert "Redis" in r.get_json()["message"] and r.headers["Retry-After"]
    assert down.get("/api/v1/sources", headers=alice.headers).status_code == 200


@pytest.mark.parametrize("sub", ["abc", "99999999999999999999999", "-1", "0", "1e3", "١٢"])
def test_token_naming_no_account_id_is_401(client, settings, sub):
    now = int(time.time())
    claims = {"sub": sub, "type": "access", "fresh": False, "jti": "j", "iat": now, "nbf": now, "exp": now + 600}
    token = pyjwt.encode(claims, settings.jwt_secret, algorithm="HS256")
    r = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 401 and r.get_json()["code"] == 401


def test_405_has_allow_header_and_json_body(alice):
    r = alice.client.put("/api/v1/sources", headers=alice.headers)
    assert r.status_code == 405
    assert set(r.headers["Allow"].replace(" ", "").split(",")) >= {"GET", "POST"}
    assert r.get_json()["code"] == 405 and r.mimetype == "application/json"


def test_414_is_json(client):
    r = client.get("/api/v1/search?q=" + "x" * 5000)
    assert r.status_code == 414 and r.mimetype == "application/json" and r.get_json()["code"] == 414


def test_gunicorn_own_errors_are_json():
    from api.gunicorn_errors import write_json_error

    a, b = socket.socketpair()
    with a, b:
        write_json_error(a, 414, "Request Line is too large (9000 > 8190)", "")
        raw = b.recv(65536).decode()
    head, body = raw.split("\r\n\r\n", 1)
    assert head.startswith("HTTP/1.1 414 ") and "Content-Type: application/json" in head
    assert json.loads(body)["code"] == 414


@pytest.mark.parametrize("path", ["/api/v1/sources/99999999999999999999999", "/api/v1/crawls/9223372036854775808"])
def test_ids_beyond_bigint_are_404(alice, path):
    r = alice.get(path)
    assert r.status_code == 404 and r.get_json()["code"] == 404


def test_search_source_id_beyond_bigint_is_422(alice):
    assert field_errors(alice.get("/api/v1/search?q=abc&source_id=99999999999999999999"), "query")["source_id"]
