"""Webhooks: a source's subscriptions and their deliveries, the outbox the
workers send from (catalog/webhooks/, worker/webhooks.py)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint, Uuid, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, ts


class WebhookSubscription(Base):
    """A URL subscribed to a source's events by a team admin: which events
    (schema changes filtered by kind, hazard and an object glob; crawl
    failures; new lint findings), the body's format (json or slack), the
    signing secret (a Fernet token, like a source's credentials), and how its
    last delivery went."""

    __tablename__ = "webhook_subscriptions"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"))
    url: Mapped[str] = mapped_column(Text)
    secret: Mapped[str] = mapped_column(Text)
    # schema_change, crawl_failed, lint_findings
    events: Mapped[list] = mapped_column(JSONB, server_default=text("'[]'::jsonb"))
    # schema changes only of these change event kinds / hazard labels ([]: any)
    change_kinds: Mapped[list] = mapped_column(JSONB, server_default=text("'[]'::jsonb"))
    hazards: Mapped[list] = mapped_column(JSONB, server_default=text("'[]'::jsonb"))
    # schema changes only of objects whose schema.name matches (* any characters, ? one); None: any
    object_glob: Mapped[str | None] = mapped_column(Text)
    format: Mapped[str] = mapped_column(String(10), server_default="json")
    enabled: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = ts(server_default=text("now()"))
    # the last delivery that ended: succeeded or failed, when, and why it failed
    last_delivery_state: Mapped[str | None] = mapped_column(String(12))
    last_delivery_at: Mapped[datetime | None] = ts()
    last_error: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (Index("ix_webhook_subscriptions_source_id", "source_id"),)


class WebhookDelivery(Base):
    """One event for one subscription, written in the transaction that
    recorded the event (the outbox): its body built once, its state
    (pending, delivering, succeeded, failed), attempts and their outcomes.
    `delivery_id` is the idempotence id a receiver sees on every attempt;
    `id` orders a subscription's deliveries (crawl order)."""

    __tablename__ = "webhook_deliveries"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    delivery_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("webhook_subscriptions.id", ondelete="CASCADE"))
    # schema_change, crawl_failed, lint_findings or test
    event: Mapped[str] = mapped_column(String(20))
    crawl_id: Mapped[int | None] = mapped_column(BigInteger)
    payload: Mapped[dict] = mapped_column(JSONB)
    state: Mapped[str] = mapped_column(String(12), server_default="pending")
    attempts: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    next_attempt_at: Mapped[datetime] = ts(server_default=text("now()"))
    # while `delivering`: past this, its worker is taken for lost and it is sent again
    lease_until: Mapped[datetime | None] = ts()
    last_status: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    # every attempt: {"at", "status", "error", "ms"}
    history: Mapped[list] = mapped_column(JSONB, server_default=text("'[]'::jsonb"))
    created_at: Mapped[datetime] = ts(server_default=text("now()"))
    delivered_at: Mapped[datetime | None] = ts()

    __table_args__ = (
        UniqueConstraint("delivery_id", name="uq_webhook_deliveries_delivery_id"),
        # one delivery per subscription, event and crawl (a finish run twice queues one)
        UniqueConstraint("subscription_id", "event", "crawl_id", name="uq_webhook_deliveries_subscription_event_crawl"),
        Index("ix_webhook_deliveries_subscription_id_id", "subscription_id", "id"),
        # the sweep's look for what is due or whose worker was lost
        Index(
            "ix_webhook_deliveries_unfinished",
            "next_attempt_at",
            postgresql_where=text("state IN ('pending', 'delivering')"),
        ),
    )
