"""The reflection suite: every engine describes one fixture schema and its
records are compared, field by field, with one expected description (as
SQLAlchemy's ComponentReflectionTest runs every dialect against a real
database).

For each target of tests/engine_targets.py (PostgreSQL, MariaDB, SQLite, the
sqlalchemy engine on SQLite and on DuckDB) the schema of
tests/reflection_fixture.py is created in a fresh database, listed with
list_tables and described with describe, once. `compare` then walks the
expected description and reports each difference as a path
(`orders.fk_orders_customer.on_delete`) tagged with the aspect it belongs
to: "core" (what every engine reports: names, order, kinds, types,
nullability, defaults, key columns, foreign key targets, unique constraint
columns, index columns and uniqueness) or a capability of
engines.base.CAPABILITIES.

test_reflection runs once per target and aspect: an aspect the engine does
not report (its `capabilities_for` leaves it out) or the target's database
cannot hold (DATABASE_LACKS) is a skip that says why, so `pytest -rs` lists
every comparison left out, engine by engine. Rules of the comparison:
- Views: only names and types of their columns (engines disagree on what a
  view column's nullability and default are, and none is declared).
- Engines add constraints and indexes of their own (an index per key, an
  index per unique constraint, MariaDB's unique indexes as constraints):
  only the fixture's are required, and an extra unique constraint must be a
  unique index of the table.
- An index that needs a capability the engine lacks (a predicate, an
  expression) need not be there; if it is, what can be compared is.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from dataclasses import replace
from typing import NamedTuple

import pytest

import engines.postgres
from engines import ENGINES
from engines.base import CAPABILITIES, Column, ForeignKey, Index, Table
from tests.engine_targets import FACTORIES
from tests.reflection_fixture import DATABASE_LACKS, DDL, EXPECTED, KNOWN_WRONG, TYPES

ASPECTS = ("core", *CAPABILITIES)


class Problem(NamedTuple):
    aspect: str
    path: str
    expected: object
    actual: object

    def __str__(self) -> str:
        return f"{self.path}: expected {self.expected!r}, got {self.actual!r} ({self.aspect})"


# --- normalising what engines print differently -------------------------------------------

CAST = re.compile(r"::[a-z ]+(\([\d, ]*\))?")
SYNONYMS = {"lcase": "lower", "ucase": "upper"}  # MariaDB prints lower() as lcase()


def normalised(sql: str | None) -> str | None:
    """An expression, predicate or default with what the engines print
    differently taken out: case, quotes, casts, parentheses, spaces,
    MariaDB's synonyms, `()` after current_timestamp, and numbers' form."""
    if sql is None:
        return None
    text = CAST.sub("", sql.lower())
    text = re.sub(r"[\"`() ]", "", text)
    for synonym, name in SYNONYMS.items():
        text = text.replace(synonym, name)
    try:
        return f"{float(text):g}"
    except ValueError:
        return text


# --- the comparison -----------------------------------------------------------------------------


class Comparison:
    """Collects the problems of one target's records against EXPECTED."""

    def __init__(self, types: dict[str, str], schema: str, capabilities: frozenset[str]):
        self.types, self.schema, self.capabilities = types, schema, capabilities
        self.problems: list[Problem] = []

    def check(self, aspect: str, path: str, expected: object, actual: object) -> None:
        if expected != actual:
            self.problems.append(Problem(aspect, path, expected, actual))

    def tables(self, expected: list[Table], actual: list[Table]) -> None:
        found = {t.name: t for t in actual}
        for want in expected:
            aspect = "views" if want.kind == "view" else "core"
            got = found.get(want.name)
            self.check(aspect, f"{want.name}.kind", want.kind, got.kind if got else None)
            if got is None:
                continue
            self.check(aspect, f"{want.name}.schema", self.schema, got.schema)
            self.columns(want, got)
            if want.kind != "view":
                self.check("comments", f"{want.name}.comment", want.comment, got.comment)
                self.keys(want, got)
                self.constraints(want, got)
                self.indexes(want, got)
        extra = sorted(set(found) - {t.name for t in expected})
        self.check("core", "tables", [], extra)

    def columns(self, want: Table, got: Table) -> None:
        view = want.kind == "view"
        aspect = "views" if view else "core"
        self.check(aspect, f"{want.name}.columns", [c.name for c in want.columns], [c.name for c in got.columns])
        self.check(aspect, f"{want.name}.ordinals", [c.ordinal for c in want.columns], [c.ordinal for c in got.columns])
        found = {c.name: c for c in got.columns}
        for w in want.columns:
            g = found.get(w.name)
            if g is None:
                continue
            path = f"{want.name}.{w.name}"
            self.check(aspect, f"{path}.type", self.types[w.type], g.type)
            if not view:
                self.column(path, w, g)

    def column(self, path: str, w: Column, g: Column) -> None:
        self.check("core", f"{path}.nullable", w.nullable, g.nullable)
        # an engine that cannot tell a generated column shows its expression as a default
        if not w.generated or "generated_columns" in self.capabilities:
            self.check("core", f"{path}.default", normalised(w.default), normalised(g.default))
        self.check("comments", f"{path}.comment", w.comment, g.comment)
        self.check("identity_columns", f"{path}.identity", bool(w.identity), bool(g.identity))
        self.check("generated_columns", f"{path}.generated", bool(w.generated), bool(g.generated))
        if w.generated:
            self.check("generation_expressions", f"{path}.generated", normalised(w.generated), normalised(g.generated))

    def keys(self, want: Table, got: Table) -> None:
        name = want.name
        self.check("core", f"{name}.primary_key", want.primary_key is not None, got.primary_key is not None)
        if want.primary_key and got.primary_key:
            self.check("core", f"{name}.primary_key.columns", want.primary_key.columns, got.primary_key.columns)
            self.check("primary_key_names", f"{name}.primary_key.name", want.primary_key.name, got.primary_key.name)
        found = {tuple(f.columns): f for f in got.foreign_keys}
        self.check("core", f"{name}.foreign_keys", [f.columns for f in want.foreign_keys], list(map(list, found)))
        for w in want.foreign_keys:
            g = found.get(tuple(w.columns))
            if g is not None:
                self.foreign_key(f"{name}.{w.name}", w, g)

    def foreign_key(self, path: str, w: ForeignKey, g: ForeignKey) -> None:
        self.check("core", f"{path}.referenced_schema", self.schema, g.referenced_schema)
        self.check("core", f"{path}.referenced_table", w.referenced_table, g.referenced_table)
        self.check("core", f"{path}.referenced_columns", w.referenced_columns, g.referenced_columns)
        self.check("constraint_names", f"{path}.name", w.name, g.name)
        self.check("fk_actions", f"{path}.on_update", w.on_update, g.on_update)
        self.check("fk_actions", f"{path}.on_delete", w.on_delete, g.on_delete)

    def constraints(self, want: Table, got: Table) -> None:
        name = want.name
        uniques = {tuple(c.columns): c for c in got.constraints if c.type == "unique"}
        unique_indexes = {tuple(i.columns) for i in got.indexes if i.unique}
        for w in (c for c in want.constraints if c.type == "unique"):
            g = uniques.pop(tuple(w.columns), None)
            self.check("core", f"{name}.{w.name}.columns", w.columns, g.columns if g else None)
            self.check("constraint_names", f"{name}.{w.name}.name", w.name, g.name if g else None)
        stray = [list(columns) for columns in uniques if columns not in unique_indexes]
        self.check("core", f"{name}.unique_constraints_not_in_the_fixture", [], stray)
        want_checks = [c for c in want.constraints if c.type == "check"]
        got_checks = [c for c in got.constraints if c.type == "check"]
        self.check("check_constraints", f"{name}.checks", len(want_checks), len(got_checks))
        self.check(
            "constraint_names", f"{name}.checks.names", [c.name for c in want_checks], [c.name for c in got_checks]
        )
        self.check(
            "check_columns",
            f"{name}.checks.columns",
            [sorted(c.columns) for c in want_checks],
            [sorted(c.columns) for c in got_checks],
        )

    def indexes(self, want: Table, got: Table) -> None:
        found = {i.name: i for i in got.indexes}
        for w in want.indexes:
            g = found.get(w.name)
            expression = any(p["expression"] for p in w.parts or [])
            optional = (w.predicate and "partial_indexes" not in self.capabilities) or (
                expression and "index_expressions" not in self.capabilities
            )
            path = f"{want.name}.{w.name}"
            if g is None:
                if not optional:
                    self.check("core", path, "an index", None)
                continue
            self.index(path, w, g, expression)

    def index(self, path: str, w: Index, g: Index, expression: bool) -> None:
        self.check("core", f"{path}.unique", w.unique, g.unique)
        wanted = [c if p["expression"] is None else None for c, p in zip(w.columns, w.parts or [], strict=True)]
        self.check("core", f"{path}.columns", wanted, [c if c in wanted else None for c in g.columns])
        if expression:
            self.check(
                "index_expressions",
                f"{path}.expressions",
                [normalised(p["expression"]) for p in w.parts or []],
                [normalised(p["expression"]) for p in g.parts or []]
                if g.parts is not None
                else [normalised(c) for c in g.columns],
            )
        self.check("partial_indexes", f"{path}.predicate", normalised(w.predicate), normalised(g.predicate))
        parts = g.parts or []
        self.check(
            "descending_index_parts",
            f"{path}.directions",
            [p["direction"] for p in w.parts or []],
            [p["direction"] for p in parts],
        )
        self.check(
            "index_prefixes",
            f"{path}.prefixes",
            [p["prefix_length"] for p in w.parts or []],
            [p["prefix_length"] for p in parts],
        )


def compare(actual: list[Table], target: str, schema: str, capabilities: frozenset[str]) -> list[Problem]:
    """Every difference between `actual` and EXPECTED (types as `target` prints them)."""
    comparison = Comparison(TYPES[target], schema, capabilities)
    comparison.tables(EXPECTED, actual)
    return comparison.problems


# --- the targets, described once each ------------------------------------------------------


class Described(NamedTuple):
    target: str
    engine: str
    schema: str
    capabilities: frozenset[str]
    tables: list[Table]


def describe_fixture(name: str, tmp_path) -> Described:
    with FACTORIES[name](tmp_path) as target:
        target.execute(DDL[name])
        with target.intro() as intro:
            tables = intro.describe(intro.list_tables())
        # what the engine reports, less what this database cannot hold
        capabilities = ENGINES[target.engine].capabilities_for(target.params.settings)
        capabilities -= set(DATABASE_LACKS.get(name, {}))
        return Described(name, target.engine, target.schema, capabilities, tables)


@pytest.fixture(scope="module", params=sorted(FACTORIES))
def described(request, tmp_path_factory) -> Iterator[Described]:
    yield describe_fixture(request.param, tmp_path_factory.mktemp(request.param))


def why_not_compared(described: Described, aspect: str) -> str | None:
    """Why `aspect` is left out for this target, or None when it is compared."""
    lacks = DATABASE_LACKS.get(described.target, {})
    if aspect in lacks:
        return f"{described.target}: {aspect} not compared: {lacks[aspect]}"
    if aspect != "core" and aspect not in described.capabilities:
        engine = ENGINES[described.engine]
        return (
            f"{described.target}: {aspect} not compared: {engine.__module__}.{engine.__name__} "
            f"does not report {CAPABILITIES[aspect]} (its capabilities)"
        )
    return None


@pytest.mark.parametrize("aspect", ASPECTS)
def test_reflection(described, aspect):
    why = why_not_compared(described, aspect)
    if why:
        pytest.skip(why)
    problems = compare(described.tables, described.target, described.schema, described.capabilities)
    known = KNOWN_WRONG.get(described.target, {})
    found = [p for p in problems if p.aspect == aspect]
    assert [str(p) for p in found if p.path not in known] == []
    for p in found:
        if p.path in known:  # said, not passed over
            warnings.warn(f"{described.target}: {p} is known wrong: {known[p.path]}", stacklevel=1)
    if aspect == "core":  # still wrong, as the fixture says (a fix must remove the entry)
        assert sorted(p.path for p in problems if p.path in known) == sorted(known)


def test_every_aspect_is_a_capability_or_core():
    for cls in set(ENGINES.values()):
        assert cls.capabilities <= set(CAPABILITIES), cls
    assert set(DATABASE_LACKS) <= set(FACTORIES) and set(KNOWN_WRONG) <= set(FACTORIES)
    assert set(DDL) == set(FACTORIES) == set(TYPES)


# --- the suite sees a dropped field -----------------------------------------------------------


def test_the_comparison_of_a_perfect_engine_finds_nothing():
    """EXPECTED itself, typed as PostgreSQL prints, in place of an engine."""
    perfect = [
        replace(t, schema="s", columns=[replace(c, type=TYPES["postgresql"][c.type]) for c in t.columns])
        for t in EXPECTED
    ]
    for t in perfect:
        for fk in t.foreign_keys:
            fk.referenced_schema = "s"
    assert compare(perfect, "postgresql", "s", frozenset(CAPABILITIES)) == []


def test_a_dropped_field_is_named(monkeypatch, tmp_path):
    """A broken PostgreSQL record builder (column comments and foreign keys'
    ON DELETE dropped): the suite fails on exactly those fields, by name."""
    column_from_row, constraint_from_row = engines.postgres.column_from_row, engines.postgres.constraint_from_row

    def without_comment(row):
        oid, column = column_from_row(row)
        return oid, replace(column, comment=None)

    def without_on_delete(row, names):
        oid, record = constraint_from_row(row, names)
        return oid, replace(record, on_delete="NO ACTION") if isinstance(record, ForeignKey) else record

    monkeypatch.setattr(engines.postgres, "column_from_row", without_comment)
    monkeypatch.setattr(engines.postgres, "constraint_from_row", without_on_delete)
    broken = describe_fixture("postgresql", tmp_path)
    problems = compare(broken.tables, "postgresql", broken.schema, broken.capabilities)
    compared = [p for p in problems if p.aspect == "core" or p.aspect in broken.capabilities]
    assert sorted(map(str, compared)) == [
        "customers.name.comment: expected 'as shown', got None (comments)",
        "order_lines.fk_lines_order.on_delete: expected 'CASCADE', got 'NO ACTION' (fk_actions)",
        "orders.fk_orders_customer.on_delete: expected 'SET NULL', got 'NO ACTION' (fk_actions)",
    ]
