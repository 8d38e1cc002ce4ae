"""A schema whose every name, type, default, comment and definition is
hostile text, shaped as the exports and diagrams take it (ExportTable
documents, a Neighbourhood), and the pieces hostile names are built from."""

from __future__ import annotations

from hypothesis import strategies as st

from catalog.exports.source import ExportTable
from catalog.keygraph import Edge
from catalog.neighbourhood import Group, Neighbourhood, Node

# What a hostile name is made of: line terminators of every kind, quotes of
# every engine, comment openers and closers, diagram directives and
# preprocessor calls, markup, and Unicode format characters.
PIECES = [
    "\n",
    "\r",
    "\r\n",
    "\x0b",
    "\x0c",
    "\x85",
    "\u2028",
    "\u2029",
    "\u202e",
    "\x01",
    "\x1f",
    "\ufeff",
    '"',
    "'",
    "`",
    "``",
    "\\",
    "*/",
    "/*",
    "--",
    "//",
    ";",
    "%",
    "%%",
    "%%{init: {'theme': 'dark'}}%%",
    '%getenv("HOME")',
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "&lt;b&gt;",
    "#quot;",
    "|",
    "{",
    "}",
    "[",
    "]",
    "@enduml",
    "!include",
    "DROP TABLE canary_victim;",
    "select",
    "id",
    " ",
    "é",
    "表",
]


def name_ok(name: str) -> bool:
    """A name both PostgreSQL and MariaDB can hold as it is: not empty, no
    NUL (neither can), no trailing ASCII white space (MariaDB), at most 60
    characters and 63 bytes (MariaDB's 64 characters, PostgreSQL's 63 bytes,
    past which it cuts a name short)."""
    short = len(name) <= 60 and len(name.encode()) <= 63
    return bool(name) and "\x00" not in name and name == name.rstrip(" \t\n\r\x0b\x0c") and short


def curated(text: str, kind: str) -> dict:
    """A curation entry whose every field holds hostile text; its description
    also tries Markdown's block structure line by line."""
    description = f"{text}\n- {kind}\n===\n    {text}\n\n1. {kind}\n+ x\n> {text}\n{text}"
    return {
        "description": description,
        "tags": [{"name": text, "colour": None}, {"name": kind, "colour": "#aa0000"}],
        "owners": [{"kind": "user", "id": 1, "name": text}, {"kind": "team", "id": 2, "name": kind}],
    }


def scope_curation(names: list[str]) -> dict:
    """The source's and the schema's curation, as curation.scope_curation answers."""
    schema, text, kind = names[0], names[6], names[7]
    return {"source": curated(text, kind), "schemas": {schema: curated(kind, text)}}


def export_tables(names: list[str]) -> tuple[list[dict], list[ExportTable]]:
    """Enums and three tables (a, b referencing a, and a view) named from
    `names` (at least 8, distinct): every field the exports print holds one
    of them, curation included."""
    schema, a, b, view, col, ref, text, kind = names[:8]
    enums = [{"schema": schema, "name": text, "values": [text, kind]}]
    columns = [
        {"name": "id", "ordinal": 1, "type": "integer", "nullable": False, "default": None, "comment": None},
        {"name": col, "ordinal": 2, "type": kind, "nullable": True, "default": text, "comment": text},
    ]
    columns[1]["curation"] = curated(text, kind)
    doc_a = {
        "schema": schema,
        "name": a,
        "kind": "table",
        "comment": text,
        "curation": curated(kind, text),
        "columns": columns,
        "primary_key": {"name": text, "columns": ["id"]},
        "foreign_keys": [],
        "indexes": [
            {"name": text, "columns": [col, text], "unique": True, "method": kind, "definition": text},
        ],
        "constraints": [{"name": text, "type": "check", "columns": [col], "definition": text}],
        "triggers": [
            {"name": text, "timing": kind, "events": [text], "level": "row", "function": text, "definition": text}
        ],
        "referenced_by": [{"schema": schema, "table": b, "name": text, "columns": [ref], "referenced_columns": ["id"]}],
    }
    fk = {
        "name": text,
        "columns": [ref],
        "referenced_schema": schema,
        "referenced_table": a,
        "referenced_columns": ["id"],
        "on_update": "NO ACTION",
        "on_delete": "CASCADE",
        "definition": text,
    }
    doc_b = {
        "schema": schema,
        "name": b,
        "kind": "table",
        "comment": None,
        "columns": [{"name": ref, "ordinal": 1, "type": "integer", "nullable": False}],
        "primary_key": None,
        "foreign_keys": [fk],
        "indexes": [],
        "constraints": [],
    }
    doc_view = {
        "schema": schema,
        "name": view,
        "kind": "view",
        "comment": text,
        "columns": [{"name": col, "ordinal": 1, "type": kind, "nullable": True}],
        "definition": f"SELECT 1 AS x -- {text}\n```\n{text}\n````",
        "depends_on": [{"schema": schema, "table": a}],
        "lineage": {
            "status": "partial",
            "reason": text,
            "columns": [
                {
                    "name": col,
                    "status": "partial",
                    "reason": text,
                    "sources": [{"schema": schema, "table": a, "column": text, "found": "parsed"}],
                }
            ],
            "reads": [{"schema": schema, "table": a, "column": col, "found": "parsed"}],
        },
    }
    inferred = {**fk, "name": "inferred_" + ref, "inferred": True, "reason": text}
    tables = [
        ExportTable(doc_a, [], set()),
        ExportTable(doc_b, [inferred], {(text, kind)}),
        ExportTable(doc_view, [], set()),
    ]
    tables[1].doc["foreign_keys"].append({**fk, "referenced_schema": text, "referenced_table": kind})
    return enums, tables


def neighbourhood(names: list[str]) -> Neighbourhood:
    """The neighbourhood of table a in `export_tables(names)`, as a table page draws it."""
    schema, a, b, _view, col, ref, text, kind = names[:8]
    nodes = {
        (schema, a): Node(
            schema,
            a,
            0,
            kind="table",
            comment=text,
            columns=[
                {"name": "id", "type": "integer", "nullable": False, "pk": True, "fk": False},
                {"name": col, "type": kind, "nullable": True, "pk": False, "fk": False},
            ],
            primary_key=["id"],
        ),
        (schema, b): Node(
            schema,
            b,
            1,
            kind="table",
            columns=[{"name": ref, "type": kind, "nullable": False, "pk": False, "fk": True}],
        ),
        (text, kind): Node(text, kind, 1),  # referenced, not in the catalog
    }
    edges = [
        Edge(schema, b, text, (ref,), schema, a, ("id",)),
        Edge(schema, a, text, (col,), text, kind, (text,)),
    ]
    inferred = [Edge(schema, b, text, (ref,), schema, a, ("id",))]  # an accepted inferred key, drawn dashed
    reads = [((schema, b), (schema, a))]  # as if b were a view reading a, drawn dotted
    return Neighbourhood((schema, a), 1, nodes, edges, [Group((schema, b), "in", 3)], inferred, reads)


# Characters PostgreSQL and MariaDB can both hold in a name: MariaDB's utf8mb4
# identifiers stop at the Basic Multilingual Plane.
_CHARACTERS = st.characters(codec="utf-8", max_codepoint=0xFFFF, exclude_characters="\x00")
hostile_name = (
    st.lists(st.sampled_from(PIECES) | st.text(_CHARACTERS, max_size=3), min_size=1, max_size=4)
    .map("".join)
    .filter(name_ok)
)
