"""flask-jwt-extended callbacks: who the token belongs to, whether it was
revoked, and error bodies shaped like every other error of the API."""

from __future__ import annotations

from flask import jsonify

from catalog.db import Session
from catalog.models import User

from .auth import tokens
from .extensions import MAX_ID


def _unauthorized(message: str):
    return jsonify({"code": 401, "status": "Unauthorized", "message": message}), 401


def register(jwt) -> None:
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
