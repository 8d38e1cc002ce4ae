"""Token revocation (logout). Access tokens live minutes: their revocation is
kept in Redis until they would have expired anyway. Refresh tokens live for
weeks: their revocation is kept in the catalog (revoked_tokens), so a Redis
restart or flush cannot bring a logged-out refresh token back."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from flask import current_app
from sqlalchemy import delete
from sqlalchemy.dialects.postgresql import insert

from catalog.db import Session, transaction
from catalog.models import RevokedToken


def _redis():
    return current_app.extensions["metacrawl_redis"]


def revoke(claims: dict) -> None:
    if claims.get("type") == "refresh":
        expires_at = datetime.fromtimestamp(claims["exp"], UTC)
        with transaction() as session:
            session.execute(
                insert(RevokedToken)
                .values(jti=claims["jti"], user_id=int(claims["sub"]), expires_at=expires_at)
                .on_conflict_do_nothing()
            )
            # what has expired needs no revocation any more
            session.execute(delete(RevokedToken).where(RevokedToken.expires_at < datetime.now(UTC)))
        return
    ttl = max(int(claims["exp"] - time.time()), 1)
    _redis().set(f"metacrawl:revoked:{claims['jti']}", b"1", ex=ttl)


def is_revoked(claims: dict) -> bool:
    if claims.get("type") == "refresh":
        return Session.get(RevokedToken, claims["jti"]) is not None
    return _redis().exists(f"metacrawl:revoked:{claims['jti']}") == 1
