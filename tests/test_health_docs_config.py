"""Health checks, the docs page, and configuration."""

from dataclasses import replace

import pytest

from catalog.settings import ConfigError, from_env


def test_healthz(client):
    assert client.get("/healthz").get_json() == {"status": "ok"}


def test_readyz_ok(client):
    r = client.get("/readyz")
    assert r.status_code == 200 and r.get_json()["checks"] == {"catalog": "ok", "redis": "ok"}


def test_readyz_names_the_part_that_is_down(settings, redis_client):
    from api import create_app

    app = create_app(replace(settings, redis_url="redis://127.0.0.1:1/0"))
    r = app.test_client().get("/readyz")
    assert r.status_code == 503
    assert r.get_json()["checks"]["catalog"] == "ok"
    assert r.get_json()["checks"]["redis"].startswith("unreachable")


def test_readyz_catalog_down(settings, redis_client):
    from api import create_app

    app = create_app(replace(settings, catalog_url="postgresql+psycopg2://postgres@127.0.0.1:1/none"))
    r = app.test_client().get("/readyz")
    assert r.status_code == 503 and r.get_json()["checks"]["catalog"].startswith("unreachable")


def test_openapi_lists_every_endpoint(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    paths = spec["paths"]
    for path in (
        "/api/v1/auth/register",
        "/api/v1/auth/login",
        "/api/v1/auth/refresh",
        "/api/v1/auth/logout",
        "/api/v1/sources",
        "/api/v1/sources/{source_id}",
        "/api/v1/sources/{source_id}/crawls",
        "/api/v1/crawls/{job_id}",
    ):
        assert path in paths, path
    assert paths["/api/v1/sources"]["post"]["security"] == [{"bearerAuth": []}]
    assert "401" in paths["/api/v1/sources"]["post"]["responses"]
    assert (
        "password" not in spec["components"]["schemas"]["Source"].get("required", [])
        or spec["components"]["schemas"]["Source"]["properties"]["password"]["writeOnly"]
    )


def test_docs_page_renders_from_local_assets(client):
    page = client.get("/docs")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    init = client.get("/docs/init.js").get_data(as_text=True)
    assert "/api/v1/openapi.json" in init and "http" not in (html + init).replace("/api/v1", "")
    assert client.get("/docs/static/swagger-ui-bundle.js").status_code == 200
    assert client.get("/docs/static/swagger-ui.css").status_code == 200


def test_unknown_route_is_json_404(client):
    r = client.get("/api/v1/nope")
    assert r.status_code == 404 and r.get_json()["code"] == 404


def test_production_refuses_development_secrets():
    with pytest.raises(ConfigError) as e:
        from_env({"METACRAWL_ENV": "production"})
    assert "METACRAWL_JWT_SECRET" in str(e.value) and "METACRAWL_FERNET_KEYS" in str(e.value)


def test_production_with_real_secrets_starts():
    s = from_env(
        {
            "METACRAWL_ENV": "production",
            "METACRAWL_JWT_SECRET": "x" * 40,
            "METACRAWL_FERNET_KEYS": "ZmRmZGZkZmRmZGZkZmRmZGZkZmRmZGZkZmRmZGZkZmQ=",
            "METACRAWL_FLOWER_PASSWORD": "flower-secret",
        }
    )
    assert s.production and not s.allow_loopback_targets and not s.allow_private_targets


def test_settings_from_environment():
    s = from_env(
        {
            "METACRAWL_CATALOG_URL": "postgresql://u@h:5/db",
            "PORT": "9000",
            "METACRAWL_BATCH_SIZE": "50",
            "METACRAWL_FERNET_KEYS": "a, b",
        }
    )
    assert s.catalog_url == "postgresql+psycopg2://u@h:5/db" and s.port == 9000 and s.batch_size == 50
    assert s.fernet_keys == ("a", "b")


def test_bad_number_in_environment():
    with pytest.raises(ConfigError, match="METACRAWL_BATCH_SIZE"):
        from_env({"METACRAWL_BATCH_SIZE": "many"})


def test_settings_repr_hides_secrets():
    s = from_env({"METACRAWL_JWT_SECRET": "very-secret-value-abcdefghijklmnopqrstuvwxyz"})
    assert "very-secret" not in repr(s)


def assert_locked_down(r, csp: str) -> None:
    """The security headers every answer carries, the UI's pages' and the API's alike."""
    assert r.headers["Content-Security-Policy"] == csp
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["X-Frame-Options"] == "DENY"
    assert r.headers["Referrer-Policy"] == "same-origin"


NOTHING = "default-src 'none'; frame-ancestors 'none'"


def test_docs_page_has_the_pages_security_headers(client):
    r = client.get("/docs")
    csp = r.headers["Content-Security-Policy"]
    assert_locked_down(r, csp)
    assert "script-src 'self';" in csp and "unsafe-eval" not in csp and "frame-ancestors 'none'" in csp
    assert "<script>" not in r.get_data(as_text=True)  # no inline script: the CSP would refuse it


def test_docs_keeps_no_token_in_local_storage(client):
    html = client.get("/docs").get_data(as_text=True)
    script = client.get("/docs/init.js")
    assert script.status_code == 200 and script.mimetype == "text/javascript"
    assert "/docs/init.js" in html and "persistAuthorization: false" in script.get_data(as_text=True)


@pytest.mark.parametrize(
    "path", ["/api/v1/openapi.json", "/healthz", "/metrics", "/api/v1/nope", "/api/v1/sources"], ids=str
)
def test_non_page_answers_have_the_security_headers(client, path):
    assert_locked_down(client.get(path), NOTHING)


def test_json_api_answer_has_the_security_headers(alice):
    r = alice.get("/api/v1/auth/me")
    assert r.status_code == 200
    assert_locked_down(r, NOTHING)
