"""flask-jwt-extended callbacks: who the token belongs to, whether it was
revoked, and error bodies shaped like every other error of the API."""

from __future__ import annotations

from flask import current_app, jsonify
from jwt.exceptions import InvalidTokenError, MissingRequiredClaimError

from catalog.db import Session
from catalog.models import User

from .auth import tokens
from .extensions import MAX_ID

# Claims every token this app issues carries. flask-jwt-extended would take a
# token without `type` for an access token and one without `exp` as never
# expiring; without `jti` it could not be revoked.
REQUIRED_CLAIMS = ("exp", "jti", "type")
TOKEN_TYPES = ("access", "refresh")


def _unauthorized(message: str):
    return jsonify({"code": 401, "status": "Unauthorized", "message": message}), 401


def register(jwt) -> None:
    @jwt.decode_key_loader
    def key_of(_header, unverified_claims):
        # The one hook that sees the claims as sent, before defaults are filled in.
        for claim in REQUIRED_CLAIMS:
            if claim not in unverified_claims:
                raise MissingRequiredClaimError(claim)
        if unverified_claims["type"] not in TOKEN_TYPES:
            raise InvalidTokenError("unknown token type")
        return current_app.config["JWT_SECRET_KEY"]

    @jwt.user_lookup_loader
    def load_user(_header, claims):
        # A token signed with our key but naming no account id ("abc", a huge
        # number) names nobody: 401 through user_gone, never a 500.
        sub = claims.get("sub")
        if not isinstance(sub, str) or not sub.isascii() or not sub.isdigit() or not 0 < int(sub) <= MAX_ID:
            return None
        return Session.get(User, int(sub))

    @jwt.user_lookup_error_loader
    def user_gone(_header, _claims):
        return _unauthorized("the account of this token no longer exists")

    @jwt.token_in_blocklist_loader
    def revoked(_header, claims):
        return tokens.is_revoked(claims)

    @jwt.revoked_token_loader
    def revoked_token(_header, _claims):
        return _unauthorized("token has been revoked; log in again")

    @jwt.expired_token_loader
    def expired(_header, _claims):
        return _unauthorized("token has expired; refresh it or log in again")

    @jwt.invalid_token_loader
    def invalid(reason):
        return _unauthorized(f"invalid token: {reason}")

    @jwt.unauthorized_loader
    def missing(reason):
        return _unauthorized(f"authentication required: {reason}")

    @jwt.needs_fresh_token_loader
    def not_fresh(_header, _claims):
        return _unauthorized("a fresh login is required")

    @jwt.token_verification_failed_loader
    def failed(_header, _claims):
        return _unauthorized("invalid token")
