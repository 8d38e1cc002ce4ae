"""catalog_findings: table_id, so lint recomputes only the findings of the
tables that changed since its last run; no foreign key to sources (its check
per row doubled the cost of writing findings)

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("catalog_findings", sa.Column("table_id", sa.BigInteger, nullable=True))
    op.drop_constraint("fk_catalog_findings_source_id_sources", "catalog_findings", type_="foreignkey")
    # findings stored before have no table_id: forgetting the runs makes the
    # next refresh of each source a whole one, which replaces them all
    op.execute("DELETE FROM catalog_insight_runs")


def downgrade() -> None:
    op.execute("DELETE FROM catalog_findings f WHERE NOT EXISTS (SELECT 1 FROM sources s WHERE s.id = f.source_id)")
    op.create_foreign_key(
        "fk_catalog_findings_source_id_sources",
        "catalog_findings",
        "sources",
        ["source_id"],
        ["id"],
        ondelete="CASCADE",
    )
    op.drop_column("catalog_findings", "table_id")
