"""Table and column search, ranked: exact name, then prefix, then substring,
then comments, then near misses (pg_trgm).

Ranking every row by similarity costs 100-250 ms at a million columns
(DESIGN.md), so each tier is a cheap indexed lookup with a LIMIT, run only
while the page is not full, and only the few candidates are ranked.
"""
from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session

from .reads import like_pattern

# Queries shorter than this only match exactly or by prefix: trigram indexes
# cannot narrow a one- or two-letter substring, and scanning would be slow.
MIN_SUBSTRING = 3

TIERS = [
    # name, score, condition on x (the table or column row), minimum query length
    ("exact", 1.0, "lower(x.name) = :q", 1),
    ("prefix", 0.8, "lower(x.name) LIKE :prefix ESCAPE '\\' AND lower(x.name) <> :q", 1),
    ("substring", 0.6, "lower(x.name) LIKE :sub ESCAPE '\\' AND lower(x.name) NOT LIKE :prefix ESCAPE '\\'",
     MIN_SUBSTRING),
    ("comment", 0.4, "lower(x.comment) LIKE :sub ESCAPE '\\' AND lower(x.name) NOT LIKE :sub ESCAPE '\\'",
     MIN_SUBSTRING),
    ("near", 0.3, "lower(x.name) % :q AND lower(x.name) NOT LIKE :sub ESCAPE '\\'", MIN_SUBSTRING),
]

SELECTS = {
    "table": """
        SELECT 'table' AS kind, x.source_id, t.schema_name, t.name AS table_name, NULL AS column_name,
               NULL AS type, x.comment, t.crawled_at, similarity(lower(x.name), :q) AS sim, t.id, 0 AS ordinal
        FROM catalog_tables x JOIN catalog_tables t ON t.id = x.id
        WHERE x.source_id = ANY(:sids) AND x.removed_at IS NULL AND {cond}""",
    "column": """
        SELECT 'column' AS kind, x.source_id, t.schema_name, t.name AS table_name, x.name AS column_name,
               x.type, x.comment, t.crawled_at, similarity(lower(x.name), :q) AS sim, t.id, x.ordinal
        FROM catalog_columns x JOIN catalog_tables t ON t.id = x.table_id
        WHERE x.source_id = ANY(:sids) AND {cond}""",
}


def snippet(comment: str | None, q: str, width: int = 160) -> str | None:
    if not comment or len(comment) <= width:
        return comment
    at = max(comment.lower().find(q.lower()), 0)
    start = max(0, min(at - width // 3, len(comment) - width))
    return ("…" if start else "") + comment[start:start + width] + ("…" if start + width < len(comment) else "")


def search(session: Session, source_ids: list[int], q: str, kinds: tuple[str, ...], limit: int) -> list[dict]:
    if not source_ids:
        return []
    params = {"q": q.lower(), "prefix": like_pattern(q, prefix=False), "sub": like_pattern(q), "sids": source_ids}
    hits: dict[tuple, dict] = {}
    for tier, score, cond, min_len in TIERS:
        if len(q) < min_len or len(hits) >= limit:
            break
        for kind in kinds:
            rows = session.execute(text(SELECTS[kind].format(cond=cond) + " LIMIT :limit"),
                                   {**params, "limit": limit})
            for r in rows:
                key = (r.kind, r.id, r.ordinal)
                if key in hits:
                    continue
                hits[key] = {
                    "kind": r.kind, "source_id": r.source_id, "schema": r.schema_name, "table": r.table_name,
                    "column": r.column_name, "type": r.type, "comment": snippet(r.comment, q),
                    "score": round(score + 0.1 * float(r.sim or 0), 4), "match": tier,
                    "crawled_at": r.crawled_at,
                }
    ranked = sorted(hits.values(), key=lambda h: (-h["score"], len(h["column"] or h["table"]), h["schema"],
                                                  h["table"], h["column"] or ""))
    return ranked[:limit]
