"""Usage beyond a table's own counters (catalog_table_activity): each
index's scans and since when it has had none, the statements that touch a
table (PostgreSQL's pg_stat_statements), and their staging. Never part of a
definition, fingerprint or signature, never a change event."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Float, ForeignKey, Index, Integer, PrimaryKeyConstraint, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, ts


class CatalogIndexUsage(Base):
    """An index's scans as the last crawl read them: since the counters'
    reset (`scans`), since the crawl before (`delta_scans`, NULL on its first
    read), and `idle_since`: the earliest crawl since which no scan was
    counted (NULL while it is scanned); the unused_index rule reads it."""

    __tablename__ = "catalog_index_usage"
    table_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("catalog_tables.id", ondelete="CASCADE"))
    index_name: Mapped[str] = mapped_column(Text)
    read_at: Mapped[datetime] = ts()
    scans: Mapped[int | None] = mapped_column(BigInteger)
    delta_scans: Mapped[int | None] = mapped_column(BigInteger)
    last_scan_at: Mapped[datetime | None] = ts()
    idle_since: Mapped[datetime | None] = ts()
    stats_reset_at: Mapped[datetime | None] = ts()

    __table_args__ = (PrimaryKeyConstraint("table_id", "index_name", name="pk_catalog_index_usage"),)


class CatalogTableStatement(Base):
    """A statement among the source's top ones by total time that names the
    table (normalised text, never parameters), replaced by each crawl."""

    __tablename__ = "catalog_table_statements"
    table_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("catalog_tables.id", ondelete="CASCADE"))
    query_id: Mapped[str] = mapped_column(Text)
    source_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("sources.id", ondelete="CASCADE"))
    query: Mapped[str] = mapped_column(Text)
    calls: Mapped[int] = mapped_column(BigInteger)
    total_ms: Mapped[float] = mapped_column(Float)
    rows: Mapped[int] = mapped_column(BigInteger)
    read_at: Mapped[datetime] = ts()

    __table_args__ = (
        PrimaryKeyConstraint("table_id", "query_id", name="pk_catalog_table_statements"),
        # each crawl replaces a source's statements
        Index("ix_catalog_table_statements_source_id", "source_id"),
    )


class CrawlStagedIndexUsage(Base):
    """An index's scans as a batch read them (staging of catalog_index_usage)."""

    __tablename__ = "crawl_staged_index_usage"
    job_id: Mapped[int] = mapped_column(BigInteger)
    batch_no: Mapped[int] = mapped_column(Integer)
    table_id: Mapped[int] = mapped_column(BigInteger)
    index_name: Mapped[str] = mapped_column(Text)
    scans: Mapped[int | None] = mapped_column(BigInteger)
    last_scan_at: Mapped[datetime | None] = ts()

    __table_args__ = (
        PrimaryKeyConstraint("job_id", "table_id", "index_name", name="pk_crawl_staged_index_usage"),
        {"prefixes": ["UNLOGGED"]},
    )


class CrawlStagedStatement(Base):
    """A top statement the plan read, with the tables it names as
    [[schema or null, name], ...] (staging of catalog_table_statements)."""

    __tablename__ = "crawl_staged_statements"
    job_id: Mapped[int] = mapped_column(BigInteger)
    query_id: Mapped[str] = mapped_column(Text)
    query: Mapped[str] = mapped_column(Text)
    calls: Mapped[int] = mapped_column(BigInteger)
    total_ms: Mapped[float] = mapped_column(Float)
    rows: Mapped[int] = mapped_column(BigInteger)
    tables: Mapped[list] = mapped_column(JSONB)
    read_at: Mapped[datetime] = ts()

    __table_args__ = (
        PrimaryKeyConstraint("job_id", "query_id", name="pk_crawl_staged_statements"),
        {"prefixes": ["UNLOGGED"]},
    )


USAGE_STAGING_TABLES = (CrawlStagedIndexUsage.__tablename__, CrawlStagedStatement.__tablename__)
