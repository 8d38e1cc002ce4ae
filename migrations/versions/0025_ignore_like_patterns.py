"""The ignore list's globs stored as LIKE patterns too (a backslash now
takes the next character literally, so an object named with * or ? can be
ignored alone), and the findings' (source, rule, id) index.

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-08
"""

import sqlalchemy as sa
from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("catalog_insight_ignores", sa.Column("like_pattern", sa.Text, nullable=True))
    # the stored globs as the reads turned them into LIKE patterns until now
    # (no backslash escapes then), so no ignored finding comes back
    op.execute(
        r"""UPDATE catalog_insight_ignores SET like_pattern =
        replace(replace(replace(replace(replace(pattern, '\', '\\'), '%', '\%'), '_', '\_'), '*', '%'), '?', '_')"""
    )
    op.alter_column("catalog_insight_ignores", "like_pattern", nullable=False)
    op.create_index("ix_catalog_findings_source_id_rule_id", "catalog_findings", ["source_id", "rule", "id"])


def downgrade() -> None:
    op.drop_index("ix_catalog_findings_source_id_rule_id", table_name="catalog_findings")
    op.drop_column("catalog_insight_ignores", "like_pattern")
