"""The signature of a delivery: `X-Metacrawl-Signature: t=<unix seconds>,
v1=<hex HMAC-SHA256 of "<t>.<body>" under the subscription's secret>`. A
receiver recomputes it over the raw body, compares in constant time and
refuses a timestamp older than its tolerance (5 minutes), so a captured
delivery cannot be replayed later; `X-Metacrawl-Delivery` (the same on every
attempt) lets it drop a delivery it already processed."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time

SIGNATURE_HEADER = "X-Metacrawl-Signature"
DELIVERY_HEADER = "X-Metacrawl-Delivery"
EVENT_HEADER = "X-Metacrawl-Event"
TOLERANCE_SECONDS = 300


def new_secret() -> str:
    """A subscription's signing secret (shown once, stored encrypted)."""
    return "whsec_" + secrets.token_urlsafe(32)


def signature(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def verify(secret: str, header: str, body: bytes, now: float | None = None, tolerance: int = TOLERANCE_SECONDS) -> bool:
    """Whether `header` signs `body` under `secret` within `tolerance` seconds."""
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    try:
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs((time.time() if now is None else now) - timestamp) > tolerance:
        return False
    expected = signature(secret, timestamp, body).split(",v1=", 1)[1]
    return hmac.compare_digest(expected, parts.get("v1", ""))
