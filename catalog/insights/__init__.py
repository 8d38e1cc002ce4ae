"""What the catalog can tell about a source beyond its definitions: lint
findings (`lint`), hazard labels on change events (`hazards`) and inferred
relationships (`inferred`). Each is set-based SQL over the stored
definitions; `refresh` recomputes a source's findings and candidates after a
crawl that changed something (or when they were never computed)."""

from __future__ import annotations

import json
import time

from sqlalchemy import text
from sqlalchemy.orm import Session

from .hazards import label_crawl as label_hazards
from .inferred import refresh_inferred
from .lint import run_lint

__all__ = ["label_hazards", "needs_refresh", "refresh"]


def needs_refresh(session: Session, source_id: int, changed: bool) -> bool:
    """After a crawl that changed the catalog, or when the source's insights
    were never computed (a source crawled before insights existed)."""
    if changed:
        return True
    return not session.execute(
        text("SELECT EXISTS (SELECT 1 FROM catalog_insight_runs WHERE source_id = :sid)"), {"sid": source_id}
    ).scalar_one()


def refresh(session: Session, source_id: int, crawl_id: int | None) -> dict[str, float]:
    """Recompute a source's insights inside the caller's transaction; returns
    seconds per step."""
    engine = session.execute(text("SELECT engine FROM sources WHERE id = :sid"), {"sid": source_id}).scalar_one()
    started = time.perf_counter()
    seconds = {f"lint.{k}": v for k, v in run_lint(session, source_id, engine).items()}
    seconds["lint"] = round(time.perf_counter() - started, 4)
    started = time.perf_counter()
    refresh_inferred(session, source_id)
    seconds["inferred_keys"] = round(time.perf_counter() - started, 4)
    session.execute(
        text(
            "INSERT INTO catalog_insight_runs (source_id, crawl_id, computed_at, seconds) "
            "VALUES (:sid, :crawl, now(), CAST(:seconds AS jsonb)) ON CONFLICT (source_id) DO UPDATE "
            "SET crawl_id = EXCLUDED.crawl_id, computed_at = EXCLUDED.computed_at, seconds = EXCLUDED.seconds"
        ),
        {"sid": source_id, "crawl": crawl_id, "seconds": json.dumps(seconds)},
    )
    return seconds
