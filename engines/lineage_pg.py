"""A PostgreSQL view's column lineage: pg_depend says exactly which columns
the view reads; pglast (PostgreSQL's own parser) parses pg_get_viewdef's
text only to tell which output column each of them feeds.

pg_get_viewdef prints `*` expanded and every column qualified where more
than one relation could hold it, so the walk needs no table's column list:
an unqualified name is looked up among the columns pg_depend records.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import pglast
from pglast import ast
from pglast.enums import SetOperation

from .lineage import Output, Scope, Source, Unresolvable, lineage_part, merge, short_reason, unresolved


def view_lineage(sql: str | None, view_columns: list[str], depend: Iterable[Source]) -> dict:
    """The view's `lineage` part; never raises (a failure is its status)."""
    read = set(depend)
    if not sql:
        return unresolved(view_columns, "the view's SQL could not be read", read)
    try:
        stmts = pglast.parse_sql(sql)
        if len(stmts) != 1 or not isinstance(stmts[0].stmt, ast.SelectStmt):
            raise Unresolvable("the view's SQL is not one SELECT")
        outputs = _Walk(read).query(stmts[0].stmt, None)
    except Exception as exc:  # the parse of a hostile text fails as a status, never the crawl
        return unresolved(view_columns, f"parser: {short_reason(exc)}", read)
    return lineage_part(view_columns, outputs, read, lambda s: "catalog" if s in read else None, "catalog")


def _children(node: Any) -> Iterator[ast.Node]:
    for name in getattr(type(node), "__slots__", ()):
        value = getattr(node, name, None)
        if isinstance(value, ast.Node):
            yield value
        elif isinstance(value, (list, tuple)):
            yield from (v for v in value if isinstance(v, ast.Node))


def _names(fields: Any) -> list[str | None]:
    return [f.sval if isinstance(f, ast.String) else None for f in fields]


class _Walk:
    def __init__(self, read: set[Source]):
        self.read = read
        self.columns: dict[tuple[str, str], set[str]] = {}
        for schema, table, column in read:
            self.columns.setdefault((schema, table), set()).add(column)

    def known(self, schema: str, table: str) -> set[str]:
        return self.columns.get((schema, table), set())

    def schema_of(self, table: str) -> str:
        """An unqualified relation is in `public` (the pinned search_path) unless
        pg_depend shows exactly one relation of that name elsewhere."""
        schemas = {s for s, t in self.columns if t == table}
        return schemas.pop() if len(schemas) == 1 else "public"

    def query(self, stmt: Any, parent: Scope | None) -> list[Output]:
        if stmt.op not in (None, SetOperation.SETOP_NONE):
            left, right = self.query(stmt.larg, parent), self.query(stmt.rarg, parent)
            for a, b in zip(left, right, strict=False):
                merge(a, b)
            return left
        scope = Scope(self.known, parent, self._ctes(stmt, parent))
        for item in stmt.fromClause or ():
            self._from(item, scope)
        if stmt.valuesLists:
            return [self._expr(f"column{i + 1}", v, scope) for i, v in enumerate(stmt.valuesLists[0])]
        outputs: list[Output] = []
        for target in stmt.targetList or ():
            val: Any = target.val
            if isinstance(val, ast.ColumnRef) and isinstance((val.fields or (None,))[-1], ast.A_Star):
                names = _names(val.fields)
                outputs += scope.star(names[-2] if len(names) > 1 else None)
            else:
                outputs.append(self._expr(target.name or _label(val), val, scope))
        return outputs

    def _ctes(self, stmt: Any, parent: Scope | None) -> dict[str, list[Output]]:
        ctes: dict[str, list[Output]] = {}
        for cte in stmt.withClause.ctes if stmt.withClause else ():
            if not isinstance(cte.ctequery, ast.SelectStmt):
                raise Unresolvable(f"WITH {cte.ctename} is not a SELECT")
            outs = self.query(cte.ctequery, Scope(self.known, parent, ctes))
            ctes[cte.ctename] = _renamed(outs, _names(cte.aliascolnames or ()))
        return ctes

    def _from(self, item: Any, scope: Scope) -> None:
        if isinstance(item, ast.JoinExpr):
            self._from(item.larg, scope)
            self._from(item.rarg, scope)
        elif isinstance(item, ast.RangeVar):
            relname = item.relname or ""
            alias = (item.alias.aliasname if item.alias else relname) or ""
            if not item.schemaname and relname in scope.ctes:
                scope.add_derived(alias, _renamed(scope.ctes[relname], _alias_columns(item.alias)))
            else:
                scope.add_table(alias, item.schemaname or self.schema_of(relname), relname)
        elif isinstance(item, ast.RangeSubselect):
            outs = self.query(item.subquery, scope)
            alias = (item.alias.aliasname if item.alias else "") or ""
            scope.add_derived(alias, _renamed(outs, _alias_columns(item.alias)))
        else:
            raise Unresolvable(f"reads from a {type(item).__name__}, which the lineage parse does not follow")

    def _expr(self, name: str, node: Any, scope: Scope) -> Output:
        out = Output(name)
        stack = [node]
        while stack:
            n = stack.pop()
            if isinstance(n, ast.ColumnRef):
                self._column(n, scope, out)
            elif isinstance(n, ast.SubLink):
                for o in self.query(n.subselect, scope):
                    merge(out, o)
                if n.testexpr is not None:
                    stack.append(n.testexpr)
            else:
                stack.extend(_children(n))
        return out

    def _column(self, ref: Any, scope: Scope, out: Output) -> None:
        names = _names(ref.fields)
        try:
            if names[-1] is None:  # t.* inside an expression (row(t.*))
                for o in scope.star(names[-2] if len(names) > 1 else None):
                    merge(out, o)
            else:
                merge(out, scope.resolve(names[-2] if len(names) > 1 else None, names[-1]))
        except Unresolvable as exc:
            out.problem = out.problem or str(exc)


def _alias_columns(alias: Any) -> list[str | None]:
    return _names(alias.colnames or ()) if alias is not None else []


def _renamed(outs: list[Output], names: list[str | None]) -> list[Output]:
    """A relation's outputs under the column names its alias gives them."""
    return [
        Output(n or o.name, o.sources, o.unknown, o.problem)
        for o, n in zip(outs, [*names, *[None] * len(outs)], strict=False)
    ]


def _label(val: Any) -> str:
    if isinstance(val, ast.ColumnRef):
        return _names(val.fields)[-1] or "?column?"
    if isinstance(val, ast.FuncCall):
        return _names(val.funcname)[-1] or "?column?"
    return "?column?"


# The columns each view of the batch reads, as pg_depend records them: its
# rewrite rule depends on every (relation, attnum) the query touches, in the
# select list, WHERE, joins and subqueries alike. One query for the batch.
VIEW_COLUMNS_READ_SQL = """
SELECT rw.ev_class, dn.nspname, dc.relname, da.attname
FROM pg_rewrite rw
JOIN pg_depend dp ON dp.classid = 'pg_rewrite'::regclass AND dp.objid = rw.oid
                 AND dp.refclassid = 'pg_class'::regclass AND dp.refobjsubid > 0 AND dp.refobjid <> rw.ev_class
JOIN pg_class dc ON dc.oid = dp.refobjid
JOIN pg_namespace dn ON dn.oid = dc.relnamespace
JOIN pg_attribute da ON da.attrelid = dp.refobjid AND da.attnum = dp.refobjsubid
WHERE rw.ev_class = ANY(%(oids)s::oid[])
"""


def add_lineage(tables: list, rows: Iterable[Sequence]) -> list:
    """Each view's `lineage` from VIEW_COLUMNS_READ_SQL's rows (by the view's oid)."""
    read: dict[int, set[Source]] = {}
    for oid, schema, table, column in rows:
        read.setdefault(int(oid), set()).add((schema, table, column))
    for t in tables:
        if t.kind in ("view", "materialized_view") and t.object_id is not None:
            t.lineage = view_lineage(t.definition, [c.name for c in t.columns], read.get(t.object_id, set()))
    return tables
