"""catalog_findings: an index on (source_id, table_id), so an incremental
lint deletes the findings of the tables (and column names) it recomputes
without reading every finding of the source

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-29
"""

from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_catalog_findings_source_id_table_id", "catalog_findings", ["source_id", "table_id"])


def downgrade() -> None:
    op.drop_index("ix_catalog_findings_source_id_table_id", table_name="catalog_findings")
