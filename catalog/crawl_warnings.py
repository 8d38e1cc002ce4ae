"""What a crawl's account could not see, kept on its job (crawl_jobs.warnings):
a list of {kind, privilege, message}, one per kind and privilege.

Any step of a crawl adds what its reads found (the plan: the engine's
check_visibility; a batch: what its describe, activity or statistics reads
noted with Introspector.warn). One UPDATE merges them, so batches running
side by side never lose each other's, and a job that already holds them all
is not written again."""

from __future__ import annotations

import json
from collections.abc import Iterable

from sqlalchemy import text
from sqlalchemy.orm import Session

MERGE = """
UPDATE crawl_jobs j SET warnings = (
    SELECT coalesce(jsonb_agg(d.w ORDER BY d.n), '[]'::jsonb) FROM (
        SELECT DISTINCT ON (e.w->>'kind', e.w->>'privilege') e.w, e.n
        FROM jsonb_array_elements(j.warnings || CAST(:new AS jsonb)) WITH ORDINALITY AS e(w, n)
        ORDER BY e.w->>'kind', e.w->>'privilege', e.n) d)
WHERE j.id = :job AND NOT j.warnings @> CAST(:new AS jsonb)"""


def add_warnings(session: Session, job_id: int, warnings: Iterable[dict]) -> None:
    """Add these {kind, privilege, message} to the job's warnings (a kind and
    privilege it holds already keeps its first message)."""
    found = [{"kind": w["kind"], "privilege": w["privilege"], "message": w["message"]} for w in warnings]
    if found:
        session.execute(text(MERGE), {"job": job_id, "new": json.dumps(found)})
