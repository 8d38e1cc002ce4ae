import contextlib

from flask import current_app
from flask_jwt_extended import create_access_token, create_refresh_token, current_user, decode_token, get_jwt
from flask_smorest import abort

from catalog.accounts import EmailTaken, authenticate, create_user
from catalog.db import transaction

from ..extensions import Blueprint
from . import limits, tokens
from .schemas import (
    AccessTokenSchema,
    CredentialsSchema,
    RegisterAcceptedSchema,
    RegisterSchema,
    TokensSchema,
    UserSchema,
)

blp = Blueprint("auth", __name__, url_prefix="/api/v1/auth", description="Accounts and tokens")


def _settings():
    return current_app.config["METACRAWL"]


def _access_token(user, sid: str) -> dict:
    """An access token of the session `sid` (its refresh token's jti): logging
    out with either ends both (api/auth/tokens.py)."""
    claims = {"adm": user.is_admin, "sid": sid}
    return {
        "access_token": create_access_token(identity=str(user.id), additional_claims=claims),
        "token_type": "Bearer",
        "expires_in": _settings().access_token_minutes * 60,
    }


REGISTERED = {
    "message": "registration received: if this email had no account, it has one now with this password; "
    "log in to find out",
    "login_url": "/api/v1/auth/login",
}


@blp.post("/register")
@blp.arguments(RegisterSchema)
@blp.response(202, RegisterAcceptedSchema)
@blp.alt_response(403, description="Registration is switched off")
def register(data):
    """Create an account. The answer is the same whether the email already had
    an account or not (so it cannot be used to find out who has one); logging
    in tells whether this password now opens it."""
    if not _settings().allow_registration:
        abort(403, message="registration is switched off on this server")
    # An email already taken changes nothing; its password was hashed all the
    # same, so both answers take as long.
    with transaction() as session, contextlib.suppress(EmailTaken):
        create_user(session, data["email"], data["password"])
    return REGISTERED


@blp.post("/login")
@blp.arguments(CredentialsSchema)
@blp.response(200, TokensSchema)
@blp.alt_response(401, description="Wrong email or password")
@blp.alt_response(
    429,
    description="Too many failed logins for this account or from this address; see Retry-After",
    headers={"Retry-After": {"description": "Seconds to wait", "schema": {"type": "integer"}}},
)
def login(data):
    """Exchange email and password for an access and a refresh token"""
    limits.refuse_if_limited(data["email"])
    with transaction() as session:
        user = authenticate(session, data["email"], data["password"])
    if user is None:
        limits.record_failure(data["email"])
        abort(401, message="wrong email or password")
        raise AssertionError("abort raises")
    limits.record_success(data["email"])
    refresh_token = create_refresh_token(identity=str(user.id))
    return {**_access_token(user, decode_token(refresh_token)["jti"]), "refresh_token": refresh_token}


@blp.post("/refresh")
@blp.login_required(refresh=True)
@blp.response(200, AccessTokenSchema)
def refresh():
    """Get a new access token with a refresh token"""
    return _access_token(current_user, get_jwt()["jti"])


@blp.post("/logout")
@blp.login_required(verify_type=False)
@blp.response(204)
def logout():
    """Revoke the token sent with this request (access or refresh) and the
    tokens issued with it: the refresh token of the login and every access
    token it gave"""
    tokens.revoke(get_jwt())


@blp.get("/me")
@blp.login_required
@blp.response(200, UserSchema)
def me():
    """The account the token belongs to"""
    return current_user
