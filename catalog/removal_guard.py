"""The removal guard: a crawl that did not see most of a large source's
tables removes nothing (its finish fails the crawl instead)."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session

from .apply import UNSEEN_TABLES

# Below this many tables a crawl may remove any share of a source: small
# databases do shrink by half.
REMOVAL_GUARD_FLOOR = 100

REMOVAL_COUNTS = f"""
    SELECT (SELECT count(*) FROM ({UNSEEN_TABLES}) gone),
           (SELECT count(*) FROM catalog_tables WHERE source_id = :sid AND removed_at IS NULL)"""


def removal_refused(session: Session, job_id: int, source_id: int, max_percent: int) -> str | None:
    """Why this crawl may not remove what it did not see, or None. A crawl that
    suddenly sees most of a large source gone is far likelier to have lost a
    privilege or a schema filter than to witness the tables' deletion."""
    gone, live = session.execute(text(REMOVAL_COUNTS), {"job": job_id, "sid": source_id}).one()
    if gone <= REMOVAL_GUARD_FLOOR or gone * 100 <= live * max_percent:
        return None
    return (
        f"this crawl did not see {gone:,} of the {live:,} tables the catalog has for this source, more than "
        f"the {max_percent}% one crawl may remove; the catalog was left unchanged. Check the crawl user's "
        "privileges and the source's schema filters; if those tables were really dropped, start a crawl "
        'with {"allow_mass_removal": true}'
    )
