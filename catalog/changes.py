"""The change feed: what each crawl saw change, newest first."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import text
from sqlalchemy.orm import Session


def change_events(
    session: Session,
    source_id: int,
    *,
    since: datetime | None = None,
    table_id: int | None = None,
    before_id: int | None = None,
    hazard: str | None = None,
    limit: int = 100,
) -> list[dict]:
    where = ["e.source_id = :sid"]
    params: dict = {"sid": source_id, "limit": limit}
    if since is not None:
        where.append("e.occurred_at >= :since")
        params["since"] = since
    if table_id is not None:
        where.append("e.table_id = :tid")
        params["tid"] = table_id
    if hazard is not None:
        where.append("e.hazard = :hazard")
        params["hazard"] = hazard
    if before_id is not None:
        where.append("e.id < :before")
        params["before"] = before_id
    rows = session.execute(
        text(
            "SELECT e.id, e.crawl_id, e.event, e.table_id, e.schema_name, e.table_name, e.details, e.occurred_at, "
            "e.hazard, e.hazard_reasons "
            f"FROM change_events e WHERE {' AND '.join(where)} ORDER BY e.id DESC LIMIT :limit"
        ),
        params,
    )
    return [dict(r._mapping) for r in rows]


def table_id(session: Session, source_id: int, schema: str, name: str) -> int | None:
    """The table's id, also when it has been removed (its history stays readable)."""
    return session.execute(
        text("SELECT id FROM catalog_tables WHERE source_id = :sid AND schema_name = :s AND name = :n"),
        {"sid": source_id, "s": schema, "n": name},
    ).scalar()
