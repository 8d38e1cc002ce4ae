"""Token revocation (logout) lives in Redis: a revoked token's id is kept until
the token would have expired anyway."""

from __future__ import annotations

import time

from flask import current_app


def _redis():
    return current_app.extensions["metacrawl_redis"]


def revoke(jti: str, expires_at: int) -> None:
    ttl = max(int(expires_at - time.time()), 1)
    _redis().set(f"metacrawl:revoked:{jti}", b"1", ex=ttl)


def is_revoked(jti: str) -> bool:
    return _redis().exists(f"metacrawl:revoked:{jti}") == 1
