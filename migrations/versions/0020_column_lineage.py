"""catalog_column_lineage (issue #26): the views' column lineage as edges,
one row per output column and source column (or a column a view reads only
to filter or join), kept by each crawl's apply for the views it added,
changed or removed; indexed by source table for a table's "read by".
Nothing to backfill: stored views get their `lineage` part when next
described (PostgreSQL's signature prefix moved to pg5 for that).

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "catalog_column_lineage",
        sa.Column("view_id", sa.BigInteger, nullable=False),
        sa.Column("ordinal", sa.Integer, nullable=False),
        sa.Column("source_id", sa.BigInteger, nullable=False),
        sa.Column("view_column", sa.Text, nullable=True),
        sa.Column("source_schema", sa.Text, nullable=False),
        sa.Column("source_table", sa.Text, nullable=False),
        sa.Column("source_column", sa.Text, nullable=False),
        sa.Column("found", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("view_id", "ordinal", name="pk_catalog_column_lineage"),
    )
    op.create_index(
        "ix_catalog_column_lineage_read_by", "catalog_column_lineage", ["source_id", "source_schema", "source_table"]
    )


def downgrade() -> None:
    op.drop_index("ix_catalog_column_lineage_read_by", table_name="catalog_column_lineage")
    op.drop_table("catalog_column_lineage")
