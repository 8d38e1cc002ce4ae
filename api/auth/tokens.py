"""Token revocation (logout) that outlives Redis.

A token belongs to a session: the refresh token issued at login is the
session, and every access token issued with it (at login or by refreshing)
names it in its `sid` claim; a UI session's cookies share a `sid` of their
own across renewals. Logout revokes the token sent and its session, so no
other token of that session works any more (the refresh token sent with a
logout is its own session).

Every revocation is written to the catalog (revoked_tokens), kept until no
token it names can still be valid, and then to Redis, which is only a cache:
a check reads Redis first and the catalog on a miss or when Redis is down,
so a Redis restart or flush cannot bring a revoked token back. The catalog's
"not revoked" answers are cached for a few seconds only, and never over a
revocation (see _cache)."""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime

import redis
from flask import current_app

from catalog.db import Session, transaction
from catalog.revocations import revoked_among, store_revocations

log = logging.getLogger(__name__)

KEY = "metacrawl:revoked:{}"
# How long another process may still accept a token revoked while Redis
# could not be written (the catalog has the revocation; this cache does not).
NOT_REVOKED_SECONDS = 10


def _redis():
    return current_app.extensions["metacrawl_redis"]


def _session_of(claims: dict) -> str | None:
    """The session this token belongs to: for a refresh token, itself."""
    if claims["type"] == "refresh":
        return None
    return claims.get("sid")


def _ids(claims: dict) -> list[str]:
    sid = _session_of(claims)
    return [claims["jti"], sid] if sid else [claims["jti"]]


def revoke(claims: dict) -> None:
    """Revoke this token and its session, in the catalog and then in Redis."""
    until = {claims["jti"]: datetime.fromtimestamp(claims["exp"], UTC)}
    sid = _session_of(claims)
    if sid:
        # by then every token of the session has expired: its refresh token was
        # issued before this token (a UI session's cookies, no longer renewed, live minutes)
        until[sid] = datetime.now(UTC) + current_app.config["JWT_REFRESH_TOKEN_EXPIRES"]
    rows = [{"jti": jti, "user_id": int(claims["sub"]), "expires_at": at} for jti, at in until.items()]
    with transaction() as session:
        store_revocations(session, rows)
    _cache(revoked=until, not_revoked=[])


def is_revoked(claims: dict) -> bool:
    ids = _ids(claims)
    try:
        cached = _redis().mget([KEY.format(i) for i in ids])
    except redis.RedisError:
        cached = [None] * len(ids)
    if b"1" in cached:
        return True
    unknown = [i for i, answer in zip(ids, cached, strict=True) if answer is None]
    if not unknown:
        return False
    revoked = revoked_among(Session(), unknown)
    _cache(revoked=revoked, not_revoked=[i for i in unknown if i not in revoked])
    return bool(revoked)


def _cache(revoked: dict[str, datetime], not_revoked: list[str]) -> None:
    """Revocations overwrite whatever is cached; a "not revoked" is only set
    where nothing is (NX), so a check racing a logout cannot hide it: either
    the logout's write comes after and overwrites, or it came before and the
    NX write does nothing. Redis being down costs only the cache."""
    now = time.time()
    try:
        pipe = _redis().pipeline(transaction=False)
        for jti, expires_at in revoked.items():
            ttl = int(expires_at.timestamp() - now)
            if ttl > 0:
                pipe.set(KEY.format(jti), b"1", ex=ttl)
        for jti in not_revoked:
            pipe.set(KEY.format(jti), b"0", ex=NOT_REVOKED_SECONDS, nx=True)
        pipe.execute()
    except redis.RedisError as e:
        log.warning("token revocations not cached (Redis unavailable: %s)", type(e).__name__)
