"""Usage: the scan counters beside the activity figures (and their growth
between crawls), each index's scans and since when it has had none, the
statements that touch a table (pg_stat_statements), and their staging

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)
COUNTERS = ("seq_scans", "seq_rows_read", "index_scans", "index_rows_fetched")
DELTAS = (
    "delta_seq_scans",
    "delta_seq_rows_read",
    "delta_index_scans",
    "delta_index_rows_fetched",
    "delta_rows_written",
)


def upgrade() -> None:
    for table in ("catalog_table_activity", "crawl_staged_activity"):
        for name in COUNTERS:
            op.add_column(table, sa.Column(name, sa.BigInteger, nullable=True))
        op.add_column(table, sa.Column("stats_reset_at", TS, nullable=True))
    op.add_column("catalog_table_activity", sa.Column("since_read_at", TS, nullable=True))
    op.add_column("catalog_table_activity", sa.Column("counters_reset", sa.Boolean, nullable=True))
    for name in DELTAS:
        op.add_column("catalog_table_activity", sa.Column(name, sa.BigInteger, nullable=True))
    op.create_table(
        "catalog_index_usage",
        sa.Column("table_id", sa.BigInteger, nullable=False),
        sa.Column("index_name", sa.Text, nullable=False),
        sa.Column("read_at", TS, nullable=False),
        sa.Column("scans", sa.BigInteger, nullable=True),
        sa.Column("delta_scans", sa.BigInteger, nullable=True),
        sa.Column("last_scan_at", TS, nullable=True),
        sa.Column("idle_since", TS, nullable=True),
        sa.Column("stats_reset_at", TS, nullable=True),
        sa.ForeignKeyConstraint(
            ["table_id"],
            ["catalog_tables.id"],
            ondelete="CASCADE",
            name="fk_catalog_index_usage_table_id_catalog_tables",
        ),
        sa.PrimaryKeyConstraint("table_id", "index_name", name="pk_catalog_index_usage"),
    )
    op.create_table(
        "catalog_table_statements",
        sa.Column("table_id", sa.BigInteger, nullable=False),
        sa.Column("query_id", sa.Text, nullable=False),
        sa.Column("source_id", sa.BigInteger, nullable=False),
        sa.Column("query", sa.Text, nullable=False),
        sa.Column("calls", sa.BigInteger, nullable=False),
        sa.Column("total_ms", sa.Float, nullable=False),
        sa.Column("rows", sa.BigInteger, nullable=False),
        sa.Column("read_at", TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["table_id"],
            ["catalog_tables.id"],
            ondelete="CASCADE",
            name="fk_catalog_table_statements_table_id_catalog_tables",
        ),
        sa.ForeignKeyConstraint(
            ["source_id"], ["sources.id"], ondelete="CASCADE", name="fk_catalog_table_statements_source_id_sources"
        ),
        sa.PrimaryKeyConstraint("table_id", "query_id", name="pk_catalog_table_statements"),
    )
    op.create_index("ix_catalog_table_statements_source_id", "catalog_table_statements", ["source_id"])
    op.create_table(
        "crawl_staged_index_usage",
        sa.Column("job_id", sa.BigInteger, nullable=False),
        sa.Column("batch_no", sa.Integer, nullable=False),
        sa.Column("table_id", sa.BigInteger, nullable=False),
        sa.Column("index_name", sa.Text, nullable=False),
        sa.Column("scans", sa.BigInteger, nullable=True),
        sa.Column("last_scan_at", TS, nullable=True),
        sa.PrimaryKeyConstraint("job_id", "table_id", "index_name", name="pk_crawl_staged_index_usage"),
        prefixes=["UNLOGGED"],
    )
    op.create_table(
        "crawl_staged_statements",
        sa.Column("job_id", sa.BigInteger, nullable=False),
        sa.Column("query_id", sa.Text, nullable=False),
        sa.Column("query", sa.Text, nullable=False),
        sa.Column("calls", sa.BigInteger, nullable=False),
        sa.Column("total_ms", sa.Float, nullable=False),
        sa.Column("rows", sa.BigInteger, nullable=False),
        sa.Column("tables", JSONB, nullable=False),
        sa.Column("read_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("job_id", "query_id", name="pk_crawl_staged_statements"),
        prefixes=["UNLOGGED"],
    )


def downgrade() -> None:
    for table in (
        "crawl_staged_statements",
        "crawl_staged_index_usage",
        "catalog_table_statements",
        "catalog_index_usage",
    ):
        op.drop_table(table)
    for name in ("since_read_at", "counters_reset", *DELTAS):
        op.drop_column("catalog_table_activity", name)
    for table in ("catalog_table_activity", "crawl_staged_activity"):
        for name in (*COUNTERS, "stats_reset_at"):
            op.drop_column(table, name)
