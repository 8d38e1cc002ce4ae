"""A starter query: SELECT the chosen columns of a table and of chosen
neighbours, joined along their foreign keys (the shortest key path the
catalog knows between them), quoted for the source's engine."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from .escape import visible
from .keygraph import Edge, Key, KeyGraph

# Words that must be quoted as identifiers in PostgreSQL or MySQL/MariaDB
# (reserved in either; quoting a word that did not need it is harmless):
# PostgreSQL's reserved and type/function-name keywords, then MariaDB's and
# MySQL 8's reserved words.
_RESERVED_WORDS = """
all analyse analyze and any array as asc asymmetric authorization between binary both case cast
check collate column constraint create cross current_catalog current_date current_role
current_schema current_time current_timestamp current_user default deferrable delete desc distinct
do drop else end except exists false fetch for foreign freeze from full grant group having ilike in
index initially inner insert intersect interval into is isnull join key keys lateral leading left
like limit localtime localtimestamp natural not notnull null offset on only or order outer over
overlaps partition placing primary range read references returning right row rows select
session_user similar some symmetric table tablesample then to trailing true union unique update user
using values variadic verbose when where window with collation concurrently
accessible add alter asensitive before bigint blob by call cascade change char character condition
continue convert cursor database databases day_hour day_microsecond day_minute day_second dec
decimal declare delayed delete_domain_id describe deterministic distinctrow div do_domain_ids double
dual each elseif enclosed escaped exit explain float float4 float8 force fulltext general
high_priority hour_microsecond hour_minute hour_second if ignore ignore_domain_ids
ignore_server_ids infile inout insensitive int int1 int2 int3 int4 int8 integer iterate kill leave
linear lines load lock long longblob longtext loop low_priority master_heartbeat_period
master_ssl_verify_server_cert match maxvalue mediumblob mediumint mediumtext middleint
minute_microsecond minute_second mod modifies no_write_to_binlog numeric optimize option optionally
out outfile page_checksum parse_vcol_expr position precision procedure purge reads read_write real
recursive ref_system_id regexp release rename repeat replace require resignal restrict return
revoke rlike row_number schema schemas second_microsecond sensitive separator set show signal slow
smallint spatial specific sql sqlexception sqlstate sqlwarning sql_big_result sql_calc_found_rows
sql_small_result ssl starting stats_auto_recalc stats_persistent stats_sample_pages straight_join
terminated tinyblob tinyint tinytext trigger undo unlock unsigned usage use utc_date utc_time
utc_timestamp varbinary varchar varcharacter varying while write xor year_month zerofill cube
cume_dist dense_rank empty first_value function generated get grouping groups io_after_gtids
io_before_gtids json_table lag last_value lead master_bind nth_value ntile of optimizer_costs
percent_rank rank stored system virtual qualify
"""
RESERVED = frozenset(_RESERVED_WORDS.split())
# matched against the whole name (fullmatch: `$` would also match before a final line feed)
PLAIN = {"postgresql": re.compile(r"[a-z_][a-z0-9_]*"), "mysql": re.compile(r"[A-Za-z_][A-Za-z0-9_]*")}


def sql_dialect(engine: str, settings: Mapping | None) -> str:
    """Whose SQL a source's queries are written in: its engine's, or for the
    `sqlalchemy` engine its URL's dialect (a MySQL URL reads "..." as a
    string, where a backslash escapes the quote: names must be in backticks)."""
    if engine != "sqlalchemy":
        return engine
    try:
        backend = make_url(str((settings or {}).get("url") or "")).get_backend_name()
    except (ArgumentError, ValueError):
        return "postgresql"
    return "mysql" if backend in ("mysql", "mariadb") else "postgresql"


def quote_ident(name: str, engine: str) -> str:
    """`name` as an identifier of `engine`: bare when it is a plain,
    non-reserved word, else quoted ("..." for PostgreSQL, `...` for
    MySQL/MariaDB) with the quote character doubled."""
    if "\x00" in name:
        # neither engine can name such an object, so it cannot be in a query
        raise ValueError(f"the name {visible(name)!r} holds a NUL character, which no identifier can")
    mysql = engine in ("mysql", "mariadb")
    plain = PLAIN["mysql" if mysql else "postgresql"]
    if plain.fullmatch(name) and name.lower() not in RESERVED:
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

    select: list[tuple[Key, str]] = []
    for key in in_query:
        known = [c["name"] for c in (definitions[key] or {}).get("columns", [])]
        chosen = (columns or {}).get(key)
        picked = [c for c in chosen if c in known] if chosen else known
        if key != center and not chosen and key not in wanted:
            picked = []  # a table only on the path: joined, not selected
        select.extend((key, c) for c in picked)
    sql = write_sql(engine, center, aliases, select, joins, unreachable, limit)
    return StarterQuery(sql, center, in_query, joins, unreachable)


def _output_names(select: list[tuple[Key, str]]) -> list[str]:
    """The alias of each selected column, unique in the result and readable:
    the column's own name where no other selected column has it, else
    `<table>_<column>` (`orders_id`, `payments_id`), numbered should that be
    taken too. Names are compared without case, as MySQL/MariaDB compare
    column names."""
    counts = Counter(column.casefold() for _, column in select)
    taken = {column.casefold() for _, column in select if counts[column.casefold()] == 1}
    names: list[str] = []
    for key, column in select:
        if counts[column.casefold()] == 1:
            names.append(column)
            continue
        base = name = f"{key[1]}_{column}"
        n = 1
        while name.casefold() in taken:
            n += 1
            name = f"{base}_{n}"
        taken.add(name.casefold())
        names.append(name)
    return names


def write_sql(
    engine: str,
    center: Key,
    aliases: dict[Key, str],
    select: list[tuple[Key, str]],
    joins: list[Join],
    unreachable: list[Key],
    limit: int = 100,
) -> str:
    """The query's text: one statement. Every name in it is a quoted
    identifier (quote_ident); names in its `--` comments pass through
    escape.visible, so no line break in a name can end a comment and turn the
    rest of the name into SQL."""

    def q(name: str) -> str:
        return quote_ident(name, engine)

    def qualified(key: Key) -> str:
        return f"{q(key[0])}.{q(key[1])}"

    def shown(key: Key) -> str:
        return visible(f"{key[0]}.{key[1]}")

    # every column under an alias of its own: the result's names are unique and say where each came from
    items = [
        f"{aliases[key]}.{q(column)} AS {q(name)}"
        for (key, column), name in zip(select, _output_names(select), strict=True)
    ]
    lines = [f"-- starter query from {shown(center)}, joined along foreign keys"]
    lines += [f"-- not linked by foreign keys within 4 steps: {shown(t)}" for t in unreachable]
    lines += ["SELECT", "    " + ",\n    ".join(items or [f"{aliases[center]}.*"])]
    lines.append(f"FROM {qualified(center)} AS {aliases[center]}")
    for j in joins:
        e = j.edge
        pairs = zip(e.columns, e.ref_columns, strict=False)
        on = " AND ".join(f"{aliases[e.source]}.{q(a)} = {aliases[e.target]}.{q(b)}" for a, b in pairs)
        lines.append(f"JOIN {qualified(j.table)} AS {j.alias} ON {on or 'TRUE'}")
    lines.append(f"LIMIT {int(limit)};")
    return "\n".join(lines) + "\n"
