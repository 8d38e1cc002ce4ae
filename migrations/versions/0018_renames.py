"""Renames keep a table's identity (issue #23): catalog_tables.object_id (the
target's stable id: PostgreSQL's oid) beside the definition, never in it, and
staged the same way (crawl_staged_tables.object_id and renamed_from,
crawl_seen.object_id); catalog_rename_candidates, the probable renames on
engines without stable ids, for a curator to confirm or reject.

Existing tables get their object_id from the next crawl (unchanged tables
too: the signature query reports it), so nothing is described again.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-10
"""

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("catalog_tables", sa.Column("object_id", sa.BigInteger, nullable=True))
    op.create_index(
        "ix_catalog_tables_source_id_object_id",
        "catalog_tables",
        ["source_id", "object_id"],
        postgresql_where=sa.text("removed_at IS NULL AND object_id IS NOT NULL"),
    )
    op.add_column("crawl_staged_tables", sa.Column("object_id", sa.BigInteger, nullable=True))
    op.add_column("crawl_staged_tables", sa.Column("renamed_from", sa.BigInteger, nullable=True))
    op.add_column("crawl_seen", sa.Column("object_id", sa.BigInteger, nullable=True))
    op.create_table(
        "catalog_rename_candidates",
        sa.Column("id", sa.BigInteger, nullable=False),
        sa.Column("source_id", sa.BigInteger, nullable=False),
        sa.Column("crawl_id", sa.BigInteger, nullable=False),
        sa.Column("removed_table_id", sa.BigInteger, nullable=False),
        sa.Column("added_table_id", sa.BigInteger, nullable=False),
        sa.Column("old_schema", sa.Text, nullable=False),
        sa.Column("old_name", sa.Text, nullable=False),
        sa.Column("new_schema", sa.Text, nullable=False),
        sa.Column("new_name", sa.Text, nullable=False),
        sa.Column("status", sa.String(10), server_default="pending", nullable=False),
        sa.Column("found_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("decided_by", sa.BigInteger, nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["source_id"], ["sources.id"], name="fk_catalog_rename_candidates_source_id_sources", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["decided_by"], ["users.id"], name="fk_catalog_rename_candidates_decided_by_users", ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_catalog_rename_candidates"),
        sa.UniqueConstraint("removed_table_id", "added_table_id", name="uq_catalog_rename_candidates_pair"),
    )
    op.create_index(
        "ix_catalog_rename_candidates_source_id_status",
        "catalog_rename_candidates",
        ["source_id", "status", "id"],
    )


def downgrade() -> None:
    op.drop_table("catalog_rename_candidates")
    op.drop_column("crawl_seen", "object_id")
    op.drop_column("crawl_staged_tables", "renamed_from")
    op.drop_column("crawl_staged_tables", "object_id")
    op.drop_index("ix_catalog_tables_source_id_object_id", table_name="catalog_tables")
    op.drop_column("catalog_tables", "object_id")
