"""The runtime insights: lint rules over usage (unused indexes, heavy
sequential scans, tables never analysed, unindexed foreign keys of busy
parents; catalog/insights/rules/, RUNTIME_ORDER). Usage moves at every crawl
while definitions stay, so these run after every crawl (the worker's
insights.refresh, after the lint when that runs too), over the whole source:
their findings are deleted and written again, one INSERT ... SELECT per rule."""

from __future__ import annotations

import time

from sqlalchemy import text
from sqlalchemy.orm import Session

from .rules import RUNTIME_ORDER
from .rules.common import Dialect


def refresh_runtime(session: Session, source_id: int, unused_index_days: int) -> dict[str, float]:
    """Replace the source's runtime findings inside the caller's transaction;
    seconds per rule. Waits for a lint refresh of the source (same lock)."""
    session.execute(text("SELECT pg_advisory_xact_lock(hashtext('insights'), :sid)"), {"sid": source_id})
    engine = session.execute(
        text("SELECT engine FROM sources WHERE id = :sid FOR KEY SHARE"), {"sid": source_id}
    ).scalar()
    if engine is None:
        return {}
    params = {"sid": source_id, "unused_days": unused_index_days, "rules": [m.RULE.name for m in RUNTIME_ORDER]}
    session.execute(text("DELETE FROM catalog_findings WHERE source_id = :sid AND rule = ANY(:rules)"), params)
    seconds: dict[str, float] = {}
    d = Dialect(engine)
    for m in RUNTIME_ORDER:
        started = time.perf_counter()
        for sql in m.statements(d):
            session.execute(text(sql), params)
        seconds[f"runtime.{m.RULE.name}"] = round(time.perf_counter() - started, 4)
    return seconds
