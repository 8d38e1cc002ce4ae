"""Exports and diagrams of a schema whose names are hostile: each format's
real parser accepts the whole text, no name becomes a Mermaid directive or a
PlantUML preprocessor call, and rendered Markdown holds no HTML element from
the data. First the reproducers from the security issue, then the same
checks on names Hypothesis builds from the pieces in tests/hostile_schema.py."""

from __future__ import annotations

import pytest
import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from jinja2 import Environment
from pydbml import PyDBML

from api.diagrams.graph import group_page, table_page
from catalog.exports import dbml, dbt, erd, markdown, plantuml
from catalog.exports.dot import to_dot
from catalog.exports.mermaid import to_mermaid

from .export_parsers import dot_canon, foreign_markup, mermaid_type, plantuml_syntax, render_markdown, svg_of
from .hostile_schema import PIECES, export_tables, hostile_name, neighbourhood, scope_curation

# The payloads: markup that fired alert() in rendered Markdown, and
# the names Mermaid refused or read as a directive.
REPRODUCER = [
    "<img src=x onerror=alert(1)>",
    "orders\n%%{init: {'theme': 'dark'}}%%",
    "100%\x01\x0b",
    "a%%b",
    "<script>alert(2)</script>",
    "col|umn\nnext `code`",
    'x\r%getenv("HOME") <img:http://127.0.0.1/x.png>',
    '<a href="javascript:alert(3)">x</a>',  # also the column type: pydbml reads a dot in a type as schema.type
]


def _markdown(names: list[str]) -> str:
    enums, tables = export_tables(names)
    return "".join(markdown.write(names[0], None, enums, tables, curation=scope_curation(names)))


def _mermaid_texts(names: list[str]) -> list[str]:
    _, tables = export_tables(names)
    return ["".join(erd.write_mermaid(tables)), to_mermaid(neighbourhood(names))]


def _dot_texts(names: list[str]) -> list[str]:
    _, tables = export_tables(names)
    n = neighbourhood(names)
    return ["".join(erd.write_dot(names[0], tables)), to_dot(n, lambda k: table_page(1, k), lambda k: group_page(1, k))]


def _plantuml(names: list[str]) -> str:
    _, tables = export_tables(names)
    return "".join(plantuml.write(names[0], lambda: tables))


def _dbml(names: list[str]) -> str:
    enums, tables = export_tables(names)
    return "".join(dbml.write(names[0], "postgresql", enums, tables, scope_curation(names)))


def _rendered(value: str) -> str:
    """`value` as dbt's Jinja renders it (dbt renders text, not HTML: no autoescape)."""
    return Environment(autoescape=False).from_string(value).render()  # noqa: S701


def _dbt_strings(names: list[str]) -> tuple[dict, list[str]]:
    """The dbt export read back as YAML, and every string in it as dbt's Jinja renders it."""
    _, tables = export_tables(names)
    body = yaml.safe_load("".join(dbt.write(scope_curation(names), tables)))
    strings: list[str] = []

    def walk(node):
        if isinstance(node, dict):
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)
        elif isinstance(node, str):
            strings.append(_rendered(node))

    walk(body)
    return body, strings


def test_markdown_holds_no_markup_from_names():
    md = _markdown(REPRODUCER)
    assert "Column lineage (partial)" in md  # the view's lineage is printed, names and all
    assert foreign_markup(md) == []
    html = render_markdown(md)
    assert "&lt;img src=x onerror=alert(1)&gt;" in html and "&lt;script&gt;" in html


def test_mermaid_parses_percent_signs_and_no_name_is_a_directive():
    for text in _mermaid_texts(REPRODUCER):
        assert mermaid_type(text) == "er"
        assert "%%{" not in text


def test_plantuml_parses_and_no_name_is_a_preprocessor_call_or_creole():
    text = _plantuml(REPRODUCER)
    assert "(3 entities)" in plantuml_syntax(text)
    assert "%getenv" not in text and "<img" not in text and "<script" not in text


def test_dot_parses_and_draws_valid_svg():
    for text in _dot_texts(REPRODUCER):
        dot_canon(text)
        svg_of(text)


@pytest.mark.parametrize("bracket", ["]", "]]", "a]]>b"])
def test_dot_draws_a_name_or_type_of_closing_brackets(bracket):
    """Graphviz's label lexer refuses a text made only of `]` and `]]>`
    anywhere (Hypothesis found a column type `]` in CI)."""
    names = [bracket, "\u2028", "\u2029", f"v{bracket}", "0", "00", "000", bracket]
    for text in _dot_texts(names):
        dot_canon(text)
        assert bracket in "".join(svg_of(text).itertext())  # drawn as written


def test_dbml_parses_every_table():
    db = PyDBML(_dbml(REPRODUCER))
    assert len(db.tables) == 3
    a = next(t for t in db.tables if t.name == REPRODUCER[1].replace('"', "'"))
    assert a.note.text.startswith(REPRODUCER[7])  # the curated description first


def test_dbt_yaml_holds_every_string_as_jinja_renders_it():
    body, strings = _dbt_strings([*REPRODUCER, "{{ 7 * 7 }}", "{% endraw %}\r\n"])
    assert len(body["sources"][0]["tables"]) == 3
    for piece in REPRODUCER:
        assert piece in strings or any(piece in s for s in strings)


# --- the same, on names Hypothesis builds ---

hostile_names = st.lists(hostile_name, min_size=8, max_size=8, unique_by=str.casefold)
PROPERTY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SLOW_PARSERS = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(hostile_names)
def test_any_names_markdown_holds_no_markup(names):
    assert foreign_markup(_markdown(names)) == []


def _pydbml_reads(names: list[str]) -> bool:
    """pydbml reads a Ref's columns by splitting their text at commas and
    trimming spaces and parentheses, so it cannot find a key column whose
    name has those (DBML itself quotes them); and it reads a type with a dot
    as schema.type, refusing more than one. Such names are left to the other
    checks."""
    return all("," not in c and c == c.strip("() ") for c in (names[5], "id")) and names[7].count(".") <= 1


@PROPERTY
@given(hostile_names)
def test_any_names_dbml_parses(names):
    assume(_pydbml_reads(names))
    assert len(PyDBML(_dbml(names)).tables) == 3


@PROPERTY
@given(hostile_names)
def test_any_names_dbt_yaml_renders_back_to_the_names(names):
    body, strings = _dbt_strings(names)
    tables = body["sources"][0]["tables"]
    assert [_rendered(t["identifier"]) for t in tables] == names[1:4]
    assert names[6] in strings and names[7] in strings


@PROPERTY
@given(hostile_names)
def test_any_names_dot_parses_and_draws(names):
    for text in _dot_texts(names):
        dot_canon(text)
        svg_of(text)


@SLOW_PARSERS
@given(hostile_names)
def test_any_names_mermaid_parses_without_directives(names):
    for text in _mermaid_texts(names):
        assert mermaid_type(text) == "er"
        assert "%%{" not in text


@SLOW_PARSERS
@given(hostile_names)
def test_any_names_plantuml_parses(names):
    text = _plantuml(names)
    assert "(3 entities)" in plantuml_syntax(text)
    assert "%" not in text  # no preprocessor call, whatever the name


@pytest.mark.parametrize("name", PIECES)
def test_each_piece_in_every_field(name):
    names = [f"a{name}{i}" for i in range(8)]
    assert foreign_markup(_markdown(names)) == []
    assert len(PyDBML(_dbml(names)).tables) == 3
    assert names[1] in _dbt_strings(names)[1]
    for text in _dot_texts(names):
        dot_canon(text)
