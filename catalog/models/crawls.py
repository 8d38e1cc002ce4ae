"""Crawl jobs and their batches (their states: catalog/jobs.py)."""

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
    false,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from .base import ACTIVE_STATES_SQL, Base, ts


class CrawlJob(Base):
    __tablename__ = "crawl_jobs"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"))
    state: Mapped[str] = mapped_column(String(20), server_default="queued")
    trigger: Mapped[str] = mapped_column(String(20), server_default="api")
    queued_at: Mapped[datetime] = ts(server_default=func.now())
    started_at: Mapped[datetime | None] = ts()
    finished_at: Mapped[datetime | None] = ts()
    heartbeat_at: Mapped[datetime | None] = ts()
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
    # what the crawl's account could not see: [{kind, privilege, message}]
    # (catalog/crawl_warnings.py), one per kind and privilege
    warnings: Mapped[list] = mapped_column(JSONB, server_default=text("'[]'::jsonb"))

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
    finished_at: Mapped[datetime | None] = ts()

    __table_args__ = (PrimaryKeyConstraint("job_id", "batch_no", name="pk_crawl_batches"),)
