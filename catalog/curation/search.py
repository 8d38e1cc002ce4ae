"""Search by curation: `tag:pii`, `owner:alice` and `team:finance` inside a
search's text, combinable with the text and each other; the description tier
of the ranked search; and the tags and description every table or column hit
carries. catalog/search.py calls these."""

from __future__ import annotations

import re

from sqlalchemy import text
from sqlalchemy.orm import Session

from ..reads import like_pattern
from .read import TAGS_JSON

FILTERS = ("tag", "owner", "team")
_TOKEN = re.compile(r"(?<!\S)(tag|owner|team):(\S+)", re.IGNORECASE)
# Objects a filtered search ranks at most (curated objects are few: the cap
# only bounds a pathological team).
FILTERED_CAP = 1000


def parse_query(q: str) -> tuple[str, dict[str, list[str]]]:
    """The search text with the filters taken out, and the filters (each
    lower-cased; several of one kind must all hold)."""
    filters: dict[str, list[str]] = {}
    for m in _TOKEN.finditer(q):
        filters.setdefault(m.group(1).lower(), []).append(m.group(2).lower())
    return " ".join(_TOKEN.sub(" ", q).split()), filters


def team_sources(session: Session, source_ids: list[int], teams: list[str]) -> list[int]:
    """Those of the sources that belong to a team of each of these names (one name: that team's)."""
    if not source_ids:
        return []
    rows = session.execute(
        text(
            "SELECT s.id FROM sources s JOIN teams t ON t.id = s.team_id "
            "WHERE s.id = ANY(:sids) AND lower(t.name) = ALL(:names)"
        ),
        {"sids": source_ids, "names": teams},
    )
    return [r[0] for r in rows]


# `owner:x`: a user owner whose email is x or whose email's local part is x, or a team owner named x.
OWNER_COND = """(c.owner_user_ids && ARRAY(SELECT u.id FROM users u
        WHERE lower(u.email) = :{p} OR split_part(lower(u.email), '@', 1) = :{p})
    OR c.owner_team_ids && ARRAY(SELECT g.id FROM teams g WHERE lower(g.name) = :{p}))"""

FILTERED_SQL = """
    SELECT c.kind, c.source_id, s.name AS source_name, t.schema_name, t.name AS table_name,
           nullif(c.column_name, '') AS column_name, x.type,
           CASE WHEN c.kind = 'table' THEN t.comment ELSE x.comment END AS comment,
           s.last_success_at AS crawled_at, t.id, coalesce(x.ordinal, 0) AS ordinal, c.description
    FROM catalog_curation c JOIN sources s ON s.id = c.source_id
    JOIN catalog_tables t ON t.id = c.table_id AND t.removed_at IS NULL
    LEFT JOIN catalog_columns x ON c.kind = 'column' AND x.table_id = c.table_id AND x.name = c.column_name
    WHERE c.source_id = ANY(:sids) AND c.kind = ANY(:kinds) AND (c.kind = 'table' OR x.table_id IS NOT NULL)
      AND {conds}
    ORDER BY c.id LIMIT :cap"""


def filtered_rows(session: Session, source_ids: list[int], q: str, filters: dict, kinds: tuple[str, ...]):
    """The live tables and columns of these sources whose curation passes
    the tag and owner filters and whose name, comment or description holds
    `q` (any, without text); rows shaped like catalog/search.py's tiers'."""
    conds = ["true"]
    params: dict = {"sids": source_ids, "kinds": list(kinds), "cap": FILTERED_CAP}
    if filters.get("tag"):
        conds.append("c.tags @> CAST(:tags AS text[])")
        params["tags"] = filters["tag"]
    for i, owner in enumerate(filters.get("owner", [])):
        conds.append(OWNER_COND.format(p=f"owner{i}"))
        params[f"owner{i}"] = owner
    if q:
        conds.append(
            "(lower(CASE WHEN c.kind = 'table' THEN t.name ELSE x.name END) LIKE :sub ESCAPE '\\' "
            "OR lower(CASE WHEN c.kind = 'table' THEN t.comment ELSE x.comment END) LIKE :sub ESCAPE '\\' "
            "OR lower(c.description) LIKE :sub ESCAPE '\\')"
        )
        params["sub"] = like_pattern(q)
    return session.execute(text(FILTERED_SQL.format(conds=" AND ".join(conds))), params).all()


def match_tier(name: str, comment: str | None, description: str | None, q: str) -> str:
    """Which of the ranked search's tiers a filtered hit's text meets."""
    name, q = name.lower(), q.lower()
    if not q or name == q:
        return "exact"
    if name.startswith(q):
        return "prefix"
    if q in name:
        return "substring"
    return "comment" if q in (comment or "").lower() else "description"


# The description tier: curated descriptions holding the text (the trigram
# index ix_catalog_curation_description_trgm), live tables and present columns.
DESCRIPTION_SQL = {
    "table": """
        SELECT 'table' AS kind, t.source_id, s.name AS source_name, t.schema_name, t.name AS table_name,
               NULL AS column_name, NULL AS type, t.comment, s.last_success_at AS crawled_at,
               similarity(lower(t.name), :q) AS sim, t.id, 0 AS ordinal
        FROM catalog_curation c JOIN catalog_tables t ON t.id = c.table_id AND t.removed_at IS NULL
        JOIN sources s ON s.id = t.source_id
        WHERE c.source_id = ANY(:sids) AND c.kind = 'table' AND c.description IS NOT NULL
          AND lower(c.description) LIKE :sub ESCAPE '\\' LIMIT :limit""",
    "column": """
        SELECT 'column' AS kind, x.source_id, s.name AS source_name, t.schema_name, t.name AS table_name,
               x.name AS column_name, x.type, x.comment, s.last_success_at AS crawled_at,
               similarity(lower(x.name), :q) AS sim, t.id, x.ordinal
        FROM catalog_curation c JOIN catalog_tables t ON t.id = c.table_id AND t.removed_at IS NULL
        JOIN catalog_columns x ON x.table_id = c.table_id AND x.name = c.column_name
        JOIN sources s ON s.id = t.source_id
        WHERE c.source_id = ANY(:sids) AND c.kind = 'column' AND c.description IS NOT NULL
          AND lower(c.description) LIKE :sub ESCAPE '\\' LIMIT :limit""",
}

HIT_CURATION_SQL = f"""
    SELECT c.table_id, c.column_name, c.description, {TAGS_JSON.format(c="c", s="s")} AS tags
    FROM catalog_curation c JOIN sources s ON s.id = c.source_id
    WHERE c.source_id = ANY(:sids) AND c.kind IN ('table', 'column') AND c.table_id = ANY(:tids)"""


def hit_curation(session: Session, hits: list[dict]) -> dict[tuple[int, str], tuple[str | None, list]]:
    """(description, tags) of the hits' tables and columns, by (table id,
    column name or ''): one query for a page of hits."""
    tids = sorted({h["table_id"] for h in hits if h.get("table_id")})
    if not tids:
        return {}
    sids = sorted({h["source_id"] for h in hits})
    rows = session.execute(text(HIT_CURATION_SQL), {"sids": sids, "tids": tids})
    return {(r.table_id, r.column_name): (r.description, list(r.tags)) for r in rows}
