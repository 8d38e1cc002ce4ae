"""Table and column search, ranked: exact name, then prefix, then substring,
then comments, then near misses (pg_trgm); among columns of the same name and
match, the column of the table more foreign keys point at comes first.

Ranking every row by similarity costs 100-250 ms at a million columns
(DESIGN.md), so each tier is a cheap indexed lookup with a LIMIT, run only
while the page is not full, and only the few candidates are ranked. Column
substring and near-miss tiers look among each source's distinct column names
(catalog_column_names, far fewer rows than columns, with the trigram index),
then fetch the columns bearing the names found.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session

from .curation.search import (
    DESCRIPTION_SQL,
    filtered_rows,
    hit_curation,
    match_tier,
    parse_query,
    team_sources,
)
from .reads import like_pattern

# Queries shorter than this only match exactly or by prefix: trigram indexes
# cannot narrow a one- or two-letter substring, and scanning would be slow.
MIN_SUBSTRING = 3
# Distinct names a substring or near-miss tier takes as candidates.
NAME_CANDIDATES = 200

TABLE_SELECT = """
    SELECT 'table' AS kind, t.source_id, s.name AS source_name, t.schema_name, t.name AS table_name,
           NULL AS column_name, NULL AS type, t.comment, s.last_success_at AS crawled_at,
           similarity(lower(t.name), :q) AS sim, t.id, 0 AS ordinal
    FROM catalog_tables t JOIN sources s ON s.id = t.source_id
    WHERE t.source_id = ANY(:sids) AND t.removed_at IS NULL AND {cond} LIMIT {limit}"""

COLUMN_SELECT = """
    SELECT 'column' AS kind, x.source_id, s.name AS source_name, t.schema_name, t.name AS table_name,
           x.name AS column_name, x.type, x.comment, s.last_success_at AS crawled_at,
           similarity(lower(x.name), :q) AS sim, t.id, x.ordinal
    FROM catalog_columns x JOIN catalog_tables t ON t.id = x.table_id JOIN sources s ON s.id = x.source_id
    WHERE x.source_id = ANY(:sids) AND {cond} {order} LIMIT :limit"""

# The table near-miss tier takes at most NAME_CANDIDATES tables passing the
# trigram threshold (ordering every one by similarity first cost 30 ms at
# 100,000 tables), keeps the most similar of those, and ranks them by
# whole-name similarity.
NEAR_TABLES = "SELECT * FROM ({inner}) n ORDER BY sim DESC LIMIT :limit"
TIER_RANK = {"exact": 0, "prefix": 1, "substring": 2, "comment": 3, "description": 4, "near": 5}

# name, score, minimum query length, condition on tables (t), condition on columns (x)
TIERS = [
    ("exact", 1.0, 1, "lower(t.name) = :q", "lower(x.name) = :q"),
    (
        "prefix",
        0.8,
        1,
        "lower(t.name) LIKE :prefix ESCAPE '\\' AND lower(t.name) <> :q",
        "lower(x.name) LIKE :prefix ESCAPE '\\' AND lower(x.name) <> :q",
    ),
    (
        "substring",
        0.6,
        MIN_SUBSTRING,
        "lower(t.name) LIKE :sub ESCAPE '\\' AND lower(t.name) NOT LIKE :prefix ESCAPE '\\'",
        "lower(x.name) = ANY(:names)",
    ),
    (
        "comment",
        0.4,
        MIN_SUBSTRING,
        "lower(t.comment) LIKE :sub ESCAPE '\\' AND lower(t.name) NOT LIKE :sub ESCAPE '\\'",
        "lower(x.comment) LIKE :sub ESCAPE '\\' AND lower(x.name) NOT LIKE :sub ESCAPE '\\'",
    ),
    # curated descriptions (catalog/curation/search.py's DESCRIPTION_SQL)
    ("description", 0.35, MIN_SUBSTRING, "", ""),
    (
        "near",
        0.3,
        MIN_SUBSTRING,
        "lower(t.name) % :q AND lower(t.name) NOT LIKE :sub ESCAPE '\\'",
        "lower(x.name) = ANY(:names)",
    ),
]

# The distinct column names a tier looks for, best first.
COLUMN_NAMES = {
    "substring": """
        SELECT DISTINCT name, length(name) FROM catalog_column_names
        WHERE source_id = ANY(:sids) AND name LIKE :sub ESCAPE '\\' AND name NOT LIKE :prefix ESCAPE '\\'
        ORDER BY length(name), name LIMIT :cap""",
    "near": """
        SELECT name FROM catalog_column_names
        WHERE source_id = ANY(:sids) AND name % :q AND name NOT LIKE :sub ESCAPE '\\'
        GROUP BY name ORDER BY max(similarity(name, :q)) DESC LIMIT :cap""",
}


# How many keys of live tables point at each of a few tables, given as
# (source id, schema, name): on the index of catalog_foreign_keys by referenced table.
REFERENCED_COUNTS = """
    SELECT b.sid, b.s, b.n, count(r.id) AS refs
    FROM unnest(CAST(:sids AS bigint[]), CAST(:schemas AS text[]), CAST(:names AS text[])) AS b(sid, s, n)
    JOIN catalog_foreign_keys f ON f.source_id = b.sid AND f.referenced_schema = b.s AND f.referenced_table = b.n
    JOIN catalog_tables r ON r.id = f.table_id AND r.removed_at IS NULL
    GROUP BY b.sid, b.s, b.n"""


def referenced_counts(session: Session, tables: set[tuple[int, str, str]]) -> dict[tuple[int, str, str], int]:
    """The number of foreign keys pointing at each (source id, schema, table): one indexed query."""
    if not tables:
        return {}
    keys = sorted(tables)
    rows = session.execute(
        text(REFERENCED_COUNTS),
        {"sids": [k[0] for k in keys], "schemas": [k[1] for k in keys], "names": [k[2] for k in keys]},
    )
    return {(r.sid, r.s, r.n): r.refs for r in rows}


def name_similarity(a: str, b: str) -> float:
    """1 minus the optimal-string-alignment edit distance over the longer
    length: a similarity of the whole name, in which a swapped pair of letters
    costs one edit. pg_trgm's similarity splits names into words, so for
    `flim_actor` it prefers `actor` (all of its trigrams shared) to
    `film_actor`; this ranks the few candidates trigrams found."""
    a, b = a.lower(), b.lower()
    if a == b:
        return 1.0
    if not a or not b:
        return 0.0
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        row = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            row[j] = min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                row[j] = min(row[j], prev2[j - 2] + 1)
        prev2, prev = prev, row
    return 1.0 - prev[len(b)] / max(len(a), len(b))


def snippet(comment: str | None, q: str, width: int = 160) -> str | None:
    if not comment or len(comment) <= width:
        return comment
    at = max(comment.lower().find(q.lower()), 0)
    start = max(0, min(at - width // 3, len(comment) - width))
    return ("…" if start else "") + comment[start : start + width] + ("…" if start + width < len(comment) else "")


def _rows(session: Session, kind: str, tier: str, table_cond: str, column_cond: str, params: dict):
    if tier == "description":
        return session.execute(text(DESCRIPTION_SQL[kind]), params)
    if kind == "table":
        if tier == "near":
            inner = TABLE_SELECT.format(cond=table_cond, limit=":cap")
            return session.execute(text(NEAR_TABLES.format(inner=inner)), {**params, "cap": NAME_CANDIDATES})
        return session.execute(text(TABLE_SELECT.format(cond=table_cond, limit=":limit")), params)
    if tier in COLUMN_NAMES:
        names = session.execute(text(COLUMN_NAMES[tier]), {**params, "cap": NAME_CANDIDATES}).scalars().all()
        if not names:
            return []
        params = {**params, "names": names}
    # Not ordered: the names came best first, and sorting every column that
    # bears a common name (`id`) would cost far more than the page is worth.
    return session.execute(text(COLUMN_SELECT.format(cond=column_cond, order="")), params)


def _hit(r, tier: str, score: float, q: str) -> dict:
    return {
        "kind": r.kind,
        "source_id": r.source_id,
        "source_name": r.source_name,
        "table_id": r.id,
        "schema": r.schema_name,
        "table": r.table_name,
        "column": r.column_name,
        "type": r.type,
        "comment": snippet(r.comment, q),
        "score": score,
        "match": tier,
        "crawled_at": r.crawled_at,
    }


def search(session: Session, source_ids: list[int], q: str, kinds: tuple[str, ...], limit: int) -> list[dict]:
    """Tables and columns of these sources, best first. `q` may hold filters
    (tag:pii, owner:alice, team:finance) beside its text; each hit carries
    its curated `description` (a snippet) and `tags`."""
    q, filters = parse_query(q)
    if filters.get("team"):
        source_ids = team_sources(session, source_ids, filters["team"])
    if not source_ids:
        return []
    if filters.get("tag") or filters.get("owner"):
        hits = _filtered(session, source_ids, q, filters, kinds)
    elif q:
        hits = _ranked(session, source_ids, q, kinds, limit)
    else:  # team: alone: nothing to rank by
        return []
    hits = hits[:limit]
    curated = hit_curation(session, hits)
    for h in hits:
        description, tags = curated.get((h["table_id"], h["column"] or ""), (None, []))
        h["description"], h["tags"] = snippet(description, q), tags
    return hits


def _filtered(session: Session, source_ids: list[int], q: str, filters: dict, kinds: tuple[str, ...]) -> list[dict]:
    """Curated tables and columns passing the filters, ranked by the tier their text meets."""
    hits = []
    for r in filtered_rows(session, source_ids, q, filters, kinds):
        tier = match_tier(r.column_name or r.table_name, r.comment, r.description, q)
        score = next(s for name, s, *_ in TIERS if name == tier)
        hits.append(_hit(r, tier, round(score + 0.1 * name_similarity(r.column_name or r.table_name, q), 4), q))
    return sorted(hits, key=lambda h: (TIER_RANK[h["match"]], -h["score"], h["schema"], h["table"], h["column"] or ""))


def _ranked(session: Session, source_ids: list[int], q: str, kinds: tuple[str, ...], limit: int) -> list[dict]:
    params = {
        "q": q.lower(),
        "prefix": like_pattern(q, prefix=False),
        "sub": like_pattern(q),
        "sids": source_ids,
        "limit": limit,
    }
    hits: dict[tuple, dict] = {}
    for tier, score, min_len, table_cond, column_cond in TIERS:
        if len(q) < min_len or len(hits) >= limit:
            break
        for kind in kinds:
            for r in _rows(session, kind, tier, table_cond, column_cond, params):
                key = (r.kind, r.id, r.ordinal)
                if key in hits:
                    continue
                sim = name_similarity(r.column_name or r.table_name, q)
                # on an exact name the table itself comes before columns of that name
                table_first = 0.05 if tier == "exact" and r.kind == "table" else 0.0
                hits[key] = _hit(r, tier, round(score + table_first + 0.1 * sim, 4), q)
    # Columns of the same match and similarity (a shared name): the column of
    # the table more keys point at (the more central one) first, then by name.
    refs = referenced_counts(session, {(h["source_id"], h["schema"], h["table"]) for h in hits.values() if h["column"]})
    ranked = sorted(
        hits.values(),
        key=lambda h: (
            TIER_RANK[h["match"]],
            -h["score"],
            h["kind"] != "table",  # a table before a column of the same name and similarity
            -refs.get((h["source_id"], h["schema"], h["table"]), 0) if h["column"] else 0,
            len(h["column"] or h["table"]),
            h["schema"],
            h["table"],
            h["column"] or "",
        ),
    )
    return ranked[:limit]


# Sequences, triggers and routines by name (and a routine's comment), ranked
# by the same tiers as tables. A source has far fewer of them than columns,
# so one query over its catalog_objects (on the primary key's source prefix)
# finds them all; a trigger carries its live table's id. Like the tables'
# near-miss tier, trigrams only pick the candidates (a page and
# NAME_CANDIDATES more); they are ranked by the score they answer with
# (whole-name similarity), so the order and `score` agree.
OBJECT_GROUPS = {
    "sequence": ("sequence",),
    "trigger": ("trigger",),
    "routine": ("function", "procedure", "aggregate", "window"),
    # the web UI's search also finds PostgreSQL's domains, extensions and enum types (catalog_enums rows read
    # as objects: ENUM_ROWS); the API's `kind` takes the three above
    "domain": ("domain",),
    "extension": ("extension",),
    "enum": ("enum",),
}
ENUM_ROWS = """(SELECT 'enum' AS kind, source_id, schema_name, '' AS table_name, name, '' AS arguments,
    jsonb_build_object('comment', comment) AS details FROM catalog_enums)"""

OBJECT_SEARCH = """
    SELECT o.kind, o.source_id, s.name AS source_name, o.schema_name, o.table_name, o.name, o.arguments,
           o.details->>'comment' AS comment, s.last_success_at AS crawled_at, t.id AS table_id, m.tier
    FROM {objects} o JOIN sources s ON s.id = o.source_id
    LEFT JOIN catalog_tables t ON o.kind = 'trigger' AND t.source_id = o.source_id
         AND t.schema_name = o.schema_name AND t.name = o.table_name AND t.removed_at IS NULL
    CROSS JOIN LATERAL (SELECT CASE
        WHEN lower(o.name) = :q THEN 'exact'
        WHEN lower(o.name) LIKE :prefix ESCAPE '\\' THEN 'prefix'
        WHEN :long AND lower(o.name) LIKE :sub ESCAPE '\\' THEN 'substring'
        WHEN :long AND lower(o.details->>'comment') LIKE :sub ESCAPE '\\' THEN 'comment'
        WHEN :long AND lower(o.name) % :q THEN 'near' END AS tier) m
    WHERE o.source_id = ANY(:sids) AND o.kind = ANY(:kinds) AND m.tier IS NOT NULL
    ORDER BY CASE m.tier WHEN 'exact' THEN 0 WHEN 'prefix' THEN 1 WHEN 'substring' THEN 2
             WHEN 'comment' THEN 3 ELSE 4 END, similarity(lower(o.name), :q) DESC, length(o.name),
             o.schema_name, o.name, o.arguments
    LIMIT :limit"""


def search_objects(session: Session, source_ids: list[int], q: str, group: str, limit: int) -> list[dict]:
    """Hits among the sources' sequences, triggers or routines (`group`):
    `kind` is the group, `name` the object's, `table` a trigger's table."""
    if not source_ids:
        return []
    params = {
        "q": q.lower(),
        "prefix": like_pattern(q, prefix=False),
        "sub": like_pattern(q),
        "long": len(q) >= MIN_SUBSTRING,
        "sids": source_ids,
        "kinds": list(OBJECT_GROUPS[group]),
        "limit": limit + NAME_CANDIDATES,
    }
    hits = []
    objects = ENUM_ROWS if group == "enum" else "catalog_objects"
    for r in session.execute(text(OBJECT_SEARCH.format(objects=objects)), params):
        score = next(s for tier, s, *_ in TIERS if tier == r.tier)
        hits.append(
            {
                "kind": group,
                "object_kind": r.kind,
                "source_id": r.source_id,
                "source_name": r.source_name,
                "schema": r.schema_name,
                "table": r.table_name or None,
                "name": r.name,
                "arguments": r.arguments if group == "routine" else None,
                "column": None,
                "type": None,
                "comment": snippet(r.comment, q),
                "score": round(score + 0.1 * name_similarity(r.name, q), 4),
                "match": r.tier,
                "crawled_at": r.crawled_at,
                "table_id": r.table_id,
            }
        )
    hits.sort(
        key=lambda h: (TIER_RANK[h["match"]], -h["score"], len(h["name"]), h["schema"], h["name"], h["arguments"] or "")
    )
    return hits[:limit]
