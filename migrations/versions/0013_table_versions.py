"""catalog_table_versions: tables' past definitions, kept by each crawl's
apply for what it changes or removes; sources.history_from_crawl_id

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("sources", sa.Column("history_from_crawl_id", sa.BigInteger, nullable=True))
    # The catalog holds exactly what each source's last successful crawl left,
    # so history is complete from that crawl on (earlier ones cannot be rebuilt).
    op.execute(
        "UPDATE sources s SET history_from_crawl_id = (SELECT max(j.id) FROM crawl_jobs j "
        "WHERE j.source_id = s.id AND j.state = 'succeeded')"
    )
    op.create_table(
        "catalog_table_versions",
        sa.Column("table_id", sa.BigInteger, nullable=False),
        sa.Column("valid_to_crawl_id", sa.BigInteger, nullable=False),
        sa.Column("valid_from_crawl_id", sa.BigInteger, nullable=False),
        sa.Column("source_id", sa.BigInteger, nullable=False),
        sa.Column("schema_name", sa.Text, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("comment", sa.Text, nullable=True),
        sa.Column("definition", JSONB, nullable=False),
        sa.PrimaryKeyConstraint("table_id", "valid_to_crawl_id", name="pk_catalog_table_versions"),
        sa.ForeignKeyConstraint(
            ["source_id"], ["sources.id"], name="fk_catalog_table_versions_source_id_sources", ondelete="CASCADE"
        ),
    )
    op.create_index(
        "ix_catalog_table_versions_source_id_valid_to", "catalog_table_versions", ["source_id", "valid_to_crawl_id"]
    )


def downgrade() -> None:
    op.drop_index("ix_catalog_table_versions_source_id_valid_to", table_name="catalog_table_versions")
    op.drop_table("catalog_table_versions")
    op.drop_column("sources", "history_from_crawl_id")
