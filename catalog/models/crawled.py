"""The catalog of crawled objects: each source's tables, their past
versions, columns, keys, enums, other objects and change events."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, pattern_index, trgm_index, ts


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
    first_seen_at: Mapped[datetime] = ts()
    crawled_at: Mapped[datetime] = ts()
    changed_at: Mapped[datetime] = ts()
    removed_at: Mapped[datetime | None] = ts()
    first_seen_crawl_id: Mapped[int] = mapped_column(BigInteger)
    changed_crawl_id: Mapped[int] = mapped_column(BigInteger)
    removed_crawl_id: Mapped[int | None] = mapped_column(BigInteger)
    # the target's hash of the definition: an equal one means unchanged, not described
    signature: Mapped[str | None] = mapped_column(Text)
    # a partition's parent (the definition's partition_of), stored so schema
    # pages can hide partitions and count them through indexes
    partition_of_schema: Mapped[str | None] = mapped_column(Text)
    partition_of_name: Mapped[str | None] = mapped_column(Text)
    # the target's stable id of the table (PostgreSQL: its oid), which a
    # rename keeps; outside the definition and its fingerprint; NULL on
    # engines without one (catalog/renames.py)
    object_id: Mapped[int | None] = mapped_column(BigInteger)

    __table_args__ = (
        UniqueConstraint("source_id", "schema_name", "name", name="uq_catalog_tables_source_schema_name"),
        # a batch finds the live table a renamed one was by its stable id
        Index(
            "ix_catalog_tables_source_id_object_id",
            "source_id",
            "object_id",
            postgresql_where=text("removed_at IS NULL AND object_id IS NOT NULL"),
        ),
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

    read_at: Mapped[datetime] = ts()
    rows_inserted: Mapped[int | None] = mapped_column(BigInteger)
    rows_updated: Mapped[int | None] = mapped_column(BigInteger)
    rows_deleted: Mapped[int | None] = mapped_column(BigInteger)
    live_rows: Mapped[int | None] = mapped_column(BigInteger)
    dead_rows: Mapped[int | None] = mapped_column(BigInteger)
    last_vacuum_at: Mapped[datetime | None] = ts()
    last_autovacuum_at: Mapped[datetime | None] = ts()
    last_analyze_at: Mapped[datetime | None] = ts()
    last_autoanalyze_at: Mapped[datetime | None] = ts()
    last_update_at: Mapped[datetime | None] = ts()
    # usage counters since the target's last reset (PostgreSQL seq_scan,
    # seq_tup_read, idx_scan, idx_tup_fetch) and when that reset was
    seq_scans: Mapped[int | None] = mapped_column(BigInteger)
    seq_rows_read: Mapped[int | None] = mapped_column(BigInteger)
    index_scans: Mapped[int | None] = mapped_column(BigInteger)
    index_rows_fetched: Mapped[int | None] = mapped_column(BigInteger)
    stats_reset_at: Mapped[datetime | None] = ts()
    # MySQL/MariaDB: the next AUTO_INCREMENT value (moves with inserts, not DDL)
    next_auto_increment: Mapped[int | None] = mapped_column(BigInteger)


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
    # The counters' growth between the crawl that read the stored figures
    # before (`since_read_at`) and the last one: computed by apply
    # (catalog/usage/apply.py), the new value itself after a reset
    # (`counters_reset`); NULL until two crawls have read them.
    since_read_at: Mapped[datetime | None] = ts()
    counters_reset: Mapped[bool | None] = mapped_column(Boolean)
    delta_seq_scans: Mapped[int | None] = mapped_column(BigInteger)
    delta_seq_rows_read: Mapped[int | None] = mapped_column(BigInteger)
    delta_index_scans: Mapped[int | None] = mapped_column(BigInteger)
    delta_index_rows_fetched: Mapped[int | None] = mapped_column(BigInteger)
    delta_rows_written: Mapped[int | None] = mapped_column(BigInteger)


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
    comment: Mapped[str | None] = mapped_column(Text)  # COMMENT ON TYPE (null before issue #26's crawls too)

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


class CatalogColumnLineage(Base):
    """The views' column lineage as edges (catalog/lineage.py): one row per
    output column and source column it is computed from, and one with no
    output column for a column read only to filter or join; `found` says
    how ("catalog": PostgreSQL's pg_depend; "parsed": the view's SQL).
    Written only by a crawl's apply for the views it added, changed or
    removed; the index on the source table answers a table's "read by".
    No foreign key (like catalog_foreign_keys): deleting a source deletes
    its edges itself."""

    __tablename__ = "catalog_column_lineage"
    view_id: Mapped[int] = mapped_column(BigInteger)
    ordinal: Mapped[int] = mapped_column(Integer)
    source_id: Mapped[int] = mapped_column(BigInteger)
    view_column: Mapped[str | None] = mapped_column(Text)
    source_schema: Mapped[str] = mapped_column(Text)
    source_table: Mapped[str] = mapped_column(Text)
    source_column: Mapped[str] = mapped_column(Text)
    found: Mapped[str] = mapped_column(Text)

    __table_args__ = (
        PrimaryKeyConstraint("view_id", "ordinal", name="pk_catalog_column_lineage"),
        Index("ix_catalog_column_lineage_read_by", "source_id", "source_schema", "source_table"),
    )


class CatalogRenameCandidate(Base):
    """A probable rename on an engine without stable ids: a crawl removed one
    table and added one with the same definition apart from the name. A
    curator confirms it (the removed row takes the added one's place, so
    its id and all keyed by it stay) or rejects it (catalog/renames.py).
    The names are kept as found; the table ids have no foreign key (a
    confirmed merge deletes the added row)."""

    __tablename__ = "catalog_rename_candidates"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"))
    crawl_id: Mapped[int] = mapped_column(BigInteger)
    removed_table_id: Mapped[int] = mapped_column(BigInteger)
    added_table_id: Mapped[int] = mapped_column(BigInteger)
    old_schema: Mapped[str] = mapped_column(Text)
    old_name: Mapped[str] = mapped_column(Text)
    new_schema: Mapped[str] = mapped_column(Text)
    new_name: Mapped[str] = mapped_column(Text)
    # pending, confirmed, rejected
    status: Mapped[str] = mapped_column(String(10), server_default="pending")
    found_at: Mapped[datetime] = ts(server_default=func.now())
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None] = ts()

    __table_args__ = (
        Index("ix_catalog_rename_candidates_source_id_status", "source_id", "status", "id"),
        UniqueConstraint("removed_table_id", "added_table_id", name="uq_catalog_rename_candidates_pair"),
    )


class ChangeEvent(Base):
    """What a crawl saw change (table added/removed/changed/renamed, a column
    renamed, a probable rename, or a first crawl's baseline)."""

    __tablename__ = "change_events"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"))
    crawl_id: Mapped[int] = mapped_column(BigInteger)
    table_id: Mapped[int | None] = mapped_column(BigInteger)
    schema_name: Mapped[str | None] = mapped_column(Text)
    table_name: Mapped[str | None] = mapped_column(Text)
    event: Mapped[str] = mapped_column(String(30))
    details: Mapped[dict | None] = mapped_column(JSONB)
    occurred_at: Mapped[datetime] = ts()
    # breaking, risky or safe (catalog/insights/hazards.py); None for a first crawl's baseline
    hazard: Mapped[str | None] = mapped_column(String(10))
    hazard_reasons: Mapped[list | None] = mapped_column(JSONB)

    __table_args__ = (
        Index("ix_change_events_source_id_id", "source_id", text("id DESC")),
        Index(
            "ix_change_events_table_id_id", "table_id", text("id DESC"), postgresql_where=text("table_id IS NOT NULL")
        ),
    )


# Expression indexes, declared once the columns they use exist.
trgm_index("ix_catalog_tables_name_trgm", CatalogTable.name)
pattern_index("ix_catalog_tables_name_pattern", lowered=CatalogTable.name)
trgm_index("ix_catalog_tables_comment_trgm", CatalogTable.comment, where="comment IS NOT NULL")
trgm_index("ix_catalog_columns_comment_trgm", CatalogColumn.comment, where="comment IS NOT NULL")
pattern_index("ix_catalog_columns_source_id_name", CatalogColumn.source_id, lowered=CatalogColumn.name)
