"""A starter query: SELECT the chosen columns of a table and of chosen
neighbours, joined along their foreign keys (the shortest key path the
catalog knows between them), quoted for the source's engine."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .keygraph import Edge, Key, KeyGraph

# Words that must be quoted as identifiers in PostgreSQL or MySQL/MariaDB
# (reserved in either; quoting a word that did not need it is harmless).
_RESERVED_WORDS = """
all analyse analyze and any array as asc asymmetric authorization between binary both case cast
check collate column constraint create cross current_catalog current_date current_role
current_schema current_time current_timestamp current_user default deferrable delete desc distinct
do drop else end except exists false fetch for foreign freeze from full grant group having ilike in
index initially inner insert intersect interval into is isnull join key keys lateral leading left
like limit localtime localtimestamp natural not notnull null offset on only or order outer over
overlaps partition placing primary range read references returning right row rows select
session_user similar some symmetric table tablesample then to trailing true union unique update user
using values variadic verbose when where window with
"""
RESERVED = frozenset(_RESERVED_WORDS.split())
PLAIN = {"postgresql": re.compile(r"^[a-z_][a-z0-9_]*$"), "mysql": re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")}


def quote_ident(name: str, engine: str) -> str:
    """`name` as an identifier of `engine`: bare when it is a plain,
    non-reserved word, else quoted ("..." for PostgreSQL, `...` for
    MySQL/MariaDB) with the quote character doubled."""
    mysql = engine in ("mysql", "mariadb")
    plain = PLAIN["mysql" if mysql else "postgresql"]
    if plain.match(name) and name.lower() not in RESERVED:
        return name
    q = "`" if mysql else '"'
    return q + name.replace(q, q + q) + q


@dataclass
class Join:
    table: Key
    alias: str
    edge: Edge
    via: Key  # the table already in the query it joins to


@dataclass
class StarterQuery:
    sql: str
    center: Key
    tables: list[Key]
    joins: list[Join] = field(default_factory=list)
    unreachable: list[Key] = field(default_factory=list)


def _alias(name: str, taken: set[str]) -> str:
    words = [w for w in re.split(r"[^A-Za-z0-9]+", name.lower()) if w]
    base = "".join(w[0] for w in words) or "t"
    if not base[0].isalpha():
        base = "t" + base
    if base.lower() in RESERVED:
        base += "_"
    alias, n = base, 1
    while alias in taken:
        n += 1
        alias = f"{base}{n}"
    taken.add(alias)
    return alias


def starter_query(
    graph: KeyGraph,
    engine: str,
    center: Key,
    tables: list[Key],
    columns: dict[Key, list[str]] | None = None,
    limit: int = 100,
) -> StarterQuery | None:
    """The query, or None when `center` is not in the catalog. Tables not
    linked to `center` within a few keys are listed in `unreachable`.
    `columns` picks columns per table (all of a table's columns otherwise)."""
    if graph.definitions([center])[center] is None:
        return None
    wanted = [t for t in dict.fromkeys(tables) if t != center]
    paths = graph.shortest_paths(center, wanted)
    taken: set[str] = set()
    aliases: dict[Key, str] = {center: _alias(center[1], taken)}
    joins: list[Join] = []
    for target in wanted:
        for edge in paths.get(target, []):
            for node in (edge.source, edge.target):
                if node not in aliases:
                    via = edge.target if node == edge.source else edge.source
                    aliases[node] = _alias(node[1], taken)
                    joins.append(Join(node, aliases[node], edge, via))
    unreachable = [t for t in wanted if t not in paths]
    in_query = list(aliases)
    definitions = graph.definitions(in_query)

    def q(name: str) -> str:
        return quote_ident(name, engine)

    def qualified(key: Key) -> str:
        return f"{q(key[0])}.{q(key[1])}"

    select: list[str] = []
    for key in in_query:
        known = [c["name"] for c in (definitions[key] or {}).get("columns", [])]
        chosen = (columns or {}).get(key)
        picked = [c for c in chosen if c in known] if chosen else known
        if key != center and not chosen and key not in wanted:
            picked = []  # a table only on the path: joined, not selected
        select.extend(f"{aliases[key]}.{q(c)}" for c in picked)
    lines = ["SELECT", "    " + ",\n    ".join(select or [f"{aliases[center]}.*"])]
    lines.append(f"FROM {qualified(center)} AS {aliases[center]}")
    for j in joins:
        e = j.edge
        pairs = zip(e.columns, e.ref_columns, strict=False)
        on = " AND ".join(f"{aliases[e.source]}.{q(a)} = {aliases[e.target]}.{q(b)}" for a, b in pairs)
        lines.append(f"JOIN {qualified(j.table)} AS {j.alias} ON {on or 'TRUE'}")
    lines.append(f"LIMIT {int(limit)};")
    header = [f"-- starter query from {center[0]}.{center[1]}, joined along foreign keys"]
    header += [f"-- not linked by foreign keys within 4 steps: {t[0]}.{t[1]}" for t in unreachable]
    return StarterQuery("\n".join(header + lines) + "\n", center, in_query, joins, unreachable)
