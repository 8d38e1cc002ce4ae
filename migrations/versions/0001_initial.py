"""accounts, sources, crawl jobs and the catalog of crawled objects

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")

    op.create_table(
        "users",
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("password_hash", sa.Text, nullable=False),
        sa.Column("is_admin", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("created_at", TS, nullable=False, server_default=sa.func.now()),
    )
    op.create_index("uq_users_email_lower", "users", [sa.text("lower(email)")], unique=True)

    op.create_table(
        "sources",
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column("user_id", sa.BigInteger, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("engine", sa.String(20), nullable=False),
        sa.Column("host", sa.String(255), nullable=False),
        sa.Column("port", sa.Integer, nullable=False),
        sa.Column("database", sa.String(255), nullable=False),
        sa.Column("username", sa.String(255), nullable=False),
        sa.Column("password_encrypted", sa.LargeBinary, nullable=False),
        sa.Column("options", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
        sa.Column("schedule", sa.String(100)),
        sa.Column("next_crawl_at", TS),
        sa.Column("last_crawled_at", TS),
        sa.Column("last_crawl_id", sa.BigInteger),
        sa.Column("last_success_at", TS),
        sa.Column("catalog_changed_at", TS),
        sa.Column("created_at", TS, nullable=False, server_default=sa.func.now()),
        sa.Column("updated_at", TS, nullable=False, server_default=sa.func.now()),
        sa.UniqueConstraint("user_id", "name", name="uq_sources_user_id_name"),
    )
    op.create_index(
        "ix_sources_next_crawl_at", "sources", ["next_crawl_at"], postgresql_where=sa.text("next_crawl_at IS NOT NULL")
    )

    op.create_table(
        "crawl_jobs",
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column("source_id", sa.BigInteger, sa.ForeignKey("sources.id", ondelete="CASCADE"), nullable=False),
        sa.Column("state", sa.String(20), nullable=False, server_default="queued"),
        sa.Column("trigger", sa.String(20), nullable=False, server_default="api"),
        sa.Column("queued_at", TS, nullable=False, server_default=sa.func.now()),
        sa.Column("started_at", TS),
        sa.Column("finished_at", TS),
        sa.Column("heartbeat_at", TS),
        sa.Column("tables_total", sa.Integer),
        sa.Column("tables_done", sa.Integer, nullable=False, server_default="0"),
        sa.Column("batches_total", sa.Integer),
        sa.Column("batches_done", sa.Integer, nullable=False, server_default="0"),
        sa.Column("stats", JSONB),
        sa.Column("error_type", sa.String(50)),
        sa.Column("error_message", sa.Text),
        sa.Column("enums", JSONB),
    )
    op.create_index("ix_crawl_jobs_source_id_id", "crawl_jobs", ["source_id", sa.text("id DESC")])
    # At most one active crawl per source, enforced by the database, not by luck.
    op.create_index(
        "uq_crawl_jobs_one_active",
        "crawl_jobs",
        ["source_id"],
        unique=True,
        postgresql_where=sa.text("state IN ('queued', 'running')"),
    )
    op.create_index(
        "ix_crawl_jobs_active", "crawl_jobs", ["state"], postgresql_where=sa.text("state IN ('queued', 'running')")
    )

    op.create_table(
        "crawl_batches",
        sa.Column("job_id", sa.BigInteger, sa.ForeignKey("crawl_jobs.id", ondelete="CASCADE"), nullable=False),
        sa.Column("batch_no", sa.Integer, nullable=False),
        sa.Column("tables", JSONB, nullable=False),
        sa.Column("table_count", sa.Integer, nullable=False),
        sa.Column("state", sa.String(20), nullable=False, server_default="queued"),
        sa.Column("finished_at", TS),
        sa.PrimaryKeyConstraint("job_id", "batch_no", name="pk_crawl_batches"),
    )

    op.create_table(
        "catalog_tables",
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column("source_id", sa.BigInteger, sa.ForeignKey("sources.id", ondelete="CASCADE"), nullable=False),
        sa.Column("schema_name", sa.Text, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("comment", sa.Text),
        sa.Column("row_estimate", sa.BigInteger),
        sa.Column("size_bytes", sa.BigInteger),
        sa.Column("fingerprint", sa.String(32), nullable=False),
        sa.Column("definition", JSONB, nullable=False),
        sa.Column("first_seen_at", TS, nullable=False),
        sa.Column("crawled_at", TS, nullable=False),
        sa.Column("changed_at", TS, nullable=False),
        sa.Column("removed_at", TS),
        sa.Column("first_seen_crawl_id", sa.BigInteger, nullable=False),
        sa.Column("changed_crawl_id", sa.BigInteger, nullable=False),
        sa.Column("last_seen_crawl_id", sa.BigInteger, nullable=False),
        sa.Column("removed_crawl_id", sa.BigInteger),
        sa.UniqueConstraint("source_id", "schema_name", "name", name="uq_catalog_tables_source_schema_name"),
    )
    op.execute("CREATE INDEX ix_catalog_tables_name_trgm ON catalog_tables USING gin (lower(name) gin_trgm_ops)")
    # exact and prefix search (the first tiers of a search) use a btree
    op.execute("CREATE INDEX ix_catalog_tables_name_pattern ON catalog_tables (lower(name) text_pattern_ops)")
    op.execute(
        "CREATE INDEX ix_catalog_tables_comment_trgm ON catalog_tables USING gin (lower(comment) gin_trgm_ops)"
        " WHERE comment IS NOT NULL"
    )

    op.create_table(
        "catalog_columns",
        sa.Column("table_id", sa.BigInteger, sa.ForeignKey("catalog_tables.id", ondelete="CASCADE"), nullable=False),
        sa.Column("source_id", sa.BigInteger, nullable=False),
        sa.Column("ordinal", sa.Integer, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("type", sa.Text, nullable=False),
        sa.Column("comment", sa.Text),
        sa.PrimaryKeyConstraint("table_id", "ordinal", name="pk_catalog_columns"),
    )
    op.execute("CREATE INDEX ix_catalog_columns_name_trgm ON catalog_columns USING gin (lower(name) gin_trgm_ops)")
    op.execute("CREATE INDEX ix_catalog_columns_name_pattern ON catalog_columns (lower(name) text_pattern_ops)")
    op.execute(
        "CREATE INDEX ix_catalog_columns_comment_trgm ON catalog_columns USING gin (lower(comment) gin_trgm_ops)"
        " WHERE comment IS NOT NULL"
    )
    op.create_index("ix_catalog_columns_source_id", "catalog_columns", ["source_id"])

    op.create_table(
        "catalog_enums",
        sa.Column("source_id", sa.BigInteger, sa.ForeignKey("sources.id", ondelete="CASCADE"), nullable=False),
        sa.Column("schema_name", sa.Text, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("values", JSONB, nullable=False),
        sa.PrimaryKeyConstraint("source_id", "schema_name", "name", name="pk_catalog_enums"),
    )

    op.create_table(
        "change_events",
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column("source_id", sa.BigInteger, sa.ForeignKey("sources.id", ondelete="CASCADE"), nullable=False),
        sa.Column("crawl_id", sa.BigInteger, nullable=False),
        sa.Column("table_id", sa.BigInteger),
        sa.Column("schema_name", sa.Text),
        sa.Column("table_name", sa.Text),
        sa.Column("event", sa.String(30), nullable=False),
        sa.Column("details", JSONB),
        sa.Column("occurred_at", TS, nullable=False),
    )
    op.create_index("ix_change_events_source_id_id", "change_events", ["source_id", sa.text("id DESC")])
    op.create_index(
        "ix_change_events_table_id_id",
        "change_events",
        ["table_id", sa.text("id DESC")],
        postgresql_where=sa.text("table_id IS NOT NULL"),
    )

    # Staging written by crawl batches and applied in one transaction when the
    # crawl finishes, so a failed crawl never touches the catalog. Unlogged:
    # a server crash loses only in-flight crawls, which are then failed anyway.
    op.execute("""
        CREATE UNLOGGED TABLE crawl_staged_tables (
            job_id bigint NOT NULL,
            batch_no integer NOT NULL,
            table_id bigint,
            schema_name text NOT NULL,
            name text NOT NULL,
            kind varchar(30) NOT NULL,
            comment text,
            row_estimate bigint,
            size_bytes bigint,
            fingerprint varchar(32) NOT NULL,
            definition jsonb NOT NULL,
            changes jsonb,
            CONSTRAINT pk_crawl_staged_tables PRIMARY KEY (job_id, schema_name, name)
        )""")
    op.execute("""
        CREATE UNLOGGED TABLE crawl_seen (
            job_id bigint NOT NULL,
            batch_no integer NOT NULL,
            table_id bigint NOT NULL,
            row_estimate bigint,
            size_bytes bigint,
            CONSTRAINT pk_crawl_seen PRIMARY KEY (job_id, table_id)
        )""")


def downgrade() -> None:
    for t in (
        "crawl_seen",
        "crawl_staged_tables",
        "change_events",
        "catalog_enums",
        "catalog_columns",
        "catalog_tables",
        "crawl_batches",
        "crawl_jobs",
        "sources",
        "users",
    ):
        op.drop_table(t)
