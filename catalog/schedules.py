"""Cron schedules of sources (UTC)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from croniter import croniter
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from .models import Source

# The gaps of a schedule are measured over its runs from this instant (a leap
# year, so 29 February counts) until one of these bounds is reached.
_PROBE_START = datetime(2024, 1, 1, tzinfo=UTC)
_PROBE_RUNS = 1500
_PROBE_SPAN = timedelta(days=400)


class ScheduleError(ValueError):
    pass


def is_valid(expression: str) -> bool:
    return croniter.is_valid(expression) and len(expression.split()) == 5


def check(expression: str, min_interval_minutes: int = 0) -> None:
    """Raise ScheduleError unless `expression` is a 5-field cron that ever runs
    (`0 0 31 2 *` never does) and whose runs are at least `min_interval_minutes`
    apart."""
    if not isinstance(expression, str) or not is_valid(expression):
        raise ScheduleError("not a valid 5-field cron expression (minute hour day month weekday), e.g. '0 2 * * *'")
    try:
        runs = croniter(expression, _PROBE_START)
        previous = runs.get_next(datetime)
        if min_interval_minutes <= 0:
            return
        shortest = None
        for _ in range(_PROBE_RUNS):
            current = runs.get_next(datetime)
            gap = current - previous
            shortest = gap if shortest is None else min(shortest, gap)
            if shortest < timedelta(minutes=min_interval_minutes) or current - _PROBE_START > _PROBE_SPAN:
                break
            previous = current
    except Exception:  # croniter's CroniterBadDateError and friends: a date that never comes
        raise ScheduleError("this cron expression never runs (no such date), e.g. '0 0 31 2 *'") from None
    if shortest is not None and shortest < timedelta(minutes=min_interval_minutes):
        raise ScheduleError(
            f"runs only {shortest.total_seconds() / 60:g} minutes apart; this server allows scheduled crawls "
            f"at most every {min_interval_minutes} minutes"
        )


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
