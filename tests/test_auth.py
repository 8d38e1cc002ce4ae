"""Accounts and tokens, through the API."""

import time
from datetime import timedelta

import jwt as pyjwt
import pytest
from flask_jwt_extended import create_access_token

from .conftest import ApiUser


def test_register_login_me(client):
    user = ApiUser(client, "carol@example.com")
    r = user.get("/api/v1/auth/me")
    assert r.status_code == 200
    assert r.get_json()["email"] == "carol@example.com"
    assert "password" not in r.get_data(as_text=True)


def test_register_answers_the_same_whether_the_email_exists_or_not(client, alice):
    taken = client.post("/api/v1/auth/register", json={"email": "ALICE@example.com", "password": "another password"})
    new = client.post("/api/v1/auth/register", json={"email": "dave@example.com", "password": "another password"})
    assert taken.status_code == new.status_code == 202
    assert taken.get_json() == new.get_json() and dict(taken.headers) == dict(new.headers)
    # login tells: the existing account kept its password, the new one has this one
    assert (
        client.post("/api/v1/auth/login", json={"email": alice.email, "password": "another password"}).status_code
        == 401
    )
    assert client.post("/api/v1/auth/login", json={"email": alice.email, "password": alice.password}).status_code == 200
    r = client.post("/api/v1/auth/login", json={"email": "dave@example.com", "password": "another password"})
    assert r.status_code == 200


def test_register_bad_email_and_short_password(client):
    r = client.post("/api/v1/auth/register", json={"email": "not-an-email", "password": "short"})
    assert r.status_code == 422
    assert set(r.get_json()["errors"]["json"]) == {"email", "password"}


def test_registration_can_be_switched_off(settings, redis_client):
    from dataclasses import replace

    from api import create_app

    app = create_app(replace(settings, allow_registration=False))
    r = app.test_client().post(
        "/api/v1/auth/register", json={"email": "x@example.com", "password": "a fine pass phrase"}
    )
    assert r.status_code == 403


def test_wrong_password_and_unknown_email_answer_the_same(client, alice):
    wrong = client.post("/api/v1/auth/login", json={"email": alice.email, "password": "wrong password"})
    unknown = client.post("/api/v1/auth/login", json={"email": "nobody@example.com", "password": "wrong password"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.get_json() == unknown.get_json()
    assert "wrong password" not in wrong.get_data(as_text=True)


def test_no_token_is_401(client):
    r = client.get("/api/v1/sources")
    assert r.status_code == 401
    assert r.get_json()["message"].startswith("authentication required")


def test_expired_access_token(app, client, alice):
    with app.app_context():
        token = create_access_token(identity=str(alice.id), expires_delta=timedelta(seconds=-1))
    r = client.get("/api/v1/sources", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 401
    assert "expired" in r.get_json()["message"]


def test_token_signed_with_another_secret(client, alice):
    token = pyjwt.encode(
        {
            "sub": str(alice.id),
            "type": "access",
            "fresh": False,
            "jti": "x",
            "iat": int(time.time()),
            "nbf": int(time.time()),
            "exp": int(time.time()) + 600,
        },
        "some-other-secret-of-at-least-32-bytes!!",
        algorithm="HS256",
    )
    r = client.get("/api/v1/sources", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 401
    assert "invalid token" in r.get_json()["message"]


def test_token_with_alg_none(client, alice):
    token = pyjwt.encode(
        {
            "sub": str(alice.id),
            "type": "access",
            "fresh": False,
            "jti": "y",
            "iat": int(time.time()),
            "nbf": int(time.time()),
            "exp": int(time.time()) + 600,
        },
        None,
        algorithm="none",
    )
    r = client.get("/api/v1/sources", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 401


def test_access_token_expires_in_fifteen_minutes_by_default(client, alice, settings):
    claims = pyjwt.decode(alice.access, settings.jwt_secret, algorithms=["HS256"])
    assert claims["exp"] - claims["iat"] == 15 * 60


def test_refresh_gives_a_working_access_token(client, alice):
    r = client.post("/api/v1/auth/refresh", headers={"Authorization": f"Bearer {alice.refresh}"})
    assert r.status_code == 200
    access = r.get_json()["access_token"]
    assert client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {access}"}).status_code == 200


def test_access_token_cannot_refresh(client, alice):
    r = client.post("/api/v1/auth/refresh", headers=alice.headers)
    assert r.status_code == 401


def test_revoked_token_after_logout(client, alice, redis_client):
    assert alice.post("/api/v1/auth/logout").status_code == 204
    r = alice.get("/api/v1/sources")
    assert r.status_code == 401
    assert "revoked" in r.get_json()["message"]
    # kept in the catalog; cached in Redis until the token would have expired anyway
    jti = pyjwt.decode(alice.access, options={"verify_signature": False})["jti"]
    assert 0 < redis_client.ttl(f"metacrawl:revoked:{jti}") <= 15 * 60


def test_logout_of_refresh_token_stops_refresh(client, alice):
    r = client.post("/api/v1/auth/logout", headers={"Authorization": f"Bearer {alice.refresh}"})
    assert r.status_code == 204
    r = client.post("/api/v1/auth/refresh", headers={"Authorization": f"Bearer {alice.refresh}"})
    assert r.status_code == 401


def test_cli_creates_admin_user(app, client):
    from api.cli import main

    result = app.test_cli_runner().invoke(
        main, ["create-user", "--email", "root@example.com", "--password", "admin password", "--admin"]
    )
    assert result.exit_code == 0, result.output
    tokens = client.post("/api/v1/auth/login", json={"email": "root@example.com", "password": "admin password"})
    me = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {tokens.get_json()['access_token']}"})
    assert me.get_json()["is_admin"] is True


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def test_logout_with_the_access_token_revokes_its_refresh_token(client, alice):
    assert alice.post("/api/v1/auth/logout").status_code == 204
    r = client.post("/api/v1/auth/refresh", headers=bearer(alice.refresh))
    assert r.status_code == 401 and "revoked" in r.get_json()["message"]


def test_logout_with_a_refreshed_access_token_ends_the_whole_session(client, alice):
    refreshed = client.post("/api/v1/auth/refresh", headers=bearer(alice.refresh)).get_json()["access_token"]
    assert client.post("/api/v1/auth/logout", headers=bearer(refreshed)).status_code == 204
    assert client.post("/api/v1/auth/refresh", headers=bearer(alice.refresh)).status_code == 401
    assert alice.get("/api/v1/auth/me").status_code == 401  # the login's access token, same session


def test_logout_with_the_refresh_token_revokes_its_access_tokens(client, alice):
    assert client.post("/api/v1/auth/logout", headers=bearer(alice.refresh)).status_code == 204
    r = alice.get("/api/v1/auth/me")
    assert r.status_code == 401 and "revoked" in r.get_json()["message"]


def test_logout_leaves_other_sessions_alone(client, alice):
    other = client.post("/api/v1/auth/login", json={"email": alice.email, "password": alice.password}).get_json()
    assert alice.post("/api/v1/auth/logout").status_code == 204
    assert client.get("/api/v1/auth/me", headers=bearer(other["access_token"])).status_code == 200
    assert client.post("/api/v1/auth/refresh", headers=bearer(other["refresh_token"])).status_code == 200


def _app_on(settings, redis_url):
    from dataclasses import replace

    from api import create_app

    return create_app(replace(settings, redis_url=redis_url))


def _flushall(server) -> None:
    import redis

    redis.Redis.from_url(server.url).flushall()


@pytest.mark.parametrize(
    "lose_redis", [lambda s: s.restart(), _flushall, lambda s: s.stop()], ids=["restart", "flushall", "down"]
)
def test_revoked_access_token_stays_revoked_when_redis_forgets(settings, own_redis, lose_redis):
    client = _app_on(settings, own_redis.url).test_client()
    user = ApiUser(client, "forget@example.com")
    assert user.get("/api/v1/auth/me").status_code == 200  # its "not revoked" answer is cached now
    assert user.post("/api/v1/auth/logout").status_code == 204
    lose_redis(own_redis)
    r = user.get("/api/v1/auth/me")
    assert r.status_code == 401 and "revoked" in r.get_json()["message"]


def test_revocation_in_one_process_is_seen_at_once_by_another(settings, own_redis):
    """Two web processes share Redis and the catalog: a logout in one holds in
    the other at once, even though the other had cached "not revoked"."""
    first, second = (_app_on(settings, own_redis.url).test_client() for _ in range(2))
    user = ApiUser(first, "two@example.com")
    assert second.get("/api/v1/auth/me", headers=user.headers).status_code == 200
    assert user.post("/api/v1/auth/logout").status_code == 204
    assert second.get("/api/v1/auth/me", headers=user.headers).status_code == 401


def test_expired_revocations_are_deleted_when_revoking(client, alice, catalog_url):
    from sqlalchemy import create_engine, text
    from sqlalchemy.pool import NullPool

    engine = create_engine(catalog_url, poolclass=NullPool)
    with engine.begin() as conn:
        conn.execute(
            text("INSERT INTO revoked_tokens (jti, user_id, expires_at) VALUES ('old', :u, now() - interval '1 s')"),
            {"u": alice.id},
        )
    assert alice.post("/api/v1/auth/logout").status_code == 204
    with engine.connect() as conn:
        jtis = conn.execute(text("SELECT jti FROM revoked_tokens")).scalars().all()
    engine.dispose()
    assert "old" not in jtis and len(jtis) == 2  # the access token and its session (the refresh token)


def _forged(alice, settings, drop=(), **claims) -> str:
    now = int(time.time())
    body = {"sub": str(alice.id), "type": "access", "fresh": False, "jti": "forged", "iat": now, "nbf": now}
    body.update(exp=now + 600, **claims)
    for name in drop:
        del body[name]
    return pyjwt.encode(body, settings.jwt_secret, algorithm="HS256")


@pytest.mark.parametrize(
    ("drop", "claims"),
    [
        (("exp",), {}),
        (("type",), {}),
        (("jti",), {}),
        ((), {"type": "session"}),
        ((), {"type": "refresh"}),
    ],
    ids=["no-exp", "no-type", "no-jti", "unknown-type", "refresh-type"],
)
def test_forged_access_token_is_refused(client, alice, settings, drop, claims):
    """Signed with the app's real key, but not a token the app would issue for this endpoint."""
    r = client.get("/api/v1/auth/me", headers=bearer(_forged(alice, settings, drop, **claims)))
    assert r.status_code == 401 and r.get_json()["code"] == 401


@pytest.mark.parametrize(
    ("drop", "claims"),
    [(("exp",), {"type": "refresh"}), (("type",), {}), ((), {"type": "access"}), ((), {"type": "session"})],
    ids=["no-exp", "no-type", "access-type", "unknown-type"],
)
def test_forged_refresh_token_is_refused(client, alice, settings, drop, claims):
    r = client.post("/api/v1/auth/refresh", headers=bearer(_forged(alice, settings, drop, **claims)))
    assert r.status_code == 401 and r.get_json()["code"] == 401


@pytest.mark.parametrize("drop", [("exp",), ("type",), ("jti",)], ids=["no-exp", "no-type", "no-jti"])
def test_forged_token_cannot_log_out_either(client, alice, settings, drop):
    r = client.post("/api/v1/auth/logout", headers=bearer(_forged(alice, settings, drop)))
    assert r.status_code == 401
