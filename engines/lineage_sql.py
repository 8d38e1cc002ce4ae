"""A MySQL/MariaDB or SQLite view's column lineage, parsed from its SQL with
sqlglot: these engines record no column-level dependencies, so every edge
is `parsed`.

MySQL/MariaDB store VIEW_DEFINITION with `*` expanded and every column
qualified (`db`.`table`.`column`); SQLite keeps the text as written, so `*`
and unqualified names are resolved with the referenced tables' columns,
which the engine reads for the batch (`known`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlglot
from sqlglot import exp

from .lineage import KnownColumns, Output, Scope, Source, Unresolvable, lineage_part, merge, short_reason, unresolved

# Parts of a SELECT whose columns feed no output but are read all the same.
_READ_ONLY_PARTS = ("where", "group", "having", "order", "qualify")


def view_lineage(
    sql: str | None, view_columns: list[str], dialect: str, default_schema: str, known: KnownColumns
) -> dict:
    """The view's `lineage` part; never raises (a failure is its status)."""
    if not sql:
        return unresolved(view_columns, "the view's SQL could not be read", read_found="parsed")
    walk = _Walk(dialect, default_schema, known)
    try:
        tree = sqlglot.parse_one(_select_of(sql, dialect), read=dialect)
        if not isinstance(tree, exp.Query):
            raise Unresolvable("the view's SQL is not a SELECT")
        outputs = walk.query(tree, None)
    except Exception as exc:  # the parse of a hostile text fails as a status, never the crawl
        return unresolved(view_columns, f"parser: {short_reason(exc)}", read_found="parsed")
    reads = set(walk.reads)
    for out in outputs:
        reads |= out.sources
    return lineage_part(view_columns, outputs, reads, lambda s: "parsed", "parsed")


def _select_of(sql: str, dialect: str) -> str:
    """SQLite keeps the whole CREATE VIEW statement: its query."""
    if dialect != "sqlite":
        return sql
    tree = sqlglot.parse_one(sql, read=dialect)
    if isinstance(tree, exp.Create) and isinstance(tree.expression, exp.Query):
        return tree.expression.sql(dialect=dialect)
    raise Unresolvable("the view's SQL is not CREATE VIEW ... AS SELECT")


class _Walk:
    def __init__(self, dialect: str, default_schema: str, known: KnownColumns):
        self.dialect, self.default_schema, self.known = dialect, default_schema, known
        self.reads: set[Source] = set()

    def query(self, q: Any, parent: Scope | None) -> list[Output]:
        if isinstance(q, exp.Subquery):
            return self.query(q.this, parent)
        if isinstance(q, exp.SetOperation):
            left, right = self.query(q.left, parent), self.query(q.right, parent)
            for a, b in zip(left, right, strict=False):
                merge(a, b)
            return left
        if not isinstance(q, exp.Select):
            raise Unresolvable(f"a {type(q).__name__} where a SELECT was expected")
        scope = Scope(self.known, parent, self._ctes(q, parent))
        source = q.args.get("from_") or q.args.get("from")
        if source is not None:
            self._from(source.this, scope)
        self._joins(q, scope)
        for part in _READ_ONLY_PARTS:
            if q.args.get(part) is not None:
                self._expr("", q.args[part], scope)
        outputs: list[Output] = []
        for item in q.expressions:
            star = item if isinstance(item, exp.Star) else item.this if isinstance(item, exp.Column) else None
            if isinstance(star, exp.Star):
                outputs += scope.star(item.table or None if isinstance(item, exp.Column) else None)
            else:
                outputs.append(self._expr(item.alias_or_name, item, scope))
        return outputs

    def _ctes(self, q: exp.Select, parent: Scope | None) -> dict[str, list[Output]]:
        ctes: dict[str, list[Output]] = {}
        with_ = q.args.get("with_") or q.args.get("with")
        for cte in with_.expressions if with_ is not None else ():
            outs = self.query(cte.this, Scope(self.known, parent, ctes))
            names = [c.name for c in cte.args["alias"].columns] if cte.args.get("alias") else []
            ctes[cte.alias] = [
                Output(n, o.sources, o.unknown, o.problem) for o, n in zip(outs, names, strict=False)
            ] + outs[len(names) :]
        return ctes

    def _joins(self, node: exp.Expression, scope: Scope) -> None:
        for join in node.args.get("joins") or ():
            self._from(join.this, scope)
            if join.args.get("on") is not None:
                self._expr("", join.args["on"], scope)

    def _from(self, item: exp.Expression, scope: Scope) -> None:
        if isinstance(item, exp.Subquery) and not isinstance(item.this, (exp.Select, exp.SetOperation)):
            self._from(item.this, scope)  # a parenthesised join: ((a JOIN b ON ...) JOIN c ON ...)
        elif isinstance(item, exp.Table) and isinstance(item.this, exp.Identifier):
            if not item.db and item.name in scope.ctes:
                scope.add_derived(item.alias_or_name, scope.ctes[item.name])
            else:
                scope.add_table(item.alias_or_name, item.db or self.default_schema, item.name)
        elif isinstance(item, exp.Subquery):
            scope.add_derived(item.alias_or_name, self.query(item.this, scope))
        else:
            raise Unresolvable(f"reads from a {type(item).__name__}, which the lineage parse does not follow")
        self._joins(item, scope)

    def _expr(self, name: str, node: exp.Expression, scope: Scope) -> Output:
        out = Output(name)
        stack = [node]
        while stack:
            n = stack.pop()
            if isinstance(n, exp.Column) and not isinstance(n.this, exp.Star):
                try:
                    merge(out, scope.resolve(n.table or None, n.name))
                except Unresolvable as exc:
                    out.problem = out.problem or str(exc)
            elif isinstance(n, (exp.Select, exp.SetOperation)):
                for o in self.query(n, scope):
                    merge(out, o)
            else:
                if isinstance(n, exp.Anonymous):
                    out.unknown.add(n.name)
                stack.extend(n.iter_expressions())
        self.reads |= out.sources
        return out


def add_lineage(tables: list, dialect: str, known: KnownColumns, sqls: dict | None = None) -> list:
    """Each view's `lineage`, parsed from its `definition` or, where given,
    its text in `sqls` by (schema, name) (SQLite: its CREATE VIEW)."""
    for t in tables:
        if t.kind == "view":
            sql = t.definition if sqls is None else sqls.get((t.schema, t.name))
            t.lineage = view_lineage(sql, [c.name for c in t.columns], dialect, t.schema, known)
    return tables


def tables_read(sqls: Iterable[str | None], dialect: str) -> set[str]:
    """The names of the tables some views' SQL reads (SQLite: to read their
    columns for `*` in one query); a text that does not parse names none."""
    names: set[str] = set()
    for sql in sqls:
        try:
            names |= {t.name for t in sqlglot.parse_one(sql or "", read=dialect).find_all(exp.Table)}
        except Exception:  # noqa: S112 - its view's lineage says why it failed
            continue
    return names
