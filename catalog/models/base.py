"""What every catalog table shares: the declarative base with its naming
convention, the extensions the schema needs, and column and index helpers."""

from __future__ import annotations

from sqlalchemy import DateTime, Index, MetaData, func, text
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
# indexes of crawl_jobs (crawls.py) are built on this list (catalog/jobs.py
# owns the states).
ACTIVE_STATES_SQL = "state IN ('queued', 'running')"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def ts(**kw) -> Mapped:
    """A timestamptz column."""
    return mapped_column(DateTime(timezone=True), **kw)


def trgm_index(name: str, column, where: str | None = None) -> Index:
    """A pg_trgm GIN index over lower(column) (substring and near-miss search)."""
    return Index(
        name,
        func.lower(column).label("lower"),
        postgresql_using="gin",
        postgresql_ops={"lower": "gin_trgm_ops"},
        postgresql_where=text(where) if where else None,
    )


def pattern_index(name: str, *columns, lowered) -> Index:
    """A btree over lower(column) text_pattern_ops (exact and prefix search)."""
    return Index(name, *columns, func.lower(lowered).label("lower"), postgresql_ops={"lower": "text_pattern_ops"})
