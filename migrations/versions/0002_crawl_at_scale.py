"""the crawl at 100,000 tables: target signatures, staged columns, a column-name dictionary

- catalog_tables.signature: a hash the target computes over a table's
  definition; a recrawl describes (and parses) only tables whose signature
  moved. last_seen_crawl_id goes: a live table is, by definition, confirmed by
  its source's last successful crawl, so its crawled_at is read from the source
  and an unchanged recrawl no longer rewrites every table row.
- crawl_staged_columns: batches stage column rows (with the table ids they
  allocate for new tables), so finish copies rows instead of unpacking JSON.
- catalog_columns loses its foreign key (a check per column written).
- catalog_column_names: each source's distinct column names with the trigram
  index, replacing the trigram index over every column row (measured: that
  index tripled the cost of writing a million columns). Substring and
  near-miss column search find names here, then columns by name.

Staging is dropped and recreated: a crawl running during the upgrade fails
and is started again.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        "UPDATE crawl_jobs SET state = 'failed', finished_at = now(), error_type = 'interrupted', "
        "error_message = 'metacrawl was upgraded while this crawl ran; start it again' "
        "WHERE state IN ('queued', 'running')"
    )
    op.add_column("catalog_tables", sa.Column("signature", sa.Text))
    op.drop_column("catalog_tables", "last_seen_crawl_id")

    # catalog_columns is the search index of the stored definitions, written
    # only by a crawl's apply; the key check per row doubled the cost of
    # writing a million columns. Deleting a source deletes its columns itself.
    op.drop_constraint("fk_catalog_columns_table_id_catalog_tables", "catalog_columns", type_="foreignkey")
    op.drop_index("ix_catalog_columns_name_trgm", table_name="catalog_columns")
    op.drop_index("ix_catalog_columns_name_pattern", table_name="catalog_columns")
    op.drop_index("ix_catalog_columns_source_id", table_name="catalog_columns")
    # exact and prefix search of a user's sources, and the lookup of columns by name
    op.execute(
        "CREATE INDEX ix_catalog_columns_source_id_name ON catalog_columns (source_id, lower(name) text_pattern_ops)"
    )

    op.create_table(
        "catalog_column_names",
        sa.Column("source_id", sa.BigInteger, sa.ForeignKey("sources.id", ondelete="CASCADE"), nullable=False),
        sa.Column("name", sa.Text, nullable=False),  # lower(column name)
        sa.PrimaryKeyConstraint("source_id", "name", name="pk_catalog_column_names"),
    )
    op.execute("CREATE INDEX ix_catalog_column_names_name_trgm ON catalog_column_names USING gin (name gin_trgm_ops)")
    op.execute(
        "INSERT INTO catalog_column_names (source_id, name) SELECT DISTINCT source_id, lower(name) FROM catalog_columns"
    )

    op.execute("DROP TABLE crawl_staged_tables")
    op.execute("DROP TABLE crawl_seen")
    _create_staging()


def _create_staging() -> None:
    # Unlogged: a server crash loses only in-flight crawls, which then fail anyway.
    op.execute("""
        CREATE UNLOGGED TABLE crawl_staged_tables (
            job_id bigint NOT NULL,
            batch_no integer NOT NULL,
            table_id bigint NOT NULL,  -- the catalog row's id; allocated by the batch for a new table
            is_new boolean NOT NULL,
            schema_name text NOT NULL,
            name text NOT NULL,
            kind varchar(30) NOT NULL,
            comment text,
            row_estimate bigint,
            size_bytes bigint,
            fingerprint varchar(32) NOT NULL,
            signature text,
            definition jsonb NOT NULL,
            changes jsonb,
            -- keyed as the apply joins it: by the catalog row's id
            CONSTRAINT pk_crawl_staged_tables PRIMARY KEY (job_id, table_id)
        )""")
    op.execute("""
        CREATE UNLOGGED TABLE crawl_staged_columns (
            job_id bigint NOT NULL,
            table_id bigint NOT NULL,
            ordinal integer NOT NULL,
            name text NOT NULL,
            type text NOT NULL,
            comment text
        )""")
    op.execute("CREATE INDEX ix_crawl_staged_columns_job_id ON crawl_staged_columns (job_id)")
    op.execute("""
        CREATE UNLOGGED TABLE crawl_seen (
            job_id bigint NOT NULL,
            batch_no integer NOT NULL,
            table_id bigint NOT NULL,
            row_estimate bigint,
            size_bytes bigint,
            signature text,
            CONSTRAINT pk_crawl_seen PRIMARY KEY (job_id, table_id)
        )""")


def downgrade() -> None:
    op.execute(
        "UPDATE crawl_jobs SET state = 'failed', finished_at = now(), error_type = 'interrupted', "
        "error_message = 'metacrawl was downgraded while this crawl ran; start it again' "
        "WHERE state IN ('queued', 'running')"
    )
    op.execute("DROP TABLE crawl_staged_columns")
    op.execute("DROP TABLE crawl_seen")
    op.execute("DROP TABLE crawl_staged_tables")
    op.execute("""
        CREATE UNLOGGED TABLE crawl_staged_tables (
            job_id bigint NOT NULL, batch_no integer NOT NULL, table_id bigint, schema_name text NOT NULL,
            name text NOT NULL, kind varchar(30) NOT NULL, comment text, row_estimate bigint, size_bytes bigint,
            fingerprint varchar(32) NOT NULL, definition jsonb NOT NULL, changes jsonb,
            CONSTRAINT pk_crawl_staged_tables PRIMARY KEY (job_id, schema_name, name))""")
    op.execute("""
        CREATE UNLOGGED TABLE crawl_seen (
            job_id bigint NOT NULL, batch_no integer NOT NULL, table_id bigint NOT NULL, row_estimate bigint,
            size_bytes bigint, CONSTRAINT pk_crawl_seen PRIMARY KEY (job_id, table_id))""")
    op.drop_table("catalog_column_names")
    op.drop_index("ix_catalog_columns_source_id_name", table_name="catalog_columns")
    op.execute(
        "DELETE FROM catalog_columns c WHERE NOT EXISTS (SELECT 1 FROM catalog_tables t WHERE t.id = c.table_id)"
    )
    op.create_foreign_key(
        "fk_catalog_columns_table_id_catalog_tables",
        "catalog_columns",
        "catalog_tables",
        ["table_id"],
        ["id"],
        ondelete="CASCADE",
    )
    op.create_index("ix_catalog_columns_source_id", "catalog_columns", ["source_id"])
    op.execute("CREATE INDEX ix_catalog_columns_name_pattern ON catalog_columns (lower(name) text_pattern_ops)")
    op.execute("CREATE INDEX ix_catalog_columns_name_trgm ON catalog_columns USING gin (lower(name) gin_trgm_ops)")
    # 0001 stores every live table's crawled_at; since 0002 it is its source's last success
    op.execute(
        "UPDATE catalog_tables t SET crawled_at = s.last_success_at FROM sources s "
        "WHERE s.id = t.source_id AND t.removed_at IS NULL AND s.last_success_at IS NOT NULL"
    )
    op.add_column("catalog_tables", sa.Column("last_seen_crawl_id", sa.BigInteger))
    op.execute("UPDATE catalog_tables SET last_seen_crawl_id = coalesce(changed_crawl_id, first_seen_crawl_id)")
    op.alter_column("catalog_tables", "last_seen_crawl_id", nullable=False)
    op.drop_column("catalog_tables", "signature")
