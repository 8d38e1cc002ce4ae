"""The outbox: a delivery row per event and subscription, written inside the
transaction that records the event, so an event is never lost between the
catalog and the broker (a process dying after the commit leaves a pending
row the sweep sends; dying before it leaves neither).

- a crawl's schema changes: `for_crawl`, in the finish transaction, one
  delivery per subscription holding every change event of the crawl that
  passes its filters (none when nothing passes);
- a crawl failure: `for_failed_crawl`, in the transaction of
  catalog.jobs.fail_job (every way a crawl fails);
- new lint findings: `findings_before` then `for_new_findings`, around the
  insights refresh, in its transaction;
- a test event: `for_test`.

Each body is built once here (`payload`) and sent as it is on every attempt;
rows are keyed by (subscription, event, crawl), so a step run twice queues
one delivery. Returns the new rows' ids, for the caller to send after commit."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from ..models import Source, WebhookSubscription
from ..timestamps import rfc3339
from . import TEST_EVENT

# at most this many changes or findings in one body (the total is given)
MAX_ITEMS = 500

CHANGES = f"""
SELECT e.event, e.schema_name, e.table_name, e.table_id, e.hazard, e.hazard_reasons, e.details,
       count(*) OVER () AS total
FROM change_events e
WHERE e.source_id = :sid AND e.crawl_id = :cid
  AND (cardinality(CAST(:kinds AS text[])) = 0 OR e.event = ANY (CAST(:kinds AS text[])))
  AND (cardinality(CAST(:hazards AS text[])) = 0 OR e.hazard = ANY (CAST(:hazards AS text[])))
  AND (CAST(:glob AS text) IS NULL
       OR coalesce(e.schema_name, '') || '.' || coalesce(e.table_name, '') LIKE :glob ESCAPE '\\')
ORDER BY e.id
LIMIT {MAX_ITEMS}
"""

INSERT = """
INSERT INTO webhook_deliveries (delivery_id, subscription_id, event, crawl_id, payload)
VALUES (:did, :sub, :event, :cid, CAST(:payload AS jsonb))
ON CONFLICT (subscription_id, event, crawl_id) DO NOTHING
RETURNING id
"""


def glob_to_like(glob: str) -> str:
    """A glob (* any characters, ? one) as a LIKE pattern (escape: backslash)."""
    escaped = glob.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped.replace("*", "%").replace("?", "_")


def _subscribed(session: Session, source_id: int, event: str) -> list[WebhookSubscription]:
    return list(
        session.scalars(
            select(WebhookSubscription)
            .where(
                WebhookSubscription.source_id == source_id,
                WebhookSubscription.enabled.is_(True),
                WebhookSubscription.events.contains([event]),
            )
            .order_by(WebhookSubscription.id)
        )
    )


def _body(session: Session, source_id: int, event: str, crawl_id: int | None, data: dict) -> tuple[str, dict]:
    source = session.get(Source, source_id)
    delivery_id = str(uuid.uuid4())
    return delivery_id, {
        "id": delivery_id,
        "type": event,
        "created_at": rfc3339(datetime.now(UTC)),
        "source": {"id": source_id, "name": source.name if source else None},
        "crawl_id": crawl_id,
        "data": data,
    }


def _queue(
    session: Session, subscription_id: int, event: str, crawl_id: int | None, source_id: int, data: dict
) -> list:
    """The delivery row (none when the step ran before: keyed by subscription, event and crawl)."""
    delivery_id, payload = _body(session, source_id, event, crawl_id, data)
    new = session.execute(
        text(INSERT),
        {"did": delivery_id, "sub": subscription_id, "event": event, "cid": crawl_id, "payload": json.dumps(payload)},
    ).scalar()
    return [] if new is None else [new]


def _change(row) -> dict:
    return {
        "event": row.event,
        "schema": row.schema_name,
        "table": row.table_name,
        "table_id": row.table_id,
        "hazard": row.hazard,
        "hazard_reasons": row.hazard_reasons or [],
        "details": row.details,
    }


def for_crawl(session: Session, crawl_id: int, source_id: int) -> list[int]:
    """One delivery per subscription to schema changes whose filters some of
    the crawl's change events pass (in the finish transaction)."""
    ids: list[int] = []
    for sub in _subscribed(session, source_id, "schema_change"):
        params = {
            "sid": source_id,
            "cid": crawl_id,
            "kinds": list(sub.change_kinds or []),
            "hazards": list(sub.hazards or []),
            "glob": glob_to_like(sub.object_glob) if sub.object_glob else None,
        }
        rows = session.execute(text(CHANGES), params).all()
        if not rows:
            continue
        total = rows[0].total
        data = {"changes": [_change(r) for r in rows], "total": total, "truncated": total > len(rows)}
        ids += _queue(session, sub.id, "schema_change", crawl_id, source_id, data)
    return ids


def for_failed_crawl(session: Session, crawl_id: int, source_id: int, error_type: str, message: str) -> list[int]:
    """One delivery per subscription to crawl failures (in fail_job's transaction)."""
    ids: list[int] = []
    for sub in _subscribed(session, source_id, "crawl_failed"):
        data = {"error_type": error_type, "message": message}
        ids += _queue(session, sub.id, "crawl_failed", crawl_id, source_id, data)
    return ids


def findings_before(session: Session, source_id: int) -> bool:
    """Before an insights refresh: note the source's findings (rule, object)
    in a temporary table, when anyone is subscribed to new ones."""
    if not _subscribed(session, source_id, "lint_findings"):
        return False
    session.execute(
        text(
            "CREATE TEMP TABLE webhook_findings_before ON COMMIT DROP AS "
            "SELECT DISTINCT rule, object FROM catalog_findings WHERE source_id = :sid"
        ),
        {"sid": source_id},
    )
    return True


NEW_FINDINGS = f"""
SELECT f.rule, f.severity, f.object, f.message, f.fix, count(*) OVER () AS total
FROM catalog_findings f
WHERE f.source_id = :sid
  AND NOT EXISTS (SELECT 1 FROM webhook_findings_before b WHERE b.rule = f.rule AND b.object = f.object)
ORDER BY f.id
LIMIT {MAX_ITEMS}
"""


def for_new_findings(session: Session, source_id: int, crawl_id: int) -> list[int]:
    """After the refresh (same transaction as `findings_before`): one delivery
    per subscription to lint findings, of the findings it added."""
    rows = session.execute(text(NEW_FINDINGS), {"sid": source_id}).all()
    session.execute(text("DROP TABLE webhook_findings_before"))
    if not rows:
        return []
    findings = [
        {"rule": r.rule, "severity": r.severity, "object": r.object, "message": r.message, "fix": r.fix} for r in rows
    ]
    data = {"findings": findings, "total": rows[0].total, "truncated": rows[0].total > len(rows)}
    ids: list[int] = []
    for sub in _subscribed(session, source_id, "lint_findings"):
        ids += _queue(session, sub.id, "lint_findings", crawl_id, source_id, data)
    return ids


def for_test(session: Session, subscription: dict) -> int:
    """A test event for one subscription (sent whatever its filters, and
    whatever waits before it: a test never waits for nor holds up the rest)."""
    data = {"message": "A test event from metacrawl: this subscription's URL, secret and format work."}
    return _queue(session, subscription["id"], TEST_EVENT, None, subscription["source_id"], data)[0]
