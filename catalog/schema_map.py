"""A whole source's schema as a map of clusters, for diagrams that still read
at thousands of tables (SchemaSpy runs out of memory at a few hundred; tbls
leaves the layout of everything to Graphviz).

Tables are grouped first by schema; a schema of more than MAX_CLUSTER tables
is split into foreign-key communities found by label propagation (plain,
deterministic: tables in name order, a tie kept or broken towards the
smallest label, at most MAX_ROUNDS rounds; linear in the keys per round, so
a 5,000-table source takes milliseconds; networkx is not a dependency of
the project and would add nothing this needs). A community larger than
MAX_CLUSTER is cut in breadth-first order from its most-connected table, and
communities smaller than MIN_COMMUNITY (tables with few or no keys) are
packed together in name order, so no cluster holds more than MAX_CLUSTER
tables and a drawing of one stays readable.

The edges are the declared foreign keys, the owner's accepted inferred keys
and the views' reads (`depends_on`). The map is pure (`build`), read from the
catalog in three queries (`load`), and kept as JSON by the caller's cache
(catalog/diagram_cache.py) per crawl.
"""

from __future__ import annotations

from collections import defaultdict, deque
from dataclasses import asdict, dataclass, field

from sqlalchemy import text
from sqlalchemy.orm import Session

from .keygraph import Key

MAX_CLUSTER = 40  # tables drawn in one cluster at most
MIN_COMMUNITY = 4  # communities smaller than this are packed with others
MAX_ROUNDS = 30
TOP_TABLES = 5  # the most-referenced tables a cluster's box lists
EDGE_KINDS = ("keys", "inferred", "reads")

# The live tables and views, partitions left out (their parent stands for them).
TABLES_SQL = """
    SELECT schema_name, name, kind FROM catalog_tables
    WHERE source_id = :sid AND removed_at IS NULL AND partition_of_name IS NULL
    ORDER BY schema_name COLLATE "C", name COLLATE "C\""""

# Declared keys (the edge table), accepted inferred keys, and what views read.
EDGES_SQL = """
    SELECT r.schema_name, r.name, f.referenced_schema, f.referenced_table, 'keys'
    FROM catalog_foreign_keys f JOIN catalog_tables r ON r.id = f.table_id AND r.removed_at IS NULL
    WHERE f.source_id = :sid
    UNION ALL
    SELECT schema_name, table_name, referenced_schema, referenced_table, 'inferred'
    FROM catalog_inferred_keys WHERE source_id = :sid AND decision = 'accepted'
    UNION ALL
    SELECT t.schema_name, t.name, d->>'schema', d->>'table', 'reads'
    FROM catalog_tables t
    CROSS JOIN LATERAL jsonb_array_elements(CASE WHEN jsonb_typeof(t.definition->'depends_on') = 'array'
                                                 THEN t.definition->'depends_on' ELSE '[]' END) d
    WHERE t.source_id = :sid AND t.removed_at IS NULL AND t.kind IN ('view', 'materialized_view')"""


@dataclass
class Cluster:
    id: int
    schema: str
    name: str
    tables: list[Key]
    top: list[tuple[str, int]] = field(default_factory=list)  # most-referenced: name, keys pointing at it

    def as_json(self) -> dict:
        return {
            "id": self.id,
            "schema": self.schema,
            "name": self.name,
            "table_count": len(self.tables),
            "tables": [{"schema": s, "name": n} for s, n in self.tables],
            "most_referenced": [{"name": n, "referenced_by": c} for n, c in self.top],
        }


@dataclass
class ClusterEdge:
    source: int
    target: int
    keys: int = 0
    inferred: int = 0
    reads: int = 0

    @property
    def weight(self) -> int:
        return self.keys + self.inferred + self.reads


@dataclass
class SchemaMap:
    clusters: list[Cluster]
    edges: list[ClusterEdge]
    tables: int

    def schemas(self) -> list[str]:
        return sorted({c.schema for c in self.clusters})

    def as_json(self) -> dict:
        return {
            "tables": self.tables,
            "clusters": [c.as_json() for c in self.clusters],
            "edges": [asdict(e) for e in self.edges],
        }

    @classmethod
    def from_json(cls, data: dict) -> SchemaMap:
        clusters = [
            Cluster(
                c["id"],
                c["schema"],
                c["name"],
                [(t["schema"], t["name"]) for t in c["tables"]],
                [(t["name"], t["referenced_by"]) for t in c["most_referenced"]],
            )
            for c in data["clusters"]
        ]
        return cls(clusters, [ClusterEdge(**e) for e in data["edges"]], data["tables"])


def load(session: Session, source_id: int) -> SchemaMap:
    """The source's map from its catalog: two queries."""
    tables = [(s, n) for s, n, _kind in session.execute(text(TABLES_SQL), {"sid": source_id})]
    edges = [((s, n), (rs, rt), k) for s, n, rs, rt, k in session.execute(text(EDGES_SQL), {"sid": source_id})]
    return build(tables, edges)


def label_propagation(nodes: list[Key], adjacent: dict[Key, dict[Key, int]]) -> list[list[Key]]:
    """Communities of `nodes` (in name order), each in name order, in the order of their first table."""
    label = {n: i for i, n in enumerate(nodes)}
    for _ in range(MAX_ROUNDS):
        changed = False
        for n in nodes:
            weights: dict[int, int] = defaultdict(int)
            for m, w in adjacent.get(n, {}).items():
                weights[label[m]] += w
            if not weights:
                continue
            best = max(weights.values())
            tied = [lab for lab, w in weights.items() if w == best]
            new = label[n] if label[n] in tied else min(tied)
            if new != label[n]:
                label[n], changed = new, True
        if not changed:
            break
    groups: dict[int, list[Key]] = defaultdict(list)
    for n in nodes:
        groups[label[n]].append(n)
    return sorted(groups.values(), key=lambda g: g[0])


def _cut(community: list[Key], adjacent: dict[Key, dict[Key, int]]) -> list[list[Key]]:
    """A community of more than MAX_CLUSTER tables in pieces of at most that
    many, breadth first from its most-connected table (neighbours in name order)."""
    if len(community) <= MAX_CLUSTER:
        return [community]
    inside = set(community)
    order: list[Key] = []
    seen: set[Key] = set()
    for start in sorted(community, key=lambda k: (-len(adjacent.get(k, {})), k)):
        if start in seen:
            continue
        seen.add(start)
        queue = deque([start])
        while queue:
            n = queue.popleft()
            order.append(n)
            for m in sorted(adjacent.get(n, {})):
                if m in inside and m not in seen:
                    seen.add(m)
                    queue.append(m)
    return [order[i : i + MAX_CLUSTER] for i in range(0, len(order), MAX_CLUSTER)]


def _split(keys: list[Key], adjacent: dict[Key, dict[Key, int]]) -> list[tuple[str, list[Key]]]:
    """A schema's tables as (kind, tables) groups: `community` or `few keys`."""
    if len(keys) <= MAX_CLUSTER:
        return [("schema", keys)]
    inside = set(keys)
    local = {k: {m: w for m, w in adjacent.get(k, {}).items() if m in inside} for k in keys}
    groups: list[tuple[str, list[Key]]] = []
    pool: list[Key] = []
    for community in label_propagation(keys, local):
        if len(community) < MIN_COMMUNITY:
            pool.extend(community)
            continue
        groups.extend(("community", part) for part in _cut(community, local))
    pool.sort()
    groups.extend(("few keys", pool[i : i + MAX_CLUSTER]) for i in range(0, len(pool), MAX_CLUSTER))
    return groups


def _name(schema: str, kind: str, tables: list[Key], top: list[tuple[str, int]]) -> str:
    if kind == "schema":
        return schema
    if kind == "community" and top:
        return f"{schema}: {top[0][0]} and {len(tables) - 1} more"
    return f"{schema}: {tables[0][1]} … {tables[-1][1]}"


def build(tables: list[Key], edges: list[tuple[Key, Key, str]]) -> SchemaMap:
    """The clusters of `tables` (name order) and the edges between them, weighted by kind."""
    known = set(tables)
    adjacent: dict[Key, dict[Key, int]] = defaultdict(lambda: defaultdict(int))
    referenced: dict[Key, int] = defaultdict(int)
    for a, b, kind in edges:
        if a in known and b in known and a != b:
            adjacent[a][b] += 1
            adjacent[b][a] += 1
            if kind != "reads":
                referenced[b] += 1
    schemas: dict[str, list[Key]] = defaultdict(list)
    for key in sorted(known):
        schemas[key[0]].append(key)
    clusters: list[Cluster] = []
    where: dict[Key, int] = {}
    for schema in sorted(schemas):
        for kind, group in _split(schemas[schema], adjacent):
            ranked = sorted((k for k in group if referenced.get(k)), key=lambda k: (-referenced[k], k))
            top = [(k[1], referenced[k]) for k in ranked[:TOP_TABLES]]
            cluster = Cluster(len(clusters), schema, _name(schema, kind, group, top), list(group), top)
            clusters.append(cluster)
            for k in group:
                where[k] = cluster.id
    between: dict[tuple[int, int], ClusterEdge] = {}
    for a, b, kind in edges:
        if a not in where or b not in where or where[a] == where[b]:
            continue
        pair = (min(where[a], where[b]), max(where[a], where[b]))
        edge = between.setdefault(pair, ClusterEdge(*pair))
        setattr(edge, kind, getattr(edge, kind) + 1)
    return SchemaMap(clusters, [between[p] for p in sorted(between)], len(known))


def by_schema(m: SchemaMap) -> SchemaMap:
    """The map one level up: one box per schema, its edges the sums of its clusters'."""
    schemas = m.schemas()
    index = {s: i for i, s in enumerate(schemas)}
    clusters = []
    for s in schemas:
        members = [c for c in m.clusters if c.schema == s]
        top = sorted((t for c in members for t in c.top), key=lambda t: (-t[1], t[0]))[:TOP_TABLES]
        clusters.append(Cluster(index[s], s, s, [k for c in members for k in c.tables], top))
    owner = {c.id: index[c.schema] for c in m.clusters}
    between: dict[tuple[int, int], ClusterEdge] = {}
    for e in m.edges:
        a, b = sorted((owner[e.source], owner[e.target]))
        if a == b:
            continue
        edge = between.setdefault((a, b), ClusterEdge(a, b))
        for kind in EDGE_KINDS:
            setattr(edge, kind, getattr(edge, kind) + getattr(e, kind))
    return SchemaMap(clusters, [between[p] for p in sorted(between)], m.tables)


def within(m: SchemaMap, schema: str) -> SchemaMap:
    """The clusters of one schema and the edges among them (ids kept)."""
    clusters = [c for c in m.clusters if c.schema == schema]
    ids = {c.id for c in clusters}
    edges = [e for e in m.edges if e.source in ids and e.target in ids]
    return SchemaMap(clusters, edges, sum(len(c.tables) for c in clusters))
