"""The change feed: what each crawl saw change, newest first. The one reader
of `change_events`, for the API's feeds and the web UI's pages alike."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import text
from sqlalchemy.orm import Session

EVENTS = (
    "table_added",
    "table_changed",
    "table_removed",
    "table_renamed",
    "column_renamed",
    "table_probable_rename",
    "enum_added",
    "enum_changed",
    "enum_removed",
    *(f"{group}_{what}" for group in ("sequence", "trigger", "routine") for what in ("added", "changed", "removed")),
    *(
        f"{group}_{what}"
        for group in ("extension", "domain", "collation", "text_search_configuration", "schema")
        for what in ("added", "changed", "removed")
    ),
    "extension_upgraded",
    "source_crawled",
)


def change_events(
    session: Session,
    source_id: int,
    *,
    since: datetime | None = None,
    table_id: int | None = None,
    before_id: int | None = None,
    hazard: str | None = None,
    event: str | None = None,
    live: bool = False,
    limit: int = 100,
) -> list[dict]:
    """A source's change events, newest first, filtered by any of time, table,
    hazard and kind of event. With `live`, each also says whether its table is
    still in the catalog (`live`), so a page links only to tables it can show."""
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
    if event is not None:
        where.append("e.event = :event")
        params["event"] = event
    if before_id is not None:
        where.append("e.id < :before")
        params["before"] = before_id
    columns = (
        "e.id, e.crawl_id, e.event, e.table_id, e.schema_name, e.table_name, e.details, e.occurred_at, "
        "e.hazard, e.hazard_reasons"
    )
    tables = "change_events e"
    if live:
        columns += ", (t.id IS NOT NULL AND t.removed_at IS NULL) AS live"
        tables += " LEFT JOIN catalog_tables t ON t.id = e.table_id"
    rows = session.execute(
        text(f"SELECT {columns} FROM {tables} WHERE {' AND '.join(where)} ORDER BY e.id DESC LIMIT :limit"),
        params,
    )
    return [dict(r._mapping) for r in rows]


def table_id(session: Session, source_id: int, schema: str, name: str) -> int | None:
    """The table's id, also when it has been removed (its history stays readable)."""
    return session.execute(
        text("SELECT id FROM catalog_tables WHERE source_id = :sid AND schema_name = :s AND name = :n"),
        {"sid": source_id, "s": schema, "n": name},
    ).scalar()
