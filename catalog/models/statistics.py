"""Column statistics as the planner keeps them (read by each crawl, apart
from the definitions) and the sensitive-column suggestions made from
columns' names, types, comments and statistics."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Float, ForeignKey, Index, Integer, PrimaryKeyConstraint, String, Text, func, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, ts


class StatisticsFigures:
    """One column's statistics as a batch read them (ColumnStatistics'
    fields): the columns of catalog_column_statistics and of its staging.
    `value_pattern`: what the value lists looked like when they were read
    ('' for nothing of note, 'email'...; NULL when they were not read); the
    lists themselves are NULL unless the source allows them."""

    column_name: Mapped[str] = mapped_column(Text)
    null_fraction: Mapped[float | None] = mapped_column(Float)
    n_distinct: Mapped[float | None] = mapped_column(Float)
    avg_width: Mapped[int | None] = mapped_column(Integer)
    correlation: Mapped[float | None] = mapped_column(Float)
    gathered_at: Mapped[datetime | None] = ts()
    most_common_values: Mapped[list | None] = mapped_column(JSONB)
    most_common_freqs: Mapped[list | None] = mapped_column(JSONB)
    histogram_bounds: Mapped[list | None] = mapped_column(JSONB)
    value_pattern: Mapped[str | None] = mapped_column(Text)


class CatalogColumnStatistics(StatisticsFigures, Base):
    """A column's statistics as its source's last crawl read them, keyed by
    table id and column name: rewritten by the apply only where the figures
    moved, never fingerprinted, never a change event."""

    __tablename__ = "catalog_column_statistics"
    table_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("catalog_tables.id", ondelete="CASCADE"))

    __table_args__ = (PrimaryKeyConstraint("table_id", "column_name", name="pk_catalog_column_statistics"),)


class CatalogSensitiveColumn(Base):
    """A column suggested sensitive (score and reasons), re-evaluated after
    every crawl; `status` pending until a curator confirms it (the column
    gets the tag `sensitive`) or dismisses it. No foreign key to
    catalog_columns (it has none to point at); gone with its table."""

    __tablename__ = "catalog_sensitive_columns"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"))
    table_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("catalog_tables.id", ondelete="CASCADE"))
    column_name: Mapped[str] = mapped_column(Text)
    score: Mapped[int] = mapped_column(Integer)
    reasons: Mapped[list] = mapped_column(JSONB)
    # pending, confirmed, dismissed
    status: Mapped[str] = mapped_column(String(10), server_default="pending")
    found_at: Mapped[datetime] = ts(server_default=func.now())
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None] = ts()

    __table_args__ = (
        Index("uq_catalog_sensitive_columns_column", "table_id", "column_name", unique=True),
        Index("ix_catalog_sensitive_columns_source_id_status", "source_id", "status", "id"),
        # decision_stamp, in the ETag of every curated read: the decided few, not a source's every suggestion
        # (41 ms at 210,000 suggestions of a 100,000-table source)
        Index(
            "ix_catalog_sensitive_columns_decided",
            "source_id",
            "decided_at",
            postgresql_where=text("decided_at IS NOT NULL"),
        ),
    )
