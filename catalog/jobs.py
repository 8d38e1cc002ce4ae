"""Crawl jobs: creating one per source at most, and ending them."""

from __future__ import annotations

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from .models import CrawlJob

ACTIVE_STATES = ("queued", "running")


def create_job(
    session: Session, source_id: int, trigger: str, allow_mass_removal: bool = False
) -> tuple[CrawlJob, bool]:
    """Queue a crawl of `source_id` unless one is already queued or running.

    Returns (job, created). The partial unique index uq_crawl_jobs_one_active
    makes this safe under concurrency: of two simultaneous calls one inserts,
    the other gets the existing job.
    """
    new_id = session.execute(
        text(
            "INSERT INTO crawl_jobs (source_id, state, trigger, allow_mass_removal) "
            "VALUES (:sid, 'queued', :trigger, :mass) "
            "ON CONFLICT (source_id) WHERE state IN ('queued', 'running') DO NOTHING RETURNING id"
        ),
        {"sid": source_id, "trigger": trigger, "mass": allow_mass_removal},
    ).scalar()
    if new_id is not None:
        return session.get_one(CrawlJob, new_id), True
    active = session.scalar(select(CrawlJob).where(CrawlJob.source_id == source_id, CrawlJob.state.in_(ACTIVE_STATES)))
    if active is None:  # the other crawl ended between our two statements: try once more
        return create_job(session, source_id, trigger, allow_mass_removal)
    return active, False


def job_progress(job: CrawlJob) -> dict:
    """How far a crawl has got, as its status URL and its Celery tasks both report it."""
    return {
        "tables_total": job.tables_total,
        "tables_done": job.tables_done,
        "batches_total": job.batches_total,
        "batches_done": job.batches_done,
    }


def fail_job(session: Session, job_id: int, error_type: str, message: str) -> bool:
    """End a queued or running job as failed and drop what it staged. Returns
    False when the job had already ended."""
    ended = session.execute(
        text(
            "UPDATE crawl_jobs SET state = 'failed', finished_at = now(), error_type = :t, error_message = :m "
            "WHERE id = :id AND state IN ('queued', 'running') RETURNING source_id"
        ),
        {"id": job_id, "t": error_type, "m": message},
    ).scalar()
    if ended is None:
        return False
    session.execute(
        text("UPDATE sources SET last_crawled_at = now(), last_crawl_id = :id WHERE id = :sid"),
        {"id": job_id, "sid": ended},
    )
    drop_staging(session, job_id)
    return True


STAGING_TABLES = ("crawl_staged_tables", "crawl_staged_columns", "crawl_seen")


def drop_staging(session: Session, *job_ids: int) -> None:
    """Forget what these crawls staged."""
    for table in STAGING_TABLES:  # our own constants
        session.execute(text(f"DELETE FROM {table} WHERE job_id = ANY(:ids)"), {"ids": list(job_ids)})


def sweep_staging(session: Session) -> list[int]:
    """Drop staging left by crawls that ended in the last day: a batch that
    committed just after its job was failed, or a finish whose worker died
    between its commit and its clean-up. Returns the jobs swept."""
    ended = (
        session.execute(
            text(
                "SELECT id FROM crawl_jobs WHERE state IN ('succeeded', 'failed') "
                "AND finished_at > now() - interval '1 day'"
            )
        )
        .scalars()
        .all()
    )
    if not ended:
        return []
    left: set[int] = set()
    for table in STAGING_TABLES:
        left.update(
            session.execute(
                text(f"SELECT DISTINCT job_id FROM {table} WHERE job_id = ANY(:ids)"), {"ids": ended}
            ).scalars()
        )
    if left:
        drop_staging(session, *sorted(left))
    return sorted(left)
