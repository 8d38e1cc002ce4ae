"""A source's foreign-key graph: which table references which.

A table's own (outbound) keys are in its definition: one indexed row. Who
references a table (inbound) is spread over every other definition, and the
catalog has no index on the keys inside definitions. So the inbound side is
built once per catalog version (a successful crawl) as a Redis hash keyed by
the referenced table, from one set-based query over the keys of the source's
tables; a neighbourhood then asks for the few tables it draws (HMGET), never
for the whole graph. Without Redis the inbound keys are found by a scan of
the source's keys: the same answer, only slower on a large source.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

Key = tuple[str, str]  # (schema, table)

EDGES_SQL = """
    SELECT t.schema_name, t.name, fk->>'name' AS fk_name, fk->'columns' AS columns,
           fk->>'referenced_schema' AS ref_schema, fk->>'referenced_table' AS ref_table,
           fk->'referenced_columns' AS ref_columns
    FROM catalog_tables t CROSS JOIN LATERAL jsonb_array_elements(CASE
        WHEN jsonb_typeof(t.definition->'foreign_keys') = 'array' THEN t.definition->'foreign_keys'
        ELSE '[]'::jsonb END) fk
    WHERE t.source_id = :sid AND t.removed_at IS NULL"""

INBOUND_SQL = (
    EDGES_SQL
    + """ AND (fk->>'referenced_schema', fk->>'referenced_table') IN
        (SELECT * FROM unnest(CAST(:schemas AS text[]), CAST(:names AS text[])))"""
)

# Definitions of a few tables, by (schema, name), on the source's unique index.
DEFINITIONS_SQL = """
    SELECT t.schema_name, t.name, t.kind, t.comment, t.row_estimate,
           t.definition->'columns' AS columns, t.definition->'primary_key' AS primary_key,
           t.definition->'foreign_keys' AS foreign_keys
    FROM catalog_tables t JOIN unnest(CAST(:schemas AS text[]), CAST(:names AS text[])) AS b(s, n)
      ON t.source_id = :sid AND t.schema_name = b.s AND t.name = b.n
    WHERE t.removed_at IS NULL"""


@dataclass(frozen=True)
class Edge:
    """A foreign key: (schema, table).columns references (ref_schema, ref_table).ref_columns."""

    schema: str
    table: str
    name: str
    columns: tuple[str, ...]
    ref_schema: str
    ref_table: str
    ref_columns: tuple[str, ...]

    @property
    def source(self) -> Key:
        return (self.schema, self.table)

    @property
    def target(self) -> Key:
        return (self.ref_schema, self.ref_table)

    def to_list(self) -> list:
        return [self.schema, self.table, self.name, list(self.columns), list(self.ref_columns)]

    @classmethod
    def from_fk(cls, key: Key, fk: dict) -> Edge:
        return cls(
            key[0],
            key[1],
            fk.get("name") or "",
            tuple(fk.get("columns") or ()),
            fk["referenced_schema"],
            fk["referenced_table"],
            tuple(fk.get("referenced_columns") or ()),
        )


def _edge_from_row(r) -> Edge:
    return Edge(
        r.schema_name,
        r.name,
        r.fk_name or "",
        tuple(r.columns or ()),
        r.ref_schema,
        r.ref_table,
        tuple(r.ref_columns or ()),
    )


def _field(key: Key) -> str:
    return json.dumps(list(key))


class KeyGraph:
    """The foreign keys of one source at one catalog version (see module doc).

    `version` must change whenever the source's catalog may have changed (the
    API's version tag of the source does); `redis` may be None."""

    BUILT = "__built__"

    def __init__(self, session: Session, source_id: int, version: str, redis=None, ttl: int = 86400):
        self.session = session
        self.source_id = source_id
        self.redis = redis
        self.ttl = ttl
        self.redis_key = f"metacrawl:keygraph:{source_id}:{version}"
        self._definitions: dict[Key, dict | None] = {}

    # -- definitions and outbound keys: the tables' own rows --------------------------

    def definitions(self, keys: Iterable[Key]) -> dict[Key, dict | None]:
        """kind, comment, columns, primary key and foreign keys of these tables
        (None for a table that is not in the catalog), one indexed query."""
        wanted = [k for k in dict.fromkeys(keys) if k not in self._definitions]
        if wanted:
            rows = self.session.execute(
                text(DEFINITIONS_SQL),
                {"sid": self.source_id, "schemas": [k[0] for k in wanted], "names": [k[1] for k in wanted]},
            )
            for k in wanted:
                self._definitions[k] = None
            for r in rows:
                self._definitions[(r.schema_name, r.name)] = {
                    "kind": r.kind,
                    "comment": r.comment,
                    "row_estimate": r.row_estimate,
                    "columns": r.columns or [],
                    "primary_key": r.primary_key,
                    "foreign_keys": r.foreign_keys or [],
                }
        return {k: self._definitions[k] for k in keys}

    def outbound(self, keys: Iterable[Key]) -> dict[Key, list[Edge]]:
        out: dict[Key, list[Edge]] = {}
        for key, d in self.definitions(list(keys)).items():
            out[key] = [Edge.from_fk(key, fk) for fk in (d or {}).get("foreign_keys", [])]
        return out

    # -- inbound keys: the Redis index, or a scan -----------------------------------

    def inbound(self, keys: Iterable[Key]) -> dict[Key, list[Edge]]:
        keys = list(dict.fromkeys(keys))
        if not keys:
            return {}
        if self.redis is not None:
            try:
                return self._inbound_indexed(keys)
            except Exception:
                log.warning("key graph index unavailable; scanning the catalog")
        return self._inbound_scan(keys)

    def _inbound_scan(self, keys: list[Key]) -> dict[Key, list[Edge]]:
        found: dict[Key, list[Edge]] = {k: [] for k in keys}
        rows = self.session.execute(
            text(INBOUND_SQL + " ORDER BY t.schema_name, t.name, fk_name"),
            {"sid": self.source_id, "schemas": [k[0] for k in keys], "names": [k[1] for k in keys]},
        )
        for r in rows:
            e = _edge_from_row(r)
            found[e.target].append(e)
        return found

    def _inbound_indexed(self, keys: list[Key]) -> dict[Key, list[Edge]]:
        values = self.redis.hmget(self.redis_key, [self.BUILT, *(_field(k) for k in keys)])
        if values[0] is None:
            self.build_index()
            values = self.redis.hmget(self.redis_key, [self.BUILT, *(_field(k) for k in keys)])
        found: dict[Key, list[Edge]] = {}
        for key, raw in zip(keys, values[1:], strict=True):
            edges = json.loads(raw) if raw else []
            found[key] = [Edge(s, t, n, tuple(c), key[0], key[1], tuple(rc)) for s, t, n, c, rc in edges]
        return found

    def build_index(self) -> int:
        """Write the inbound index of this version; returns the edges indexed."""
        by_target: dict[Key, list[list]] = {}
        count = 0
        for r in self.session.execute(
            text(EDGES_SQL + " ORDER BY t.schema_name, t.name, fk_name"), {"sid": self.source_id}
        ):
            e = _edge_from_row(r)
            by_target.setdefault(e.target, []).append(e.to_list())
            count += 1
        pipe = self.redis.pipeline(transaction=False)
        pipe.delete(self.redis_key)
        items = [(_field(k), json.dumps(v)) for k, v in by_target.items()]
        for start in range(0, len(items), 5000):
            pipe.hset(self.redis_key, mapping=dict(items[start : start + 5000]))
        pipe.hset(self.redis_key, self.BUILT, str(count))
        pipe.expire(self.redis_key, self.ttl)
        pipe.execute()
        return count

    # -- paths ------------------------------------------------------------------------

    def shortest_paths(
        self, start: Key, targets: Iterable[Key], max_depth: int = 4, max_visited: int = 5000
    ) -> dict[Key, list[Edge]]:
        """For each target reachable from `start` along foreign keys (either
        direction), the edges of one shortest path, from `start` outwards.
        Breadth first, one level at a time, stopping when every target is
        found or after `max_depth` levels / `max_visited` tables."""
        wanted = {t for t in targets if t != start}
        parent: dict[Key, tuple[Key, Edge] | None] = {start: None}
        frontier = [start]
        depth = 0
        while frontier and depth < max_depth and not wanted <= parent.keys() and len(parent) < max_visited:
            depth += 1
            out = self.outbound(frontier)
            inn = self.inbound(frontier)
            nxt: list[Key] = []
            for node in frontier:
                steps = [(e.target, e) for e in out.get(node, [])] + [(e.source, e) for e in inn.get(node, [])]
                for other, edge in steps:
                    if other not in parent:
                        parent[other] = (node, edge)
                        nxt.append(other)
            frontier = nxt
        paths: dict[Key, list[Edge]] = {}
        for t in wanted:
            if t not in parent:
                continue
            path: list[Edge] = []
            at = t
            while parent[at] is not None:
                prev, edge = parent[at]  # type: ignore[misc]
                path.append(edge)
                at = prev
            paths[t] = list(reversed(path))
        return paths
