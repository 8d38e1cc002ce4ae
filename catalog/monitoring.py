"""What the operators' endpoints read of the catalog: whether it answers
(/readyz) and the crawl figures /metrics exports, on a connection of their
own outside any request's session."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text

from .db import engine
from .jobs import CrawlState


@dataclass(frozen=True)
class CrawlFigures:
    by_state: list  # (state, count)
    durations: tuple  # succeeded crawls: count, total seconds, longest seconds, tables described
    ages: list  # (source id, name, seconds since its last success), sources crawled successfully
    never: int  # sources without a successful crawl


def ping() -> None:
    """One round trip to the catalog; raises when it does not answer."""
    with engine().connect() as conn:
        conn.execute(text("SELECT 1"))


def crawl_figures() -> CrawlFigures:
    with engine().connect() as conn:
        by_state = conn.execute(text("SELECT state, count(*) FROM crawl_jobs GROUP BY state")).all()
        durations = conn.execute(
            text(
                "SELECT count(*), coalesce(sum(extract(epoch FROM finished_at - queued_at)), 0), "
                "coalesce(max(extract(epoch FROM finished_at - queued_at)), 0), coalesce(sum(tables_done), 0) "
                "FROM crawl_jobs WHERE state = :succeeded"
            ),
            {"succeeded": CrawlState.SUCCEEDED},
        ).one()
        ages = conn.execute(
            text(
                "SELECT id, name, extract(epoch FROM now() - last_success_at) FROM sources "
                "WHERE last_success_at IS NOT NULL"
            )
        ).all()
        never = conn.execute(text("SELECT count(*) FROM sources WHERE last_success_at IS NULL")).scalar()
    return CrawlFigures(by_state=list(by_state), durations=tuple(durations), ages=list(ages), never=never or 0)
