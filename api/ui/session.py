"""The browser session: the API's access token in an HttpOnly, SameSite
cookie (flask-jwt-extended's cookie mode), read only by the UI's pages.

Every form that changes something carries the token's CSRF value as a hidden
field (`csrf_token`); flask-jwt-extended checks it on POST. A session is
renewed while it is used: past half its life, a page answers with a fresh
cookie of the same session (its `sid` claim). Signing out revokes the
session, as the API's logout does (api/auth/tokens.py): every cookie it had
stops working.

The sign-in and registration forms come before any session, so they carry
their own CSRF value (against login CSRF: another site signing a browser in
to an account of the attacker's): a random nonce in an HttpOnly, SameSite
cookie, and in a hidden field its HMAC under the app's secret. A POST whose
field does not match its cookie is refused with a message.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import secrets
import time
import uuid
from urllib.parse import urlencode

from flask import current_app, g, redirect, render_template, request
from flask_jwt_extended import create_access_token, current_user, get_jwt, set_access_cookies, verify_jwt_in_request
from flask_jwt_extended.exceptions import CSRFError, JWTExtendedException
from jwt.exceptions import PyJWTError

from ..auth import tokens

LOGIN_CSRF_COOKIE = "metacrawl_login_csrf"


def _sign(nonce: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, b"login-csrf:" + nonce.encode(), hashlib.sha256).hexdigest()


def login_csrf_token() -> str:
    """The hidden field of the sign-in and registration forms (a new nonce
    cookie is set by with_login_csrf when the browser has none)."""
    nonce = request.cookies.get(LOGIN_CSRF_COOKIE) or ""
    if not (16 <= len(nonce) <= 100):
        nonce = g.setdefault("login_csrf_nonce", secrets.token_urlsafe(32))
    return _sign(nonce)


def login_csrf_ok() -> bool:
    nonce = request.cookies.get(LOGIN_CSRF_COOKIE) or ""
    sent = request.form.get("csrf_token") or ""
    return 16 <= len(nonce) <= 100 and bool(sent) and hmac.compare_digest(_sign(nonce), sent)


def with_login_csrf(response):
    """Set the nonce cookie that login_csrf_token chose for this page, if any."""
    nonce = g.get("login_csrf_nonce")
    if nonce:
        response.set_cookie(
            LOGIN_CSRF_COOKIE,
            nonce,
            httponly=True,
            samesite="Lax",
            secure=current_app.config["JWT_COOKIE_SECURE"],
            path="/",
        )
    return response


def start_session(response, user, sid: str | None = None) -> None:
    """A new session's cookie, or with `sid` the next cookie of that session:
    signing out revokes the session, so every cookie it had stops working."""
    claims = {"adm": user.is_admin, "sid": sid or str(uuid.uuid4())}
    set_access_cookies(response, create_access_token(identity=str(user.id), additional_claims=claims))


def end_session(response) -> None:
    try:
        verify_jwt_in_request(locations=["cookies"])
        claims = get_jwt()
        tokens.revoke(claims)
    except (JWTExtendedException, PyJWTError):
        pass  # nothing valid to revoke; the cookie goes anyway
    response.delete_cookie(current_app.config["JWT_ACCESS_COOKIE_NAME"], path="/")


def optional_user():
    """The signed-in user, or None (for pages that work either way)."""
    try:
        verify_jwt_in_request(locations=["cookies"], optional=True)
    except (JWTExtendedException, PyJWTError):
        return None
    if not get_jwt():
        return None
    g.csrf_token = get_jwt().get("csrf")
    g.ui_user = current_user
    return current_user


DEFAULT_PAGE = "/sources"


def is_path_here(target: str) -> bool:
    """A path on this site, and nothing a browser could read as another site:
    browsers drop tab, CR and LF from a URL and read a backslash as a slash,
    so "/<tab>/evil.example" and "/\\evil.example" are //evil.example to them.
    Hence no whitespace or control character anywhere and no backslash; a
    leading single slash leaves no room for a scheme or a host."""
    return (
        target.startswith("/")
        and not target.startswith("//")
        and "\\" not in target
        and " " not in target
        and target.isprintable()  # False for tab, CR, LF, NUL, U+2028, zero-width space...
    )


def safe_next(target: str | None) -> str:
    """Where to go after signing in: `target` if it is a path here, else the default page."""
    return target if target and is_path_here(target) else DEFAULT_PAGE


def _to_login():
    target = request.full_path if request.query_string else request.path
    if not is_path_here(target):
        return redirect("/login")
    return redirect("/login?" + urlencode({"next": target}))


def page(view):
    """A page for signed-in people: anyone else goes to the sign-in page; a
    form whose CSRF value is missing or wrong gets a page saying so."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        try:
            verify_jwt_in_request(locations=["cookies"])
        except CSRFError:
            return (
                render_template(
                    "error.html",
                    status=400,
                    title="This form has expired",
                    message="The page was open too long or came from elsewhere. Go back, reload it and try again.",
                ),
                400,
            )
        except (JWTExtendedException, PyJWTError):
            if request.method == "GET":
                return _to_login()
            return redirect("/login")
        claims = get_jwt()
        g.csrf_token = claims.get("csrf")
        g.ui_user = current_user
        if current_user is None:
            return _to_login()
        response = current_app.make_response(view(*args, **kwargs))
        lifetime = current_app.config["JWT_ACCESS_TOKEN_EXPIRES"].total_seconds()
        if claims["exp"] - time.time() < lifetime / 2 and not getattr(g, "session_ended", False):
            start_session(response, current_user, claims.get("sid"))
        return response

    return wrapper
