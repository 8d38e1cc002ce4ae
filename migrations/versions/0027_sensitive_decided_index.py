"""The sensitive-column suggestions a curator decided on, indexed apart:
every curated read's ETag reads their latest decision and count, which
scanned all of a source's suggestions (41 ms at 210,000).

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-08
"""

import sqlalchemy as sa
from alembic import op

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_catalog_sensitive_columns_decided",
        "catalog_sensitive_columns",
        ["source_id", "decided_at"],
        postgresql_where=sa.text("decided_at IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_catalog_sensitive_columns_decided", table_name="catalog_sensitive_columns")
