"""The sources a user reaches (those of their teams) in the catalog: listing them, the crawls of one,
cancelling its active crawls, and deleting it with everything it holds.
The API's routes and the web UI's pages call these; the lock orders are
the ones the workers use, so neither side deadlocks the other."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from .jobs import ACTIVE_STATES, cancel_job, drop_staging
from .models import CrawlJob, Source, TeamMember


def _reached_by(user_id: int):
    """The condition: a source of one of the user's teams."""
    return Source.team_id.in_(select(TeamMember.team_id).where(TeamMember.user_id == user_id))


def list_sources(
    session: Session, user_id: int | None, after_id: int | None, limit: int, team_id: int | None = None
) -> Sequence[Source]:
    """Up to `limit` sources by id after `after_id`: those the user reaches,
    or everyone's (user_id None); only one team's when `team_id` is given."""
    query = select(Source).order_by(Source.id).limit(limit)
    if user_id is not None:
        query = query.where(_reached_by(user_id))
    if team_id is not None:
        query = query.where(Source.team_id == team_id)
    if after_id is not None:
        query = query.where(Source.id > after_id)
    return session.scalars(query).all()


def user_source_ids(session: Session, user_id: int, only: int | None = None) -> list[int]:
    """The ids of the sources a user reaches (only `only`, when given and reached)."""
    query = select(Source.id).where(_reached_by(user_id))
    if only:
        query = query.where(Source.id == only)
    return list(session.scalars(query))


def source_names(session: Session, user_id: int) -> dict[int, str]:
    """The names of the sources a user reaches, by id."""
    return dict(session.execute(select(Source.id, Source.name).where(_reached_by(user_id))).all())


def sources_by_name(session: Session, name: str) -> Sequence[Source]:
    """Every source named `name` (names are unique per team, not across teams), by id."""
    return session.scalars(select(Source).where(Source.name == name).order_by(Source.id)).all()


def all_sources_locked(session: Session) -> Sequence[Source]:
    """Every source, locked for update until the transaction ends."""
    return session.scalars(select(Source).with_for_update()).all()


def source_crawls(session: Session, source_id: int, before_id: int | None, limit: int) -> Sequence[CrawlJob]:
    """Up to `limit` of a source's crawls, newest first, before `before_id`."""
    query = select(CrawlJob).where(CrawlJob.source_id == source_id).order_by(CrawlJob.id.desc())
    if before_id is not None:
        query = query.where(CrawlJob.id < before_id)
    return session.scalars(query.limit(limit)).all()


def last_success_by(session: Session, source_id: int, when) -> CrawlJob | None:
    """The source's newest successful crawl that had finished by `when`."""
    query = select(CrawlJob).where(
        CrawlJob.source_id == source_id, CrawlJob.state == "succeeded", CrawlJob.finished_at <= when
    )
    return session.scalars(query.order_by(CrawlJob.finished_at.desc(), CrawlJob.id.desc()).limit(1)).first()


def cancel_active_crawls(session: Session, source_id: int) -> None:
    """Cancel the source's queued or running crawl, if any (a crawl reads the
    settings it started with). The job is locked first, then the source: the
    order a crawl's finish locks them in."""
    active = session.scalars(
        select(CrawlJob.id).where(CrawlJob.source_id == source_id, CrawlJob.state.in_(ACTIVE_STATES)).with_for_update()
    ).all()
    for job_id in active:
        cancel_job(session, job_id)


def delete_source(session: Session, source: Source) -> None:
    """Forget a source, its credentials, crawls and catalog, and commit."""
    # Lock its jobs before the source, the order the worker uses (job, then
    # source), so deleting during a crawl cannot deadlock with it.
    jobs = session.execute(select(CrawlJob.id).where(CrawlJob.source_id == source.id).with_for_update())
    # Staging, columns, keys and findings carry no foreign key (a key check per row would
    # double a crawl's write cost), so they go explicitly; the rest cascades.
    # A batch staging now holds its job FOR KEY SHARE, so it has committed
    # before we get here, and one that claims later finds no job.
    drop_staging(session, *jobs.scalars())
    # an insights refresh holds the source FOR KEY SHARE: wait for it, so no
    # finding it writes outlives the source
    session.execute(select(Source.id).where(Source.id == source.id).with_for_update())
    for table in ("catalog_columns", "catalog_foreign_keys", "catalog_findings", "catalog_column_lineage"):
        session.execute(text(f"DELETE FROM {table} WHERE source_id = :id"), {"id": source.id})
    session.delete(source)
    session.commit()
