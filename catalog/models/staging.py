"""The crawl's staging tables: written by batches, applied by finish in one
transaction (catalog/staging.py, catalog/apply.py). Unlogged: a server
crash loses only in-flight crawls, which then fail anyway. No foreign keys:
jobs and tables are checked by the code that stages."""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Index, Integer, PrimaryKeyConstraint, String, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base
from .crawled import ActivityFigures
from .statistics import StatisticsFigures
from .usage import USAGE_STAGING_TABLES


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
    # the target's stable id (catalog_tables.object_id), and the live catalog
    # row that held it under another name when the batch ran: a rename,
    # which the apply confirms (catalog/renames.py)
    object_id: Mapped[int | None] = mapped_column(BigInteger)
    renamed_from: Mapped[int | None] = mapped_column(BigInteger)

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
    object_id: Mapped[int | None] = mapped_column(BigInteger)

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


class CrawlStagedStatistics(StatisticsFigures, Base):
    """The column statistics a batch read, for every table it saw; finish
    upserts them into catalog_column_statistics."""

    __tablename__ = "crawl_staged_statistics"
    job_id: Mapped[int] = mapped_column(BigInteger)
    batch_no: Mapped[int] = mapped_column(Integer)
    table_id: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (
        PrimaryKeyConstraint("job_id", "table_id", "column_name", name="pk_crawl_staged_statistics"),
        {"prefixes": ["UNLOGGED"]},
    )


STAGING_TABLES = (
    *(
        t.__tablename__
        for t in (CrawlStagedTable, CrawlStagedColumn, CrawlSeen, CrawlStagedActivity, CrawlStagedStatistics)
    ),
    *USAGE_STAGING_TABLES,
)
