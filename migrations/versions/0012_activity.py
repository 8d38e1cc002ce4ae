"""Sizes, activity and warnings: catalog_tables.row_estimate_source, the
tables' usage statistics apart from their definitions (catalog_table_activity
and its staging), and an index counting the tables the target could not
describe

Revision ID: 0012
Revises: 0010
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0010"
branch_labels = None
depends_on = None


def _activity_columns() -> list[sa.Column]:
    ts = sa.DateTime(timezone=True)
    return [
        sa.Column("read_at", ts, nullable=False),
        sa.Column("rows_inserted", sa.BigInteger, nullable=True),
        sa.Column("rows_updated", sa.BigInteger, nullable=True),
        sa.Column("rows_deleted", sa.BigInteger, nullable=True),
        sa.Column("live_rows", sa.BigInteger, nullable=True),
        sa.Column("dead_rows", sa.BigInteger, nullable=True),
        sa.Column("last_vacuum_at", ts, nullable=True),
        sa.Column("last_autovacuum_at", ts, nullable=True),
        sa.Column("last_analyze_at", ts, nullable=True),
        sa.Column("last_autoanalyze_at", ts, nullable=True),
        sa.Column("last_update_at", ts, nullable=True),
    ]


def upgrade() -> None:
    # stored tables get theirs on the next crawl (an unchanged table's seen
    # row carries it), so no backfill
    for table in ("catalog_tables", "crawl_staged_tables", "crawl_seen"):
        op.add_column(table, sa.Column("row_estimate_source", sa.Text, nullable=True))
    op.create_index(
        "ix_catalog_tables_warnings",
        "catalog_tables",
        ["source_id"],
        postgresql_where=sa.text("removed_at IS NULL AND definition ? 'warnings'"),
    )
    op.create_table(
        "catalog_table_activity",
        sa.Column("table_id", sa.BigInteger, nullable=False),
        *_activity_columns(),
        sa.ForeignKeyConstraint(
            ["table_id"],
            ["catalog_tables.id"],
            ondelete="CASCADE",
            name="fk_catalog_table_activity_table_id_catalog_tables",
        ),
        sa.PrimaryKeyConstraint("table_id", name="pk_catalog_table_activity"),
    )
    op.create_table(
        "crawl_staged_activity",
        sa.Column("job_id", sa.BigInteger, nullable=False),
        sa.Column("batch_no", sa.Integer, nullable=False),
        sa.Column("table_id", sa.BigInteger, nullable=False),
        *_activity_columns(),
        sa.PrimaryKeyConstraint("job_id", "table_id", name="pk_crawl_staged_activity"),
        prefixes=["UNLOGGED"],
    )


def downgrade() -> None:
    op.drop_table("crawl_staged_activity")
    op.drop_table("catalog_table_activity")
    op.drop_index("ix_catalog_tables_warnings", table_name="catalog_tables")
    for table in ("crawl_seen", "crawl_staged_tables", "catalog_tables"):
        op.drop_column(table, "row_estimate_source")
