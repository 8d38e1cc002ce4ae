"""What the catalog can tell about a source beyond its definitions: lint
findings (`lint`), hazard labels on change events (`hazards`) and inferred
relationships (`inferred`). Each is set-based SQL over the stored
definitions; `refresh` brings a source's findings and candidates up to date
after a crawl that changed something (or when they were never computed), in
the worker's `insights.refresh` task, apart from the crawl."""

from __future__ import annotations

import json
import time

from sqlalchemy import text
from sqlalchemy.orm import Session

from .hazards import label_crawl as label_hazards
from .inferred import refresh_inferred
from .lint import run_lint
from .runtime import refresh_runtime

__all__ = ["label_hazards", "needs_refresh", "refresh", "refresh_runtime"]


def needs_refresh(session: Session, source_id: int, changed: bool) -> bool:
    """After a crawl that changed the catalog, or when the source's insights
    were never computed (a source crawled before insights existed)."""
    if changed:
        return True
    return not session.execute(
        text("SELECT EXISTS (SELECT 1 FROM catalog_insight_runs WHERE source_id = :sid)"), {"sid": source_id}
    ).scalar_one()


def _create_scope(session: Session, source_id: int, since: int | None) -> None:
    """The temporary tables `insights_scope`: the ids of the source's live
    tables added or changed after crawl `since` (all of them when None), and
    `insights_removed`: those of its tables removed after it (one scan of the
    source's tables for both)."""
    changed = "" if since is None else "AND (changed_crawl_id > :since OR first_seen_crawl_id > :since)"
    session.execute(
        text(
            "CREATE TEMP TABLE insights_touched ON COMMIT DROP AS SELECT id, removed_at IS NOT NULL AS removed "
            f"FROM catalog_tables WHERE source_id = :sid AND (removed_at IS NULL {changed} "
            "OR removed_crawl_id > :since)"
        ),
        {"sid": source_id, "since": since},
    )
    for name, removed in (("insights_scope", "NOT"), ("insights_removed", "")):
        session.execute(
            text(f"CREATE TEMP TABLE {name} ON COMMIT DROP AS SELECT id FROM insights_touched WHERE {removed} removed")
        )
        session.execute(text(f"ALTER TABLE {name} ADD PRIMARY KEY (id)"))
        session.execute(text(f"ANALYZE {name}"))
    session.execute(text("DROP TABLE insights_touched"))


# The newest crawl applied to the source's catalog (apply and the job's
# success commit together): what a refresh's findings reflect, and so the
# mark the next refresh compares against.
NEWEST_APPLIED = "SELECT max(id) FROM crawl_jobs WHERE source_id = :sid AND state = 'succeeded'"


def refresh(session: Session, source_id: int, crawl_id: int | None, whole: bool = False) -> dict[str, float]:
    """Bring a source's insights up to date inside the caller's transaction:
    lint of the tables changed since the last run (`whole`: of every table),
    then the inferred keys. Returns seconds per step. Runs of one source wait
    for each other, so two crawls' refreshes never interleave.

    The run is marked with the newest crawl applied when it started (at least
    `crawl_id`, the crawl that queued it): a refresh that ran late has
    already seen the later crawls, and the next one compares against what it
    saw. Should a crawl be applied while it runs, its findings may reflect
    part of that crawl, which no mark can say: the mark is then cleared and
    the next refresh runs over every table."""
    session.execute(text("SELECT pg_advisory_xact_lock(hashtext('insights'), :sid)"), {"sid": source_id})
    # FOR KEY SHARE: deleting the source waits for this refresh (findings have no foreign key)
    engine = session.execute(
        text("SELECT engine FROM sources WHERE id = :sid FOR KEY SHARE"), {"sid": source_id}
    ).scalar_one()
    seen = session.execute(text(NEWEST_APPLIED), {"sid": source_id}).scalar()
    since = (
        None
        if whole
        else session.execute(
            text("SELECT crawl_id FROM catalog_insight_runs WHERE source_id = :sid"), {"sid": source_id}
        ).scalar()
    )
    started = time.perf_counter()
    _create_scope(session, source_id, since)
    seconds = {f"lint.{k}": v for k, v in run_lint(session, source_id, engine, since).items()}
    seconds["lint"] = round(time.perf_counter() - started, 4)
    started = time.perf_counter()
    refresh_inferred(session, source_id, since)
    seconds["inferred_keys"] = round(time.perf_counter() - started, 4)
    session.execute(text("DROP TABLE insights_scope, insights_removed"))
    if since is None:
        # a whole run wrote every finding of the source: give the reads' plans statistics
        session.execute(text("ANALYZE catalog_findings, catalog_inferred_keys"))
    moved = session.execute(text(NEWEST_APPLIED), {"sid": source_id}).scalar() != seen
    mark = None if moved else max((m for m in (seen, crawl_id) if m is not None), default=None)
    session.execute(
        text(
            "INSERT INTO catalog_insight_runs (source_id, crawl_id, computed_at, seconds) "
            "VALUES (:sid, :mark, now(), CAST(:seconds AS jsonb)) ON CONFLICT (source_id) DO UPDATE "
            "SET crawl_id = CASE WHEN :moved THEN NULL "
            "ELSE greatest(catalog_insight_runs.crawl_id, EXCLUDED.crawl_id) END, "
            "computed_at = EXCLUDED.computed_at, seconds = EXCLUDED.seconds"
        ),
        {"sid": source_id, "mark": mark, "moved": moved, "seconds": json.dumps(seconds)},
    )
    return seconds
