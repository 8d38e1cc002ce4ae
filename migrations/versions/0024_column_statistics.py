"""Column statistics and sensitive-column suggestions (issue #26):
catalog_column_statistics (each column's planner statistics as the last
crawl read them, apart from the definitions) and its staging,
crawl_staged_statistics; catalog_sensitive_columns (suggestions a curator
confirms as a tag or dismisses)

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def _figures() -> list[sa.Column]:
    return [
        sa.Column("column_name", sa.Text, nullable=False),
        sa.Column("null_fraction", sa.Float, nullable=True),
        sa.Column("n_distinct", sa.Float, nullable=True),
        sa.Column("avg_width", sa.Integer, nullable=True),
        sa.Column("correlation", sa.Float, nullable=True),
        sa.Column("gathered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("most_common_values", JSONB, nullable=True),
        sa.Column("most_common_freqs", JSONB, nullable=True),
        sa.Column("histogram_bounds", JSONB, nullable=True),
        sa.Column("value_pattern", sa.Text, nullable=True),
    ]


def upgrade() -> None:
    op.create_table(
        "catalog_column_statistics",
        sa.Column("table_id", sa.BigInteger, nullable=False),
        *_figures(),
        sa.ForeignKeyConstraint(
            ["table_id"],
            ["catalog_tables.id"],
            ondelete="CASCADE",
            name="fk_catalog_column_statistics_table_id_catalog_tables",
        ),
        sa.PrimaryKeyConstraint("table_id", "column_name", name="pk_catalog_column_statistics"),
    )
    op.create_table(
        "crawl_staged_statistics",
        sa.Column("job_id", sa.BigInteger, nullable=False),
        sa.Column("batch_no", sa.Integer, nullable=False),
        sa.Column("table_id", sa.BigInteger, nullable=False),
        *_figures(),
        sa.PrimaryKeyConstraint("job_id", "table_id", "column_name", name="pk_crawl_staged_statistics"),
        prefixes=["UNLOGGED"],
    )
    op.create_table(
        "catalog_sensitive_columns",
        sa.Column("id", sa.BigInteger, nullable=False),
        sa.Column("source_id", sa.BigInteger, nullable=False),
        sa.Column("table_id", sa.BigInteger, nullable=False),
        sa.Column("column_name", sa.Text, nullable=False),
        sa.Column("score", sa.Integer, nullable=False),
        sa.Column("reasons", JSONB, nullable=False),
        sa.Column("status", sa.String(10), server_default="pending", nullable=False),
        sa.Column("found_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("decided_by", sa.BigInteger, nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["source_id"], ["sources.id"], ondelete="CASCADE", name="fk_catalog_sensitive_columns_source_id_sources"
        ),
        sa.ForeignKeyConstraint(
            ["table_id"],
            ["catalog_tables.id"],
            ondelete="CASCADE",
            name="fk_catalog_sensitive_columns_table_id_catalog_tables",
        ),
        sa.ForeignKeyConstraint(
            ["decided_by"], ["users.id"], ondelete="SET NULL", name="fk_catalog_sensitive_columns_decided_by_users"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_catalog_sensitive_columns"),
    )
    op.create_index(
        "uq_catalog_sensitive_columns_column", "catalog_sensitive_columns", ["table_id", "column_name"], unique=True
    )
    op.create_index(
        "ix_catalog_sensitive_columns_source_id_status", "catalog_sensitive_columns", ["source_id", "status", "id"]
    )


def downgrade() -> None:
    op.drop_table("catalog_sensitive_columns")
    op.drop_table("crawl_staged_statistics")
    op.drop_table("catalog_column_statistics")
