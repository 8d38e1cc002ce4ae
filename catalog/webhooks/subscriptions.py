"""A source's webhook subscriptions: create, read, change, delete, and a new
secret. The caller checked who may (api/ownership.py: a team admin), the URL
against the egress policy (engines/webhook_egress.py) and encrypted the
secret (catalog/vault.py); rows come back as dicts without the secret."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ..models import WebhookSubscription

# what a subscription reads as (never the secret)
FIELDS = (
    "id",
    "source_id",
    "url",
    "events",
    "change_kinds",
    "hazards",
    "object_glob",
    "format",
    "enabled",
    "created_by",
    "created_at",
    "last_delivery_state",
    "last_delivery_at",
    "last_error",
)
# what a PATCH may change
CHANGEABLE = ("url", "events", "change_kinds", "hazards", "object_glob", "format", "enabled")


def as_dict(row: WebhookSubscription) -> dict:
    return {name: getattr(row, name) for name in FIELDS}


def create(session: Session, source_id: int, secret_token: str, created_by: int | None, **fields) -> dict:
    row = WebhookSubscription(source_id=source_id, secret=secret_token, created_by=created_by)
    for name in CHANGEABLE:
        if name in fields:
            setattr(row, name, fields[name])
    session.add(row)
    session.flush()
    session.refresh(row)
    return as_dict(row)


def _row(session: Session, source_id: int, subscription_id: int, lock: bool = False) -> WebhookSubscription | None:
    query = select(WebhookSubscription).where(
        WebhookSubscription.id == subscription_id, WebhookSubscription.source_id == source_id
    )
    return session.scalars(query.with_for_update() if lock else query).one_or_none()


def get(session: Session, source_id: int, subscription_id: int) -> dict | None:
    row = _row(session, source_id, subscription_id)
    return None if row is None else as_dict(row)


def of_source(session: Session, source_id: int) -> list[dict]:
    rows = session.scalars(
        select(WebhookSubscription).where(WebhookSubscription.source_id == source_id).order_by(WebhookSubscription.id)
    )
    return [as_dict(r) for r in rows]


def update(session: Session, source_id: int, subscription_id: int, **fields) -> dict | None:
    row = _row(session, source_id, subscription_id, lock=True)
    if row is None:
        return None
    for name, value in fields.items():
        if name in CHANGEABLE:
            setattr(row, name, value)
    session.flush()
    return as_dict(row)


def set_secret(session: Session, source_id: int, subscription_id: int, secret_token: str) -> dict | None:
    """A new secret: deliveries sent from now on are signed with it."""
    row = _row(session, source_id, subscription_id, lock=True)
    if row is None:
        return None
    row.secret = secret_token
    session.flush()
    return as_dict(row)


def remove(session: Session, source_id: int, subscription_id: int) -> bool:
    """Delete it with its delivery log (what is still pending is not sent)."""
    done = session.execute(
        delete(WebhookSubscription)
        .where(WebhookSubscription.id == subscription_id, WebhookSubscription.source_id == source_id)
        .returning(WebhookSubscription.id)
    ).scalar()
    return done is not None


def rotate_all(session: Session, rotate) -> int:
    """Re-encrypt every subscription's secret (`rotate`: token -> token, the
    vault's); `metacrawl rotate-keys` calls it beside the sources' secrets."""
    rows = session.scalars(select(WebhookSubscription).order_by(WebhookSubscription.id).with_for_update())
    count = 0
    for row in rows:
        row.secret = rotate(row.secret.encode("ascii")).decode("ascii")
        count += 1
    return count
