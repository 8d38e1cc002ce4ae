"""Insights: lint findings, the ignore list, runs and inferred keys
(catalog/insights/)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Float, ForeignKey, Index, PrimaryKeyConstraint, String, Text, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, ts


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
        # the insights page's first findings of each rule, and a rule's page
        Index("ix_catalog_findings_source_id_rule_id", "source_id", "rule", "id"),
    )


class CatalogInsightIgnore(Base):
    """A source's ignore list: findings of `rule` ('*': any) whose object
    matches `pattern` (a glob: * any characters, ? one, \\ the next
    character literally) are not shown; `like_pattern` is that glob as
    LIKE reads it (catalog/insights/ignore_globs.py)."""

    __tablename__ = "catalog_insight_ignores"
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"))
    rule: Mapped[str] = mapped_column(String(50))
    pattern: Mapped[str] = mapped_column(Text)
    like_pattern: Mapped[str] = mapped_column(Text)

    __table_args__ = (PrimaryKeyConstraint("source_id", "rule", "pattern", name="pk_catalog_insight_ignores"),)


class CatalogInsightRun(Base):
    """When a source's insights were last computed, after which crawl."""

    __tablename__ = "catalog_insight_runs"
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"), primary_key=True)
    crawl_id: Mapped[int | None] = mapped_column(BigInteger)
    computed_at: Mapped[datetime] = ts()
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
    decided_at: Mapped[datetime | None] = ts()

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
