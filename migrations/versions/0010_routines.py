"""catalog_objects: a source's sequences, triggers and routines; crawl_jobs.objects
carries what the plan listed to the finish

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("crawl_jobs", sa.Column("objects", JSONB, nullable=True))
    op.create_table(
        "catalog_objects",
        sa.Column("source_id", sa.BigInteger, nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("schema_name", sa.Text, nullable=False),
        sa.Column("table_name", sa.Text, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("arguments", sa.Text, nullable=False),
        sa.Column("details", JSONB, nullable=False),
        sa.Column("body", sa.Text, nullable=True),
        sa.ForeignKeyConstraint(
            ["source_id"], ["sources.id"], name="fk_catalog_objects_source_id_sources", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint(
            "source_id", "kind", "schema_name", "table_name", "name", "arguments", name="pk_catalog_objects"
        ),
    )


def downgrade() -> None:
    op.drop_table("catalog_objects")
    op.drop_column("crawl_jobs", "objects")
