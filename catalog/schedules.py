"""Cron schedules of sources (UTC)."""

from __future__ import annotations

from datetime import UTC, datetime

from croniter import croniter


def is_valid(expression: str) -> bool:
    return croniter.is_valid(expression) and len(expression.split()) == 5


def next_run(expression: str | None, after: datetime | None = None) -> datetime | None:
    if not expression:
        return None
    after = after or datetime.now(UTC)
    return croniter(expression, after).get_next(datetime)
