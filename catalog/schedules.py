"""Cron schedules of sources (UTC)."""

from __future__ import annotations

from datetime import UTC, datetime

from croniter import croniter
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from .models import Source


def is_valid(expression: str) -> bool:
    return croniter.is_valid(expression) and len(expression.split()) == 5


def next_run(expression: str | None, after: datetime | None = None) -> datetime | None:
    if not expression:
        return None
    after = after or datetime.now(UTC)
    return croniter(expression, after).get_next(datetime)


def claim_due(session: Session, limit: int = 1000) -> list[int]:
    """The sources whose cron time has come, locked FOR UPDATE SKIP LOCKED
    (a second dispatcher skips them) with their next time advanced in the
    caller's transaction."""
    due = session.execute(
        select(Source.id, Source.schedule)
        .where(Source.next_crawl_at <= func.now())
        .order_by(Source.next_crawl_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    for source_id, schedule in due:
        session.execute(
            update(Source)
            .where(Source.id == source_id)
            .values(next_crawl_at=next_run(schedule), updated_at=Source.updated_at),
            execution_options={"synchronize_session": False},
        )
    return [source_id for source_id, _ in due]
