"""A delivery's states, driven by the worker (worker/webhooks.py):

    pending --claim--> delivering --record--> succeeded
       ^                  |   \\--record (spent)--> failed
       |--record (retry)--/
       (a delivering row whose lease ran out is claimed again: its worker was lost)

The row is the truth, not the broker message: `claim` is one guarded UPDATE
(only one worker wins a row), `record` only counts for the attempt that
claimed it. A subscription's deliveries go in order (crawl order, since a
source's crawls never overlap and rows are numbered as they are written): a
row is claimed only when no earlier row of its subscription is pending or
delivering, so crawl N+1's waits until crawl N's succeeded or failed. Test
events are outside that order (neither wait nor hold up the rest).

No catalog lock is held while a receiver is asked anything: claim and record
are short transactions of their own."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.orm import Session

from ..timestamps import rfc3339

BACKOFF_FACTOR = 3
BACKOFF_MAX = 3600  # seconds between two attempts, at most

# a row whose turn it is: nothing earlier of its subscription unfinished (test events aside)
_ITS_TURN = """
(d.event = 'test' OR NOT EXISTS (
    SELECT 1 FROM webhook_deliveries e
    WHERE e.subscription_id = d.subscription_id AND e.id < d.id AND e.event <> 'test'
      AND e.state IN ('pending', 'delivering')))
"""
_CLAIMABLE = """
d.next_attempt_at <= now()
AND (d.state = 'pending' OR (d.state = 'delivering' AND d.lease_until < now()))
"""

CLAIM = f"""
WITH claimed AS (
    UPDATE webhook_deliveries d
    SET state = 'delivering', attempts = d.attempts + 1, lease_until = now() + make_interval(secs => :lease)
    WHERE d.id = :id AND {_CLAIMABLE} AND {_ITS_TURN}
    RETURNING d.id, d.delivery_id, d.subscription_id, d.event, d.payload, d.attempts
)
SELECT c.*, s.url, s.secret, s.format, s.enabled, s.source_id
FROM claimed c JOIN webhook_subscriptions s ON s.id = c.subscription_id
"""

DUE = f"""
SELECT d.id FROM webhook_deliveries d
WHERE d.state IN ('pending', 'delivering') AND {_CLAIMABLE} AND {_ITS_TURN}
ORDER BY d.id
LIMIT :limit
"""


@dataclass(frozen=True)
class Claimed:
    id: int
    delivery_id: str
    subscription_id: int
    event: str
    payload: dict
    attempt: int
    url: str
    secret: str  # the Fernet token
    format: str
    enabled: bool
    source_id: int


def claim(session: Session, delivery_id: int, lease_seconds: int) -> Claimed | None:
    """Take a delivery to send now (None: not due, not its turn, or sent by
    another worker)."""
    row = session.execute(text(CLAIM), {"id": delivery_id, "lease": lease_seconds}).one_or_none()
    if row is None:
        return None
    return Claimed(
        id=row.id,
        delivery_id=str(row.delivery_id),
        subscription_id=row.subscription_id,
        event=row.event,
        payload=row.payload,
        attempt=row.attempts,
        url=row.url,
        secret=row.secret,
        format=row.format,
        enabled=row.enabled,
        source_id=row.source_id,
    )


def due(session: Session, limit: int = 500) -> list[int]:
    """Deliveries to send now: pending and due, or delivering with their lease
    run out (their worker was lost), whose turn it is."""
    return list(session.execute(text(DUE), {"limit": limit}).scalars())


def backoff(attempt: int, first: int) -> int:
    """Seconds before the attempt after `attempt` (1-based): first, x3 each time, at most an hour."""
    return int(min(first * BACKOFF_FACTOR ** (attempt - 1), BACKOFF_MAX))


@dataclass(frozen=True)
class Recorded:
    """What became of the delivery: its state (None: the attempt no longer
    counted, another worker had taken it over) and, when it is to be tried
    again, in how many seconds."""

    state: str | None
    retry_in: int | None = None


def record(
    session: Session,
    claimed: Claimed,
    status: int | None,
    error: str | None,
    ms: int,
    *,
    first_backoff: int,
    retry_seconds: int,
    final: bool = False,
) -> Recorded:
    """Record one attempt's outcome; a failed attempt is tried again after
    its backoff unless `final` or the retry window (from when the delivery was
    queued) would be passed by then: then the delivery has failed, and its
    subscription shows it."""
    row = session.execute(
        text(
            "SELECT created_at, now() AS now FROM webhook_deliveries "
            "WHERE id = :id AND state = 'delivering' AND attempts = :n FOR UPDATE"
        ),
        {"id": claimed.id, "n": claimed.attempt},
    ).one_or_none()
    if row is None:
        return Recorded(None)
    now: datetime = row.now
    entry = {"attempt": claimed.attempt, "at": rfc3339(now), "status": status, "error": error, "ms": ms}
    ok = error is None
    wait = backoff(claimed.attempt, first_backoff)
    spent = final or (now - row.created_at).total_seconds() + wait > retry_seconds
    state = "succeeded" if ok else ("failed" if spent else "pending")
    session.execute(
        text(
            "UPDATE webhook_deliveries SET state = :state, last_status = :status, last_error = :error, "
            "lease_until = NULL, history = history || CAST(:entry AS jsonb), "
            "next_attempt_at = CASE WHEN :state = 'pending' THEN now() + make_interval(secs => :wait) "
            "ELSE next_attempt_at END, "
            "delivered_at = CASE WHEN :state = 'succeeded' THEN now() END WHERE id = :id"
        ),
        {
            "state": state,
            "status": status,
            "error": error,
            "entry": json.dumps([entry]),
            "wait": wait,
            "id": claimed.id,
        },
    )
    if state != "pending":
        session.execute(
            text(
                "UPDATE webhook_subscriptions SET last_delivery_state = :state, last_delivery_at = now(), "
                "last_error = :error WHERE id = :sub"
            ),
            {"state": state, "error": error, "sub": claimed.subscription_id},
        )
    return Recorded(state, wait if state == "pending" else None)


def next_of(session: Session, subscription_id: int) -> int | None:
    """The subscription's next delivery whose turn it now is, to send at once."""
    return session.execute(
        text(
            f"SELECT d.id FROM webhook_deliveries d WHERE d.subscription_id = :sub AND d.state = 'pending' "
            f"AND d.next_attempt_at <= now() AND {_ITS_TURN} ORDER BY d.id LIMIT 1"
        ),
        {"sub": subscription_id},
    ).scalar()


LOG_COLUMNS = (
    "id, delivery_id, event, crawl_id, state, attempts, next_attempt_at, last_status, last_error, history, "
    "created_at, delivered_at"
)


def log(session: Session, subscription_id: int, before_id: int | None = None, limit: int = 50) -> list[dict]:
    """A subscription's deliveries, newest first (keyset on id)."""
    rows = session.execute(
        text(
            f"SELECT {LOG_COLUMNS} FROM webhook_deliveries WHERE subscription_id = :sub "
            "AND (CAST(:before AS bigint) IS NULL OR id < :before) ORDER BY id DESC LIMIT :limit"
        ),
        {"sub": subscription_id, "before": before_id, "limit": limit},
    )
    return [{**r._mapping, "delivery_id": str(r.delivery_id)} for r in rows]


def payload_of(session: Session, subscription_id: int, delivery_id: int) -> dict | None:
    return session.execute(
        text("SELECT payload FROM webhook_deliveries WHERE id = :id AND subscription_id = :sub"),
        {"id": delivery_id, "sub": subscription_id},
    ).scalar()
