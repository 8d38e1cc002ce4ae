"""catalog_foreign_keys: the stored definitions' foreign keys as edges,
indexed by the table they reference (a table's `referenced_by`)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

# The same rows a crawl's apply writes (catalog/apply.py, foreign_key_rows),
# for every live table the catalog already holds.
BACKFILL = """
    INSERT INTO catalog_foreign_keys (table_id, ordinal, source_id, name, columns, referenced_schema,
        referenced_table, referenced_columns, on_update, on_delete, definition, validated, "deferrable", deferred)
    SELECT t.id, k.ord, t.source_id, k.fk->>'name', coalesce(k.fk->'columns', '[]'), k.fk->>'referenced_schema',
           k.fk->>'referenced_table', coalesce(k.fk->'referenced_columns', '[]'), k.fk->>'on_update',
           k.fk->>'on_delete', k.fk->>'definition', CAST(k.fk->>'validated' AS boolean),
           CAST(k.fk->>'deferrable' AS boolean), CAST(k.fk->>'deferred' AS boolean)
    FROM catalog_tables t
    CROSS JOIN LATERAL jsonb_array_elements(CASE WHEN jsonb_typeof(t.definition->'foreign_keys') = 'array'
                                                 THEN t.definition->'foreign_keys' ELSE '[]' END)
         WITH ORDINALITY AS k(fk, ord)
    WHERE t.removed_at IS NULL AND k.fk->>'referenced_schema' IS NOT NULL AND k.fk->>'referenced_table' IS NOT NULL
"""


def upgrade() -> None:
    op.create_table(
        "catalog_foreign_keys",
        sa.Column("table_id", sa.BigInteger, nullable=False),
        sa.Column("ordinal", sa.Integer, nullable=False),
        sa.Column("source_id", sa.BigInteger, nullable=False),
        sa.Column("name", sa.Text),
        sa.Column("columns", JSONB, nullable=False),
        sa.Column("referenced_schema", sa.Text, nullable=False),
        sa.Column("referenced_table", sa.Text, nullable=False),
        sa.Column("referenced_columns", JSONB, nullable=False),
        sa.Column("on_update", sa.Text),
        sa.Column("on_delete", sa.Text),
        sa.Column("definition", sa.Text),
        sa.Column("validated", sa.Boolean),
        sa.Column("deferrable", sa.Boolean),
        sa.Column("deferred", sa.Boolean),
        sa.PrimaryKeyConstraint("table_id", "ordinal", name="pk_catalog_foreign_keys"),
    )
    op.execute(BACKFILL)
    op.create_index(
        "ix_catalog_foreign_keys_referenced",
        "catalog_foreign_keys",
        ["source_id", "referenced_schema", "referenced_table"],
    )


def downgrade() -> None:
    op.drop_index("ix_catalog_foreign_keys_referenced", table_name="catalog_foreign_keys")
    op.drop_table("catalog_foreign_keys")
