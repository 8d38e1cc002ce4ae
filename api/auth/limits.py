"""Login attempts limited per account and per client address.

Failed attempts are counted in Redis in a fixed window; past the limit, login
answers 429 with Retry-After before checking the password (so the slow hash is
not a free oracle either). A success clears the account's count. If Redis is
down, login fails closed: the error handler answers 503 (api/__init__.py).
"""

from __future__ import annotations

import hashlib

from flask import current_app, request
from flask_smorest import abort


def _keys(email: str) -> list[tuple[str, int]]:
    s = current_app.config["METACRAWL"]
    account = hashlib.sha256(email.strip().lower().encode()).hexdigest()[:32]
    return [
        (f"metacrawl:login:account:{account}", s.login_attempts_per_account),
        (f"metacrawl:login:address:{request.remote_addr or 'unknown'}", s.login_attempts_per_address),
    ]


def _redis():
    return current_app.extensions["metacrawl_redis"]


def refuse_if_limited(email: str) -> None:
    redis = _redis()
    for key, limit in _keys(email):
        count = redis.get(key)
        if count is not None and int(count) >= limit:
            retry_after = max(redis.ttl(key), 1)
            abort(
                429,
                message=f"too many failed logins; try again in {retry_after} seconds",
                headers={"Retry-After": str(retry_after)},
            )


def record_failure(email: str) -> None:
    window = current_app.config["METACRAWL"].login_window_seconds
    pipe = _redis().pipeline()
    for key, _ in _keys(email):
        pipe.set(key, 0, ex=window, nx=True)  # the window starts at the first failure
        pipe.incr(key)
    pipe.execute()


def record_success(email: str) -> None:
    _redis().delete(_keys(email)[0][0])
