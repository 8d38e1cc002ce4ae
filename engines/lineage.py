"""Column lineage of a view: which source columns each output column is
computed from, as the view document's `lineage` part (pure, no I/O).

The parsers (engines/lineage_pg.py: pglast, PostgreSQL's own parser;
engines/lineage_sql.py: sqlglot, for MySQL/MariaDB and SQLite) walk a
view's SELECT and ask a Scope what each column reference names. This module
holds what they share: the scopes, and the document part they produce:

    {"status": "resolved" | "partial" | "unresolved", "reason": str | None,
     "columns": [{"name", "status", "reason", "sources": [edge...]}],
     "reads": [edge...]}

An edge is {"schema", "table", "column", "found"}; `found` says how it was
learnt: "catalog" (PostgreSQL's pg_depend recorded that the view reads this
column; the parse only says which output it feeds) or "parsed" (from the
view's SQL alone). `reads` is every column the view reads, in its WHERE and
joins too. A column's status: "resolved" (its sources are complete),
"constant" (computed from no column at all), "partial" (it calls a function
the parser does not know, so its sources may miss some), "unresolved" (the
parse could not tell; `reason` says why). A view that cannot be parsed is
"unresolved" with its reason and every column unresolved: never an empty
list that looks complete.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field

Source = tuple[str, str, str]  # schema, table, column
KnownColumns = Callable[[str, str], "Collection[str] | None"]  # a relation's columns; None: not known


_ANSI = re.compile(r"\x1b\[[0-9;]*m")


class Unresolvable(Exception):
    """The parse met something it cannot map (its message says what)."""


@dataclass
class Output:
    """One output column of a (sub)query as the walk found it."""

    name: str
    sources: set[Source] = field(default_factory=set)
    unknown: set[str] = field(default_factory=set)  # functions the parser does not know
    problem: str | None = None  # why its sources cannot be told


def _fold(name: str) -> str:
    return name.lower()


class Scope:
    """The relations one SELECT reads from, by the name it calls them, with
    the enclosing query's scope behind (correlated subqueries)."""

    def __init__(self, known: KnownColumns, parent: Scope | None = None, ctes: dict | None = None):
        self.known, self.parent = known, parent
        self.ctes: dict[str, list[Output]] = dict(parent.ctes if parent else {}) | (ctes or {})
        self.tables: dict[str, Source] = {}  # alias -> (schema, table, "")
        self.derived: dict[str, list[Output]] = {}

    def add_table(self, alias: str, schema: str, table: str) -> None:
        self.tables[alias] = (schema, table, "")

    def add_derived(self, alias: str, outputs: list[Output]) -> None:
        self.derived[alias] = outputs

    def _find(self, qualifier: str) -> tuple[Source | None, list[Output] | None]:
        for names in (lambda n: n, _fold):
            for alias, rel in self.tables.items():
                if names(alias) == names(qualifier):
                    return rel, None
            for alias, outs in self.derived.items():
                if names(alias) == names(qualifier):
                    return None, outs
        return None, None

    def resolve(self, qualifier: str | None, column: str) -> Output:
        """The sources a column reference names, looked up here and then
        outwards; raises Unresolvable when no relation in scope has it."""
        scope: Scope | None = self
        while scope is not None:
            found = scope._resolve_here(qualifier, column)
            if found is not None:
                return found
            scope = scope.parent
        where = f"{qualifier}.{column}" if qualifier else column
        raise Unresolvable(f"column {where!r} names no relation the parser could see")

    def _resolve_here(self, qualifier: str | None, column: str) -> Output | None:
        if qualifier is not None:
            rel, outs = self._find(qualifier)
            if rel is not None:
                return Output(column, {(rel[0], rel[1], column)})
            return _pick(outs, column) if outs is not None else None
        hits: list[Output] = []
        for schema, table, _ in self.tables.values():
            cols = self.known(schema, table)
            if cols is not None and _has(cols, column):
                hits.append(Output(column, {(schema, table, _exact(cols, column))}))
        hits += [o for outs in self.derived.values() if (o := _pick(outs, column)) is not None]
        if len(hits) > 1:
            raise Unresolvable(f"column {column!r} is in more than one relation in scope")
        return hits[0] if hits else None

    def star(self, qualifier: str | None) -> list[Output]:
        """The outputs `*` (or `qualifier.*`) stands for, in FROM order."""
        outs: list[Output] = []
        for alias, rel in self.tables.items():
            if qualifier is None or alias == qualifier:
                cols = self.known(rel[0], rel[1])
                if cols is None:
                    raise Unresolvable(f"the columns of {rel[0]}.{rel[1]} behind * are not known")
                outs += [Output(c, {(rel[0], rel[1], c)}) for c in cols]
        for alias, derived in self.derived.items():
            if qualifier is None or alias == qualifier:
                outs += derived
        return outs


def _has(cols: Iterable[str], column: str) -> bool:
    return column in cols or any(_fold(c) == _fold(column) for c in cols)


def _exact(cols: Iterable[str], column: str) -> str:
    return column if column in cols else next(c for c in cols if _fold(c) == _fold(column))


def _pick(outs: list[Output] | None, column: str) -> Output | None:
    for names in (lambda n: n, _fold):
        for o in outs or []:
            if names(o.name) == names(column):
                return o
    return None


def merge(into: Output, other: Output) -> None:
    into.sources |= other.sources
    into.unknown |= other.unknown
    into.problem = into.problem or other.problem


def _edge(source: Source, found: str) -> dict:
    return {"schema": source[0], "table": source[1], "column": source[2], "found": found}


def _column(name: str, out: Output | None, found: Callable[[Source], str | None]) -> dict:
    if out is None:
        return {"name": name, "status": "unresolved", "reason": "the parse found no output here", "sources": []}
    kept = sorted(s for s in out.sources if found(s))
    sources = [_edge(s, found(s) or "") for s in kept]
    if out.problem:
        status, reason = "unresolved", out.problem
    elif out.unknown:
        status, reason = "partial", "calls a function the parser does not know: " + ", ".join(sorted(out.unknown))
    elif not out.sources:
        status, reason = "constant", "computed from no column"
    elif len(kept) < len(out.sources):
        status, reason = "partial", "the parse named a column the database does not record as read"
    else:
        status, reason = "resolved", None
    return {"name": name, "status": status, "reason": reason, "sources": sources}


def lineage_part(
    view_columns: list[str],
    outputs: list[Output],
    reads: Iterable[Source],
    found: Callable[[Source], str | None],
    read_found: str,
) -> dict:
    """The document part from the walk's outputs (matched to the view's
    columns by position). `found` labels a source column ("catalog",
    "parsed") or drops it (None: the database does not record it)."""
    if len(outputs) != len(view_columns):
        return unresolved(
            view_columns,
            f"the parse found {len(outputs)} output columns, the view has {len(view_columns)}",
            reads,
            read_found,
        )
    columns = [_column(name, out, found) for name, out in zip(view_columns, outputs, strict=True)]
    bad = [c for c in columns if c["status"] in ("unresolved", "partial")]
    status = "resolved" if not bad else ("unresolved" if len(bad) == len(columns) else "partial")
    reason = None if not bad else f"{len(bad)} of {len(columns)} columns not fully resolved"
    return {
        "status": status,
        "reason": reason,
        "columns": columns,
        "reads": [_edge(s, read_found) for s in sorted(set(reads))],
    }


def unresolved(view_columns: list[str], reason: str, reads: Iterable[Source] = (), read_found: str = "catalog") -> dict:
    """A view whose SQL the parser could not map: said so, view and columns."""
    return {
        "status": "unresolved",
        "reason": reason,
        "columns": [{"name": c, "status": "unresolved", "reason": reason, "sources": []} for c in view_columns],
        "reads": [_edge(s, read_found) for s in sorted(set(reads))],
    }


def short_reason(exc: BaseException) -> str:
    """A parser's complaint, cut to one line a page can show."""
    # sqlglot underlines the bad token with terminal colour codes
    text = " ".join(_ANSI.sub("", str(exc)).split()) or type(exc).__name__
    return text if len(text) <= 300 else text[:297] + "..."
