"""Accounts (#13): login limits, password strength, revocations that survive
Redis, the environment name, and the schedule interval."""

from dataclasses import replace

import pytest

from catalog.passwords import WeakPassword, check_password
from catalog.settings import ConfigError, from_env

from .conftest import ApiUser
from .crawl_helpers import source_body
from .ui_helpers import Browser


def login(client, email, password):
    return client.post("/api/v1/auth/login", json={"email": email, "password": password})


@pytest.fixture
def limited_app(settings, redis_client):
    from api import create_app

    for key in redis_client.scan_iter("metacrawl:login:*"):
        redis_client.delete(key)
    app = create_app(replace(settings, login_attempts_per_account=3, login_attempts_per_address=5))
    yield app
    for key in redis_client.scan_iter("metacrawl:login:*"):
        redis_client.delete(key)


def test_failed_logins_are_limited_per_account(limited_app):
    client = limited_app.test_client()
    user = ApiUser(client, "erin@example.com")
    for _ in range(3):
        assert login(client, user.email, "wrong password!").status_code == 401
    r = login(client, user.email, user.password)  # even the right password waits now
    assert r.status_code == 429 and 0 < int(r.headers["Retry-After"]) <= 900
    assert r.get_json()["code"] == 429 and "too many" in r.get_json()["message"]
    # another account from the same address is not locked by this one
    other = ApiUser(client, "fay@example.com")
    assert login(client, other.email, other.password).status_code == 200


def test_failed_logins_are_limited_per_client_address(limited_app):
    client = limited_app.test_client()
    for i in range(5):
        assert login(client, f"nobody{i}@example.com", "wrong password!").status_code == 401
    r = login(client, "someone-else@example.com", "wrong password!")
    assert r.status_code == 429 and r.headers["Retry-After"]
    other_address = client.post(
        "/api/v1/auth/login",
        json={"email": "someone-else@example.com", "password": "wrong password!"},
        environ_base={"REMOTE_ADDR": "127.0.0.9"},
    )
    assert other_address.status_code == 401


def test_a_success_clears_the_account_count(limited_app):
    client = limited_app.test_client()
    user = ApiUser(client, "gus@example.com")
    for _ in range(2):
        login(client, user.email, "wrong password!")
    assert login(client, user.email, user.password).status_code == 200
    for _ in range(2):
        assert login(client, user.email, "wrong password!").status_code == 401


def test_ui_sign_in_shares_the_api_login_limits(limited_app):
    """The sign-in form counts failures with the API's login and refuses past
    the same limits: 429, Retry-After and the message on the form (issue 13)."""
    client = limited_app.test_client()
    user = ApiUser(client, "hal@example.com")
    b = Browser(client)
    for _ in range(2):
        assert b.sign_in(user.email, "wrong password!").status_code == 422
    assert login(client, user.email, "wrong password!").status_code == 401  # the third, through the API
    r = b.sign_in(user.email, user.password)  # even the right password waits now
    html = r.get_data(as_text=True)
    assert r.status_code == 429 and 0 < int(r.headers["Retry-After"]) <= 900
    assert 'id="e-form">Too many failed sign-ins for this account or from this address: try again in' in html
    assert "metacrawl_session=" not in r.headers.get("Set-Cookie", "") and 'name="csrf_token"' in html
    assert login(client, user.email, user.password).status_code == 429  # and the API agrees
    # another account from the same address is not locked by this one
    other = ApiUser(client, "ida.limits@example.com")
    assert b.sign_in(other.email, other.password).status_code == 302


def test_ui_sign_in_is_limited_per_client_address(limited_app):
    client = limited_app.test_client()
    user = ApiUser(client, "jan@example.com")
    b = Browser(client)
    for i in range(5):
        assert b.sign_in(f"nobody{i}@example.com", "wrong password!").status_code == 422
    assert b.sign_in(user.email, user.password).status_code == 429
    elsewhere = Browser(limited_app.test_client())
    elsewhere.client.environ_base["REMOTE_ADDR"] = "127.0.0.9"
    assert elsewhere.sign_in(user.email, user.password).status_code == 302


def test_ui_sign_in_success_clears_the_account_count(limited_app):
    client = limited_app.test_client()
    user = ApiUser(client, "kai@example.com")
    b = Browser(client)
    for _ in range(2):
        assert b.sign_in(user.email, "wrong password!").status_code == 422
    assert b.sign_in(user.email, user.password).status_code == 302
    for _ in range(2):
        assert login(client, user.email, "wrong password!").status_code == 401


def test_login_fails_closed_when_redis_is_down(settings, client, alice):
    from api import create_app

    down = create_app(replace(settings, redis_url="redis://127.0.0.1:1/0"))
    r = login(down.test_client(), alice.email, alice.password)
    assert r.status_code == 503 and "Redis" in r.get_json()["message"]


@pytest.mark.parametrize(
    ("password", "why"),
    [
        ("short", "at least 10"),
        ("password123", "common"),
        ("Password2024!", "common"),
        ("qwertyuiop", "common"),
        ("1q2w3e4r5t", "common"),
        ("aaaaaaaaaaaa", "different characters"),
        ("12345678901234", "only digits"),
        ("ivy.green.hill@x", "close to the email"),
    ],
)
def test_weak_passwords_are_refused_naming_the_field(client, password, why):
    r = client.post("/api/v1/auth/register", json={"email": "ivy.green.hill@example.com", "password": password})
    assert r.status_code == 422
    assert why in r.get_json()["errors"]["json"]["password"][0]


def test_password_check_accepts_a_pass_phrase():
    check_password("zebra lantern quartz", "someone@example.com")
    with pytest.raises(WeakPassword):
        check_password("correct horse battery staple")


def test_cli_refuses_a_weak_password(app):
    from api.cli import main

    result = app.test_cli_runner().invoke(main, ["create-user", "--email", "ops@example.com", "--password", "admin"])
    assert result.exit_code != 0 and "at least 10" in result.output


def test_refresh_revocation_survives_a_redis_flush(client, alice, redis_client, catalog_url):
    refresh = {"Authorization": f"Bearer {alice.refresh}"}
    assert client.post("/api/v1/auth/logout", headers=refresh).status_code == 204
    redis_client.flushdb()  # what a Redis restart without persistence does
    r = client.post("/api/v1/auth/refresh", headers=refresh)
    assert r.status_code == 401 and "revoked" in r.get_json()["message"]
    from sqlalchemy import create_engine, text
    from sqlalchemy.pool import NullPool

    engine = create_engine(catalog_url, poolclass=NullPool)
    with engine.connect() as conn:
        assert (
            conn.execute(text("SELECT count(*) FROM revoked_tokens WHERE user_id = :u"), {"u": alice.id}).scalar() == 1
        )
    engine.dispose()


def test_refresh_tokens_are_checked_without_redis(settings, client, alice):
    """The refresh token's revocation lives in the catalog: refreshing works with Redis down."""
    from api import create_app

    down = create_app(replace(settings, redis_url="redis://127.0.0.1:1/0"))
    r = down.test_client().post("/api/v1/auth/refresh", headers={"Authorization": f"Bearer {alice.refresh}"})
    assert r.status_code == 200


@pytest.mark.parametrize("env", ["Production", "prod", "PRODUCTION", "staging", "dev", " production"])
def test_unknown_environment_names_refuse_to_start(env):
    with pytest.raises(ConfigError, match="METACRAWL_ENV must be one of development, test, production"):
        from_env({"METACRAWL_ENV": env})


@pytest.mark.parametrize("env", ["development", "test"])
def test_known_environment_names_start(env):
    assert from_env({"METACRAWL_ENV": env}).env == env


@pytest.mark.parametrize("cron", ["* * * * *", "*/5 * * * *", "0,10 3 * * *"])
def test_schedules_more_frequent_than_the_minimum_are_422_naming_schedule(alice, cron):
    r = alice.post("/api/v1/sources", json=source_body(schedule=cron))
    assert r.status_code == 422 and "at most every 15 minutes" in r.get_json()["errors"]["json"]["schedule"][0]


def test_the_minimum_schedule_interval_is_an_operator_setting(settings, redis_client):
    from api import create_app

    app = create_app(replace(settings, min_schedule_interval_minutes=1))
    user = ApiUser(app.test_client(), "hal@example.com")
    assert user.post("/api/v1/sources", json=source_body(schedule="* * * * *")).status_code == 201
    assert from_env({"METACRAWL_MIN_SCHEDULE_INTERVAL_MINUTES": "60"}).min_schedule_interval_minutes == 60
    with pytest.raises(ConfigError):
        from_env({"METACRAWL_MIN_SCHEDULE_INTERVAL_MINUTES": "0"})


def test_every_15_minutes_is_allowed(alice):
    assert alice.post("/api/v1/sources", json=source_body(schedule="*/15 * * * *")).status_code == 201
