"""The browser session: the API's access token in an HttpOnly, SameSite
cookie (flask-jwt-extended's cookie mode), read only by the UI's pages.

Every form that changes something carries the token's CSRF value as a hidden
field (`csrf_token`); flask-jwt-extended checks it on POST. A session is
renewed while it is used: past half its life, a page answers with a fresh
cookie. Logging out revokes the token, as the API's logout does.
"""

from __future__ import annotations

import functools
import time
from urllib.parse import urlencode

from flask import current_app, g, redirect, render_template, request
from flask_jwt_extended import create_access_token, current_user, get_jwt, set_access_cookies, verify_jwt_in_request
from flask_jwt_extended.exceptions import CSRFError, JWTExtendedException
from jwt.exceptions import PyJWTError

from ..auth import tokens


def start_session(response, user) -> None:
    token = create_access_token(identity=str(user.id), additional_claims={"adm": user.is_admin})
    set_access_cookies(response, token)


def end_session(response) -> None:
    try:
        verify_jwt_in_request(locations=["cookies"])
        claims = get_jwt()
        tokens.revoke(claims["jti"], claims["exp"])
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


def _to_login():
    target = request.full_path if request.query_string else request.path
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
            start_session(response, current_user)
        return response

    return wrapper
