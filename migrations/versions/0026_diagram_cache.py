"""Whole-schema diagrams cached per crawl (issue #25): catalog_diagram_cache
(a source's schema map as JSON and its views as SVG, each valid while its
crawl is the source's last successful one)

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-08
"""

import sqlalchemy as sa
from alembic import op

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "catalog_diagram_cache",
        sa.Column("source_id", sa.BigInteger, nullable=False),
        sa.Column("part", sa.Text, nullable=False),
        sa.Column("crawl_id", sa.BigInteger, nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["source_id"], ["sources.id"], ondelete="CASCADE", name="fk_catalog_diagram_cache_source_id_sources"
        ),
        sa.PrimaryKeyConstraint("source_id", "part", name="pk_catalog_diagram_cache"),
    )


def downgrade() -> None:
    op.drop_table("catalog_diagram_cache")
