"""Accounts and tokens, through the API."""

import time
from datetime import timedelta

import jwt as pyjwt
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
    # revocation lives in Redis and expires with the token
    keys = redis_client.keys("metacrawl:revoked:*")
    assert keys and 0 < redis_client.ttl(keys[0]) <= 15 * 60


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
