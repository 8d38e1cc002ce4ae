"""The lineage parses on their own (engines/lineage_pg.py, engines/lineage_sql.py):
hostile or broken view text is a recorded status with its reason, never an
exception nor an empty list that looks complete."""

from __future__ import annotations

import pytest

from engines.lineage_pg import view_lineage as pg_lineage
from engines.lineage_sql import view_lineage as sql_lineage

HOSTILE_TEXTS = [
    "",
    "SELECT",
    "DROP TABLE t; SELECT 1",
    "SELECT a FROM t WHERE",
    "\x00\x01 SELECT ` \u202e",
    "SELECT " + "(" * 5000 + "1",
    "SELECT 'unterminated",
    "/* SELECT a FROM t",
]


@pytest.mark.parametrize("text", HOSTILE_TEXTS)
def test_hostile_text_is_an_unresolved_status_on_every_parser(text):
    for part in (
        pg_lineage(text, ["a"], {("public", "t", "a")}),
        sql_lineage(text, ["a"], "mysql", "d", lambda s, t: None),
        sql_lineage(text, ["a"], "sqlite", "main", lambda s, t: ["a"]),
    ):
        assert part["status"] == "unresolved" and part["reason"], part
        assert part["columns"] == [{"name": "a", "status": "unresolved", "reason": part["reason"], "sources": []}]
        assert "\x1b" not in part["reason"] and "\n" not in part["reason"] and len(part["reason"]) <= 300


def test_postgres_keeps_what_pg_depend_says_even_when_the_parse_fails():
    part = pg_lineage("SELECT oops FROM", ["a"], {("public", "t", "x")})
    assert part["status"] == "unresolved"
    assert part["reads"] == [{"schema": "public", "table": "t", "column": "x", "found": "catalog"}]


def test_postgres_drops_a_parsed_source_pg_depend_does_not_record():
    part = pg_lineage("SELECT t.a, t.b FROM t", ["a", "b"], {("public", "t", "a")})
    assert [(c["name"], c["status"]) for c in part["columns"]] == [("a", "resolved"), ("b", "partial")]
    assert part["columns"][1]["sources"] == [] and part["status"] == "partial"


def test_postgres_maps_ctes_subqueries_unions_and_correlated_subqueries():
    read = {("public", "t", "a"), ("public", "t", "b"), ("s", "u", "c"), ("s", "u", "k")}
    sql = """WITH w AS (SELECT t.a AS wa FROM t)
             SELECT w.wa, x.cc, (SELECT max(u.c) FROM s.u WHERE u.k = w.wa) AS m FROM w,
                    (SELECT u.c AS cc FROM s.u UNION SELECT t.b FROM t) x"""
    part = pg_lineage(sql, ["wa", "cc", "m"], read)
    got = {c["name"]: sorted((s["table"], s["column"]) for s in c["sources"]) for c in part["columns"]}
    assert got == {
        "wa": [("t", "a")],
        "cc": [("t", "b"), ("u", "c")],
        "m": [("u", "c")],
    }  # its WHERE filters, feeds nothing
    assert part["status"] == "resolved"


def test_an_ambiguous_unqualified_column_is_unresolved_not_guessed():
    known = {("main", "a"): ["id"], ("main", "b"): ["id"]}
    part = sql_lineage("CREATE VIEW v AS SELECT id FROM a, b", ["id"], "sqlite", "main", lambda s, t: known.get((s, t)))
    assert part["columns"][0]["status"] == "unresolved" and "more than one relation" in part["columns"][0]["reason"]


def test_a_view_whose_column_count_differs_from_the_parse_is_unresolved():
    part = sql_lineage("select `d`.`t`.`a` AS `a` from `d`.`t`", [], "mysql", "d", lambda s, t: None)
    assert part["status"] == "unresolved" and "1 output columns, the view has 0" in part["reason"]
    assert part["reads"] == [{"schema": "d", "table": "t", "column": "a", "found": "parsed"}]
