"""The schema map's cache: each part (the clusters as JSON, a view of them as
SVG) is stored in catalog_diagram_cache with the crawl it was computed
after, and used only while that crawl is still the source's last successful
one (and its catalog unmoved since: a confirmed rename, an inferred key
accepted or rejected). A newer crawl
makes every part of the source stale; the first part computed after it
deletes them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.orm import Session

# The source's last successful crawl (a failed one leaves the catalog as it was), on the jobs' index,
# and when its catalog last moved without a crawl: a confirmed rename, an inferred key accepted or rejected.
LAST_GOOD_SQL = """
    SELECT j.id, GREATEST(s.catalog_changed_at,
                          (SELECT max(decided_at) FROM catalog_inferred_keys WHERE source_id = s.id))
    FROM sources s
    JOIN LATERAL (SELECT id FROM crawl_jobs WHERE source_id = s.id AND state = 'succeeded'
                  ORDER BY id DESC LIMIT 1) j ON true
    WHERE s.id = :sid"""

GET_SQL = """
    SELECT body FROM catalog_diagram_cache
    WHERE source_id = :sid AND part = :part AND crawl_id = :crawl
      AND changed_at IS NOT DISTINCT FROM CAST(:changed AS timestamptz)"""

PUT_SQL = """
    INSERT INTO catalog_diagram_cache (source_id, part, crawl_id, changed_at, body)
    VALUES (:sid, :part, :crawl, :changed, :body)
    ON CONFLICT ON CONSTRAINT pk_catalog_diagram_cache
    DO UPDATE SET crawl_id = EXCLUDED.crawl_id, changed_at = EXCLUDED.changed_at, body = EXCLUDED.body,
                  created_at = now()"""

STALE_SQL = """
    DELETE FROM catalog_diagram_cache
    WHERE source_id = :sid AND (crawl_id <> :crawl OR changed_at IS DISTINCT FROM CAST(:changed AS timestamptz))"""


def last_good_crawl(session: Session, source_id: int) -> tuple[int, datetime | None] | None:
    """(crawl id, catalog_changed_at) of the source's last successful crawl; None before one."""
    row = session.execute(text(LAST_GOOD_SQL), {"sid": source_id}).first()
    return (row[0], row[1]) if row else None


def cached_part(session: Session, source_id: int, part: str, compute: Callable[[], str]) -> tuple[str, bool]:
    """The part's text for the source's last good crawl, and whether it came
    from the cache; compute() is stored (and the source's stale parts
    deleted) in a transaction of its own. Raises LookupError before a crawl."""
    version = last_good_crawl(session, source_id)
    if version is None:
        raise LookupError("the source has not been crawled successfully yet")
    args = {"sid": source_id, "part": part, "crawl": version[0], "changed": version[1]}
    hit = session.execute(text(GET_SQL), args).scalar()
    session.commit()  # end the read's transaction: compute() may take a while
    if hit is not None:
        return hit, True
    body = compute()
    session.execute(text(STALE_SQL), args)
    session.execute(text(PUT_SQL), {**args, "body": body})
    session.commit()
    return body, False
