from flask import current_app
from flask_jwt_extended import create_access_token, create_refresh_token, current_user, get_jwt
from flask_smorest import abort

from catalog.accounts import EmailTaken, authenticate, create_user
from catalog.db import transaction

from ..extensions import Blueprint
from . import tokens
from .schemas import AccessTokenSchema, CredentialsSchema, RegisterSchema, TokensSchema, UserSchema

blp = Blueprint("auth", __name__, url_prefix="/api/v1/auth", description="Accounts and tokens")


def _settings():
    return current_app.config["METACRAWL"]


def _access_token(user) -> dict:
    return {
        "access_token": create_access_token(identity=str(user.id), additional_claims={"adm": user.is_admin}),
        "token_type": "Bearer",
        "expires_in": _settings().access_token_minutes * 60,
    }


@blp.post("/register")
@blp.arguments(RegisterSchema)
@blp.response(201, UserSchema)
@blp.alt_response(403, description="Registration is switched off")
@blp.alt_response(409, description="Email already registered")
def register(data):
    """Create an account"""
    if not _settings().allow_registration:
        abort(403, message="registration is switched off on this server")
    with transaction() as session:
        try:
            return create_user(session, data["email"], data["password"])
        except EmailTaken:
            abort(
                409,
                message="an account with this email already exists",
                errors={"json": {"email": ["already registered"]}},
            )


@blp.post("/login")
@blp.arguments(CredentialsSchema)
@blp.response(200, TokensSchema)
@blp.alt_response(401, description="Wrong email or password")
def login(data):
    """Exchange email and password for an access and a refresh token"""
    with transaction() as session:
        user = authenticate(session, data["email"], data["password"])
    if user is None:
        abort(401, message="wrong email or password")
        raise AssertionError("abort raises")
    return {**_access_token(user), "refresh_token": create_refresh_token(identity=str(user.id))}


@blp.post("/refresh")
@blp.login_required(refresh=True)
@blp.response(200, AccessTokenSchema)
def refresh():
    """Get a new access token with a refresh token"""
    return _access_token(current_user)


@blp.post("/logout")
@blp.login_required(verify_type=False)
@blp.response(204)
def logout():
    """Revoke the token sent with this request (access or refresh)"""
    claims = get_jwt()
    tokens.revoke(claims["jti"], claims["exp"])


@blp.get("/me")
@blp.login_required
@blp.response(200, UserSchema)
def me():
    """The account the token belongs to"""
    return current_user
