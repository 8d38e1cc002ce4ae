"""The catalog's tables, declared once. Alembic owns the schema (migrations/)
and a test (tests/test_models.py) fails on any difference between these
declarations and what the migrations build: columns, types, server defaults,
keys, indexes (partial, expression and trigram ones), sequences and which
tables are unlogged. The ORM uses the classes for accounts, sources and jobs;
the crawl's bulk paths run set-based SQL over the same tables."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Text,
    UniqueConstraint,
    false,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Stable constraint names so Alembic migrations can refer to them.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# Extensions the schema needs (created by migration 0001).
EXTENSIONS = ("pg_trgm",)

# The crawl job states that hold a source's one active-crawl slot; the partial
# indexes below are built on this list (catalog/jobs.py owns the states).
ACTIVE_STATES_SQL = "state IN ('queued', 'running')"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def _ts(**kw) -> Mapped:
    return mapped_column(DateTime(timezone=True), **kw)


def _trgm(name: str, column, where: str | None = None) -> Index:
    """A pg_trgm GIN index over lower(column) (substring and near-miss search)."""
    return Index(
        name,
        func.lower(column).label("lower"),
        postgresql_using="gin",
        postgresql_ops={"lower": "gin_trgm_ops"},
        postgresql_where=text(where) if where else None,
    )


def _pattern(name: str, *columns, lowered) -> Index:
    """A btree over lower(column) text_pattern_ops (exact and prefix search)."""
    return Index(name, *columns, func.lower(lowered).label("lower"), postgresql_ops={"lower": "text_pattern_ops"})


# --- accounts and sources ---------------------------------------------------


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    email: Mapped[str] = mapped_column(String(320))
    password_hash: Mapped[str] = mapped_column(Text)
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime] = _ts(server_default=func.now())


class Source(Base):
    __tablename__ = "sources"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    engine: Mapped[str] = mapped_column(String(20))
    # The engine's connection settings as its settings schema validated them
    # (host, port, database, username, options; a path; a URL...), and its
    # secret fields, each a Fernet token (catalog.vault) keyed by field name.
    settings: Mapped[dict] = mapped_column(JSONB, default=dict, server_default=text("'{}'::jsonb"))
    secrets: Mapped[dict] = mapped_column(JSONB, default=dict, server_default=text("'{}'::jsonb"))
    schedule: Mapped[str | None] = mapped_column(String(100))
    next_crawl_at: Mapped[datetime | None] = _ts()
    last_crawled_at: Mapped[datetime | None] = _ts()
    last_crawl_id: Mapped[int | None] = mapped_column(BigInteger)
    last_success_at: Mapped[datetime | None] = _ts()
    catalog_changed_at: Mapped[datetime | None] = _ts()
    # the earliest crawl whose schema catalog_table_versions can rebuild: the
    # last successful crawl when history began to be kept (migration 0013),
    # else the source's first successful crawl
    history_from_crawl_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = _ts(server_default=func.now())
    updated_at: Mapped[datetime] = _ts(server_default=func.now(), onupdate=func.now())

    __table_args__ = (
        UniqueConstraint("user_id", "name", name="uq_sources_user_id_name"),
        Index("ix_sources_next_crawl_at", "next_crawl_at", postgresql_where=text("next_crawl_at IS NOT NULL")),
    )


# --- crawl jobs and their batches (states: catalog/jobs.py) -----------------


class CrawlJob(Base):
    __tablename__ = "crawl_jobs"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"))
    state: Mapped[str] = mapped_column(String(20), server_default="queued")
    trigger: Mapped[str] = mapped_column(String(20), server_default="api")
    queued_at: Mapped[datetime] = _ts(server_default=func.now())
    started_at: Mapped[datetime | None] = _ts()
    finished_at: Mapped[datetime | None] = _ts()
    heartbeat_at: Mapped[datetime | None] = _ts()
    tables_total: Mapped[int | None] = mapped_column(Integer)
    tables_done: Mapped[int] = mapped_column(Integer, server_default="0")
    batches_total: Mapped[int | None] = mapped_column(Integer)
    batches_done: Mapped[int] = mapped_column(Integer, server_default="0")
    stats: Mapped[dict | None] = mapped_column(JSONB)
    error_type: Mapped[str | None] = mapped_column(String(50))
    error_message: Mapped[str | None] = mapped_column(Text)
    # what the plan listed besides tables, for the finish to apply: enums;
    # sequences, triggers and routines ([] once applied; null: not listed, a
    # job from before they were crawled). Deferred: bodies can be large, and
    # every batch task and status read loads the job without them.
    enums: Mapped[list | None] = mapped_column(JSONB, deferred=True)
    objects: Mapped[list | None] = mapped_column(JSONB, deferred=True)
    allow_mass_removal: Mapped[bool] = mapped_column(Boolean, server_default=false())
    # times the reaper re-enqueued it after it sat queued, or running without a heartbeat
    requeues: Mapped[int] = mapped_column(Integer, server_default="0")

    __table_args__ = (
        Index("ix_crawl_jobs_source_id_id", "source_id", text("id DESC")),
        # At most one active crawl per source, enforced by the database, not by luck.
        Index("uq_crawl_jobs_one_active", "source_id", unique=True, postgresql_where=text(ACTIVE_STATES_SQL)),
        Index("ix_crawl_jobs_active", "state", postgresql_where=text(ACTIVE_STATES_SQL)),
    )


class CrawlBatch(Base):
    """One planned batch of a crawl: the tables it describes."""

    __tablename__ = "crawl_batches"
    job_id: Mapped[int] = mapped_column(ForeignKey("crawl_jobs.id", ondelete="CASCADE"))
    batch_no: Mapped[int] = mapped_column(Integer)
    tables: Mapped[list] = mapped_column(JSONB)
    table_count: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(20), server_default="queued")
    finished_at: Mapped[datetime | None] = _ts()

    __table_args__ = (PrimaryKeyConstraint("job_id", "batch_no", name="pk_crawl_batches"),)


# --- the catalog of crawled objects -----------------------------------------


class CatalogTable(Base):
    """A table (view, ...) of a source, its definition as one JSON document.
    A live table's crawled_at is its source's last_success_at (not stored)."""

    __tablename__ = "catalog_tables"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"))
    schema_name: Mapped[str] = mapped_column(Text)
    name: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(30))
    comment: Mapped[str | None] = mapped_column(Text)
    row_estimate: Mapped[int | None] = mapped_column(BigInteger)
    size_bytes: Mapped[int | None] = mapped_column(BigInteger)
    # where row_estimate comes from (engines.base.ROW_ESTIMATE_SOURCES)
    row_estimate_source: Mapped[str | None] = mapped_column(Text)
    fingerprint: Mapped[str] = mapped_column(String(32))
    definition: Mapped[dict] = mapped_column(JSONB)
    first_seen_at: Mapped[datetime] = _ts()
    crawled_at: Mapped[datetime] = _ts()
    changed_at: Mapped[datetime] = _ts()
    removed_at: Mapped[datetime | None] = _ts()
    first_seen_crawl_id: Mapped[int] = mapped_column(BigInteger)
    changed_crawl_id: Mapped[int] = mapped_column(BigInteger)
    removed_crawl_id: Mapped[int | None] = mapped_column(BigInteger)
    # the target's hash of the definition: an equal one means unchanged, not described
    signature: Mapped[str | None] = mapped_column(Text)
    # a partition's parent (the definition's partition_of), stored so schema
    # pages can hide partitions and count them through indexes
    partition_of_schema: Mapped[str | None] = mapped_column(Text)
    partition_of_name: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        UniqueConstraint("source_id", "schema_name", "name", name="uq_catalog_tables_source_schema_name"),
        # schema pages without partitions: the same keyset, partitions left out of the index
        Index(
            "ix_catalog_tables_source_schema_name_unpartitioned",
            "source_id",
            "schema_name",
            "name",
            postgresql_where=text("removed_at IS NULL AND partition_of_name IS NULL"),
        ),
        # a partitioned table's live partitions (partition_count)
        Index(
            "ix_catalog_tables_partition_of",
            "source_id",
            "partition_of_schema",
            "partition_of_name",
            postgresql_where=text("removed_at IS NULL AND partition_of_name IS NOT NULL"),
        ),
        # the live tables the target could not describe (a crawl counts them)
        Index(
            "ix_catalog_tables_warnings",
            "source_id",
            postgresql_where=text("removed_at IS NULL AND definition ? 'warnings'"),
        ),
    )


class ActivityFigures:
    """A table's usage statistics as a batch read them (TableActivity's
    fields): the columns of catalog_table_activity and of its staging."""

    read_at: Mapped[datetime] = _ts()
    rows_inserted: Mapped[int | None] = mapped_column(BigInteger)
    rows_updated: Mapped[int | None] = mapped_column(BigInteger)
    rows_deleted: Mapped[int | None] = mapped_column(BigInteger)
    live_rows: Mapped[int | None] = mapped_column(BigInteger)
    dead_rows: Mapped[int | None] = mapped_column(BigInteger)
    last_vacuum_at: Mapped[datetime | None] = _ts()
    last_autovacuum_at: Mapped[datetime | None] = _ts()
    last_analyze_at: Mapped[datetime | None] = _ts()
    last_autoanalyze_at: Mapped[datetime | None] = _ts()
    last_update_at: Mapped[datetime | None] = _ts()


class CatalogTableActivity(ActivityFigures, Base):
    """A table's usage statistics as its last crawl read them, apart from its
    definition: read for every table at every crawl, rewritten only where the
    figures moved, never fingerprinted, never a change event. Columns an
    engine does not keep stay NULL. Its read_at is when the figures were first
    read as they are; reads serve the source's last success instead."""

    __tablename__ = "catalog_table_activity"
    table_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("catalog_tables.id", ondelete="CASCADE"), primary_key=True
    )


class CatalogTableVersion(Base):
    """A table's past definition: what catalog_tables held for it from crawl
    `valid_from_crawl_id` until the crawl `valid_to_crawl_id` changed or
    removed it (exclusive). Written by a crawl's apply, set-based, only for
    the tables it changes or removes; a source's schema as of an earlier
    crawl is its live tables unchanged since then plus these
    (catalog/schema_diff.py). No foreign key to catalog_tables, like
    catalog_columns."""

    __tablename__ = "catalog_table_versions"
    table_id: Mapped[int] = mapped_column(BigInteger)
    valid_to_crawl_id: Mapped[int] = mapped_column(BigInteger)
    valid_from_crawl_id: Mapped[int] = mapped_column(BigInteger)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"))
    schema_name: Mapped[str] = mapped_column(Text)
    name: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(30))
    comment: Mapped[str | None] = mapped_column(Text)
    definition: Mapped[dict] = mapped_column(JSONB)

    __table_args__ = (
        PrimaryKeyConstraint("table_id", "valid_to_crawl_id", name="pk_catalog_table_versions"),
        # a source's versions still valid after a crawl: valid_to > as_of
        Index("ix_catalog_table_versions_source_id_valid_to", "source_id", "valid_to_crawl_id"),
    )


class CatalogColumn(Base):
    """The search index of the stored definitions' columns, written only by a
    crawl's apply. No foreign key: a check per row doubled the cost of writing
    a million columns; deleting a source deletes its columns itself."""

    __tablename__ = "catalog_columns"
    table_id: Mapped[int] = mapped_column(BigInteger)
    source_id: Mapped[int] = mapped_column(BigInteger)
    ordinal: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(Text)
    type: Mapped[str] = mapped_column(Text)
    comment: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (PrimaryKeyConstraint("table_id", "ordinal", name="pk_catalog_columns"),)


class CatalogColumnName(Base):
    """Each source's distinct lower-cased column names, trigram-indexed:
    column search finds names here, then columns by name."""

    __tablename__ = "catalog_column_names"
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(Text)

    __table_args__ = (
        PrimaryKeyConstraint("source_id", "name", name="pk_catalog_column_names"),
        Index(
            "ix_catalog_column_names_name_trgm", name, postgresql_using="gin", postgresql_ops={"name": "gin_trgm_ops"}
        ),
    )


class CatalogEnum(Base):
    __tablename__ = "catalog_enums"
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"))
    schema_name: Mapped[str] = mapped_column(Text)
    name: Mapped[str] = mapped_column(Text)
    values: Mapped[list] = mapped_column(JSONB)

    __table_args__ = (PrimaryKeyConstraint("source_id", "schema_name", "name", name="pk_catalog_enums"),)


class CatalogObject(Base):
    """A source's sequences, triggers and routines (functions, procedures,
    aggregates, window functions), replaced by each crawl's apply. `kind` is
    sequence, trigger or the routine's kind; `table_name` is a trigger's
    table and `arguments` a routine's (what tells overloads apart), '' for
    the others, so the key has no nulls. `details` holds the kind's fields;
    a routine's body is apart, read only when asked for."""

    __tablename__ = "catalog_objects"
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(Text)
    schema_name: Mapped[str] = mapped_column(Text)
    table_name: Mapped[str] = mapped_column(Text)
    name: Mapped[str] = mapped_column(Text)
    arguments: Mapped[str] = mapped_column(Text)
    details: Mapped[dict] = mapped_column(JSONB)
    body: Mapped[str | None] = mapped_column(Text)

    # by kind then schema and table: a table's triggers are one range of it
    __table_args__ = (
        PrimaryKeyConstraint(
            "source_id", "kind", "schema_name", "table_name", "name", "arguments", name="pk_catalog_objects"
        ),
    )


class CatalogForeignKey(Base):
    """The foreign keys of the stored definitions as edges, one row per key,
    written only by a crawl's apply (for the tables it added, changed or
    removed). The index on the referenced table answers "who references this
    table" without reading every definition. No foreign key to catalog_tables
    (like catalog_columns): deleting a source deletes its keys itself."""

    __tablename__ = "catalog_foreign_keys"
    table_id: Mapped[int] = mapped_column(BigInteger)
    ordinal: Mapped[int] = mapped_column(Integer)  # position in the definition's foreign_keys, from 1
    source_id: Mapped[int] = mapped_column(BigInteger)
    name: Mapped[str | None] = mapped_column(Text)
    columns: Mapped[list] = mapped_column(JSONB)
    referenced_schema: Mapped[str] = mapped_column(Text)
    referenced_table: Mapped[str] = mapped_column(Text)
    referenced_columns: Mapped[list] = mapped_column(JSONB)
    on_update: Mapped[str | None] = mapped_column(Text)
    on_delete: Mapped[str | None] = mapped_column(Text)
    definition: Mapped[str | None] = mapped_column(Text)
    validated: Mapped[bool | None] = mapped_column(Boolean)
    deferrable: Mapped[bool | None] = mapped_column(Boolean)
    deferred: Mapped[bool | None] = mapped_column(Boolean)

    __table_args__ = (
        PrimaryKeyConstraint("table_id", "ordinal", name="pk_catalog_foreign_keys"),
        Index("ix_catalog_foreign_keys_referenced", "source_id", "referenced_schema", "referenced_table"),
    )


class ChangeEvent(Base):
    """What a crawl saw change (table added/removed/changed, or a first crawl's baseline)."""

    __tablename__ = "change_events"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"))
    crawl_id: Mapped[int] = mapped_column(BigInteger)
    table_id: Mapped[int | None] = mapped_column(BigInteger)
    schema_name: Mapped[str | None] = mapped_column(Text)
    table_name: Mapped[str | None] = mapped_column(Text)
    event: Mapped[str] = mapped_column(String(30))
    details: Mapped[dict | None] = mapped_column(JSONB)
    occurred_at: Mapped[datetime] = _ts()
    # breaking, risky or safe (catalog/insights/hazards.py); None for a first crawl's baseline
    hazard: Mapped[str | None] = mapped_column(String(10))
    hazard_reasons: Mapped[list | None] = mapped_column(JSONB)

    __table_args__ = (
        Index("ix_change_events_source_id_id", "source_id", text("id DESC")),
        Index(
            "ix_change_events_table_id_id", "table_id", text("id DESC"), postgresql_where=text("table_id IS NOT NULL")
        ),
    )


# --- insights: lint findings, inferred keys (catalog/insights/) -----------


class CatalogFinding(Base):
    """A lint finding over a source's stored definitions, brought up to date
    after each crawl that changed something (catalog/insights/lint.py): the
    findings of the tables that changed, and those of the rules across tables."""

    __tablename__ = "catalog_findings"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    # no foreign key (like catalog_columns): its check per row doubled the cost
    # of writing a large source's findings; deleting a source deletes them itself
    source_id: Mapped[int] = mapped_column(BigInteger)
    # the table a one-table rule found it in (None for a rule about a name across tables)
    table_id: Mapped[int | None] = mapped_column(BigInteger)
    rule: Mapped[str] = mapped_column(String(50))
    severity: Mapped[str] = mapped_column(String(10))
    schema_name: Mapped[str | None] = mapped_column(Text)
    table_name: Mapped[str | None] = mapped_column(Text)
    object_name: Mapped[str | None] = mapped_column(Text)
    # schema.table[.object_name] (or a column name alone): what ignore patterns match
    object: Mapped[str] = mapped_column(Text)
    message: Mapped[str] = mapped_column(Text)
    fix: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        Index("ix_catalog_findings_source_id_id", "source_id", "id"),
        # an incremental lint deletes the findings of the tables it relints
        # (and, table_id NULL, of the column names it rechecks) without
        # reading the source's others
        Index("ix_catalog_findings_source_id_table_id", "source_id", "table_id"),
    )


class CatalogInsightIgnore(Base):
    """A source's ignore list: findings of `rule` ('*': any) whose object
    matches `pattern` (a glob: * any characters, ? one) are not shown."""

    __tablename__ = "catalog_insight_ignores"
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"))
    rule: Mapped[str] = mapped_column(String(50))
    pattern: Mapped[str] = mapped_column(Text)

    __table_args__ = (PrimaryKeyConstraint("source_id", "rule", "pattern", name="pk_catalog_insight_ignores"),)


class CatalogInsightRun(Base):
    """When a source's insights were last computed, after which crawl."""

    __tablename__ = "catalog_insight_runs"
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"), primary_key=True)
    crawl_id: Mapped[int | None] = mapped_column(BigInteger)
    computed_at: Mapped[datetime] = _ts()
    seconds: Mapped[dict | None] = mapped_column(JSONB)


class CatalogInferredKey(Base):
    """A column that looks like a key of another table without a declared
    foreign key. Recomputed after each crawl that changed something, keyed by
    names so the owner's decision survives recrawls; a candidate the catalog
    no longer supports (its column gone, a key declared) is deleted."""

    __tablename__ = "catalog_inferred_keys"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"))
    schema_name: Mapped[str] = mapped_column(Text)
    table_name: Mapped[str] = mapped_column(Text)
    column_name: Mapped[str] = mapped_column(Text)
    referenced_schema: Mapped[str] = mapped_column(Text)
    referenced_table: Mapped[str] = mapped_column(Text)
    referenced_column: Mapped[str] = mapped_column(Text)
    score: Mapped[float] = mapped_column(Float)
    reason: Mapped[str] = mapped_column(Text)
    # None (undecided), accepted or rejected
    decision: Mapped[str | None] = mapped_column(String(10))
    decided_at: Mapped[datetime | None] = _ts()

    __table_args__ = (
        UniqueConstraint(
            "source_id",
            "schema_name",
            "table_name",
            "column_name",
            "referenced_schema",
            "referenced_table",
            name="uq_catalog_inferred_keys_names",
        ),
    )


# --- staging: written by batches, applied by finish in one transaction ------
# Unlogged: a server crash loses only in-flight crawls, which then fail anyway.
# No foreign keys: jobs and tables are checked by the code that stages.


class CrawlStagedTable(Base):
    """A new or changed table a batch found, keyed by the catalog row's id
    (allocated by the batch for a new table)."""

    __tablename__ = "crawl_staged_tables"
    job_id: Mapped[int] = mapped_column(BigInteger)
    batch_no: Mapped[int] = mapped_column(Integer)
    table_id: Mapped[int] = mapped_column(BigInteger)
    is_new: Mapped[bool] = mapped_column(Boolean)
    schema_name: Mapped[str] = mapped_column(Text)
    name: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(30))
    comment: Mapped[str | None] = mapped_column(Text)
    row_estimate: Mapped[int | None] = mapped_column(BigInteger)
    size_bytes: Mapped[int | None] = mapped_column(BigInteger)
    row_estimate_source: Mapped[str | None] = mapped_column(Text)
    fingerprint: Mapped[str] = mapped_column(String(32))
    signature: Mapped[str | None] = mapped_column(Text)
    definition: Mapped[dict] = mapped_column(JSONB)
    changes: Mapped[dict | None] = mapped_column(JSONB)

    __table_args__ = (
        PrimaryKeyConstraint("job_id", "table_id", name="pk_crawl_staged_tables"),
        {"prefixes": ["UNLOGGED"]},
    )


class CrawlStagedColumn(Base):
    """The column rows of a staged table. No primary key in the database
    (rows are only ever bulk-copied in and bulk-deleted by job); the ORM
    identity below is for mapping only."""

    __tablename__ = "crawl_staged_columns"
    job_id: Mapped[int] = mapped_column(BigInteger)
    table_id: Mapped[int] = mapped_column(BigInteger)
    ordinal: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(Text)
    type: Mapped[str] = mapped_column(Text)
    comment: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (Index("ix_crawl_staged_columns_job_id", "job_id"), {"prefixes": ["UNLOGGED"]})
    __mapper_args__ = {"primary_key": [job_id, table_id, ordinal]}


class CrawlSeen(Base):
    """A table a batch found unchanged (by signature or fingerprint): only its
    sizes and signature move."""

    __tablename__ = "crawl_seen"
    job_id: Mapped[int] = mapped_column(BigInteger)
    batch_no: Mapped[int] = mapped_column(Integer)
    table_id: Mapped[int] = mapped_column(BigInteger)
    row_estimate: Mapped[int | None] = mapped_column(BigInteger)
    size_bytes: Mapped[int | None] = mapped_column(BigInteger)
    signature: Mapped[str | None] = mapped_column(Text)
    row_estimate_source: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (PrimaryKeyConstraint("job_id", "table_id", name="pk_crawl_seen"), {"prefixes": ["UNLOGGED"]})


class CrawlStagedActivity(ActivityFigures, Base):
    """The usage statistics a batch read, for every table it saw (changed or
    not), keyed by catalog table id; finish upserts them into
    catalog_table_activity."""

    __tablename__ = "crawl_staged_activity"
    job_id: Mapped[int] = mapped_column(BigInteger)
    batch_no: Mapped[int] = mapped_column(Integer)
    table_id: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (
        PrimaryKeyConstraint("job_id", "table_id", name="pk_crawl_staged_activity"),
        {"prefixes": ["UNLOGGED"]},
    )


class RevokedToken(Base):
    """A token or a session revoked by logout (`jti`: a token's jti or a
    session's sid, which is its refresh token's jti), kept until no token it
    names can still be valid, so that a Redis restart cannot undo a logout;
    Redis only caches these (api/auth/tokens.py)."""

    __tablename__ = "revoked_tokens"
    jti: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    expires_at: Mapped[datetime] = _ts(index=True)
    revoked_at: Mapped[datetime] = _ts(server_default=func.now())


# Expression indexes, declared once the columns they use exist.
Index("uq_users_email_lower", func.lower(User.email), unique=True)
_trgm("ix_catalog_tables_name_trgm", CatalogTable.name)
_pattern("ix_catalog_tables_name_pattern", lowered=CatalogTable.name)
_trgm("ix_catalog_tables_comment_trgm", CatalogTable.comment, where="comment IS NOT NULL")
_trgm("ix_catalog_columns_comment_trgm", CatalogColumn.comment, where="comment IS NOT NULL")
_pattern("ix_catalog_columns_source_id_name", CatalogColumn.source_id, lowered=CatalogColumn.name)

STAGING_TABLES = tuple(t.__tablename__ for t in (CrawlStagedTable, CrawlStagedColumn, CrawlSeen, CrawlStagedActivity))
