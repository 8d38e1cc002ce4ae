"""catalog_tables: a partition's parent as stored columns, with indexes for
schema pages that hide partitions and for counting a table's partitions

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("catalog_tables", sa.Column("partition_of_schema", sa.Text, nullable=True))
    op.add_column("catalog_tables", sa.Column("partition_of_name", sa.Text, nullable=True))
    # definitions stored before this version have no partition_of; the first
    # recrawl (PostgreSQL signatures pg3:) adds it, and its apply fills these
    op.execute(
        "UPDATE catalog_tables SET partition_of_schema = definition->'partition_of'->>'schema', "
        "partition_of_name = definition->'partition_of'->>'table' WHERE definition ? 'partition_of'"
    )
    op.create_index(
        "ix_catalog_tables_source_schema_name_unpartitioned",
        "catalog_tables",
        ["source_id", "schema_name", "name"],
        postgresql_where=sa.text("removed_at IS NULL AND partition_of_name IS NULL"),
    )
    op.create_index(
        "ix_catalog_tables_partition_of",
        "catalog_tables",
        ["source_id", "partition_of_schema", "partition_of_name"],
        postgresql_where=sa.text("removed_at IS NULL AND partition_of_name IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_catalog_tables_partition_of", table_name="catalog_tables")
    op.drop_index("ix_catalog_tables_source_schema_name_unpartitioned", table_name="catalog_tables")
    op.drop_column("catalog_tables", "partition_of_name")
    op.drop_column("catalog_tables", "partition_of_schema")
