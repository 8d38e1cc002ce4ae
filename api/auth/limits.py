"""Login attempts limited per account and per client address.

Failed attempts are counted in Redis in a fixed window; past the limit, login
answers 429 with Retry-After before checking the password (so the slow hash is
not a free oracle either). A success clears the account's count. The API's
login and the web UI's sign-in form share these counts and limits. If Redis is
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


def retry_after(email: str) -> int | None:
    """Seconds before a login to `email` from this address may be tried again
    (its account or its address is past the limit), or None: it may be now."""
    redis = _redis()
    for key, limit in _keys(email):
        count = redis.get(key)
        if count is not None and int(count) >= limit:
            return max(redis.ttl(key), 1)
    return None


def refuse_if_limited(email: str) -> None:
    """The API's login: 429 with Retry-After past the limit."""
    wait = retry_after(email)
    if wait is not None:
        abort(
            429,
            message=f"too many failed logins; try again in {wait} seconds",
            headers={"Retry-After": str(wait)},
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
