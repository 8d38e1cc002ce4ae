"""insights: lint findings, ignore lists, insight runs, inferred keys; hazard labels on change events

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def _source_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["source_id"], ["sources.id"], name=f"fk_{table}_source_id_sources", ondelete="CASCADE"
    )


def upgrade() -> None:
    op.add_column("change_events", sa.Column("hazard", sa.String(10), nullable=True))
    op.add_column("change_events", sa.Column("hazard_reasons", JSONB, nullable=True))
    op.create_table(
        "catalog_findings",
        sa.Column("id", sa.BigInteger, nullable=False),
        sa.Column("source_id", sa.BigInteger, nullable=False),
        sa.Column("rule", sa.String(50), nullable=False),
        sa.Column("severity", sa.String(10), nullable=False),
        sa.Column("schema_name", sa.Text, nullable=True),
        sa.Column("table_name", sa.Text, nullable=True),
        sa.Column("object_name", sa.Text, nullable=True),
        sa.Column("object", sa.Text, nullable=False),
        sa.Column("message", sa.Text, nullable=False),
        sa.Column("fix", sa.Text, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_catalog_findings"),
        _source_fk("catalog_findings"),
    )
    op.create_index("ix_catalog_findings_source_id_id", "catalog_findings", ["source_id", "id"])
    op.create_table(
        "catalog_insight_ignores",
        sa.Column("source_id", sa.BigInteger, nullable=False),
        sa.Column("rule", sa.String(50), nullable=False),
        sa.Column("pattern", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("source_id", "rule", "pattern", name="pk_catalog_insight_ignores"),
        _source_fk("catalog_insight_ignores"),
    )
    op.create_table(
        "catalog_insight_runs",
        sa.Column("source_id", sa.BigInteger, nullable=False),
        sa.Column("crawl_id", sa.BigInteger, nullable=True),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("seconds", JSONB, nullable=True),
        sa.PrimaryKeyConstraint("source_id", name="pk_catalog_insight_runs"),
        _source_fk("catalog_insight_runs"),
    )
    op.create_table(
        "catalog_inferred_keys",
        sa.Column("id", sa.BigInteger, nullable=False),
        sa.Column("source_id", sa.BigInteger, nullable=False),
        sa.Column("schema_name", sa.Text, nullable=False),
        sa.Column("table_name", sa.Text, nullable=False),
        sa.Column("column_name", sa.Text, nullable=False),
        sa.Column("referenced_schema", sa.Text, nullable=False),
        sa.Column("referenced_table", sa.Text, nullable=False),
        sa.Column("referenced_column", sa.Text, nullable=False),
        sa.Column("score", sa.Float, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("decision", sa.String(10), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_catalog_inferred_keys"),
        _source_fk("catalog_inferred_keys"),
        sa.UniqueConstraint(
            "source_id",
            "schema_name",
            "table_name",
            "column_name",
            "referenced_schema",
            "referenced_table",
            name="uq_catalog_inferred_keys_names",
        ),
    )


def downgrade() -> None:
    op.drop_table("catalog_inferred_keys")
    op.drop_table("catalog_insight_runs")
    op.drop_table("catalog_insight_ignores")
    op.drop_index("ix_catalog_findings_source_id_id", table_name="catalog_findings")
    op.drop_table("catalog_findings")
    op.drop_column("change_events", "hazard_reasons")
    op.drop_column("change_events", "hazard")
