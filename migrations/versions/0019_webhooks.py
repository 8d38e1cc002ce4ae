"""Webhooks (issue #24): webhook_subscriptions (a URL subscribed to a
source's events, its secret encrypted like a source's credentials) and
webhook_deliveries, the outbox: one row per event and subscription, written
in the transaction that recorded the event, sent by the workers.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

EMPTY = sa.text("'[]'::jsonb")


def upgrade() -> None:
    op.create_table(
        "webhook_subscriptions",
        sa.Column("id", sa.BigInteger, nullable=False),
        sa.Column("source_id", sa.BigInteger, nullable=False),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("secret", sa.Text, nullable=False),
        sa.Column("events", JSONB, server_default=EMPTY, nullable=False),
        sa.Column("change_kinds", JSONB, server_default=EMPTY, nullable=False),
        sa.Column("hazards", JSONB, server_default=EMPTY, nullable=False),
        sa.Column("object_glob", sa.Text, nullable=True),
        sa.Column("format", sa.String(10), server_default="json", nullable=False),
        sa.Column("enabled", sa.Boolean, server_default=sa.text("true"), nullable=False),
        sa.Column("created_by", sa.BigInteger, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("last_delivery_state", sa.String(12), nullable=True),
        sa.Column("last_delivery_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.ForeignKeyConstraint(
            ["source_id"], ["sources.id"], name="fk_webhook_subscriptions_source_id_sources", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name="fk_webhook_subscriptions_created_by_users", ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_webhook_subscriptions"),
    )
    op.create_index("ix_webhook_subscriptions_source_id", "webhook_subscriptions", ["source_id"])
    op.create_table(
        "webhook_deliveries",
        sa.Column("id", sa.BigInteger, nullable=False),
        sa.Column("delivery_id", sa.Uuid, nullable=False),
        sa.Column("subscription_id", sa.BigInteger, nullable=False),
        sa.Column("event", sa.String(20), nullable=False),
        sa.Column("crawl_id", sa.BigInteger, nullable=True),
        sa.Column("payload", JSONB, nullable=False),
        sa.Column("state", sa.String(12), server_default="pending", nullable=False),
        sa.Column("attempts", sa.Integer, server_default=sa.text("0"), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_status", sa.Integer, nullable=True),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.Column("history", JSONB, server_default=EMPTY, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["webhook_subscriptions.id"],
            name="fk_webhook_deliveries_subscription_id_webhook_subscriptions",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_webhook_deliveries"),
        sa.UniqueConstraint("delivery_id", name="uq_webhook_deliveries_delivery_id"),
        sa.UniqueConstraint(
            "subscription_id", "event", "crawl_id", name="uq_webhook_deliveries_subscription_event_crawl"
        ),
    )
    op.create_index("ix_webhook_deliveries_subscription_id_id", "webhook_deliveries", ["subscription_id", "id"])
    op.create_index(
        "ix_webhook_deliveries_unfinished",
        "webhook_deliveries",
        ["next_attempt_at"],
        postgresql_where=sa.text("state IN ('pending', 'delivering')"),
    )


def downgrade() -> None:
    op.drop_table("webhook_deliveries")
    op.drop_table("webhook_subscriptions")
