"""A source's schemas as dbt sources (`sources.yml`): one dbt source per
schema, its tables with their columns (name, data type), and what the team
curated: descriptions (the database comment when there is none), tags and
owners (`meta.owner`: users' emails, then teams' names). A schema's source
carries the schema's curation, else the whole source's.

Written with PyYAML's safe_dump, table by table (memory stays flat). dbt
renders every string of a sources file with Jinja (names, identifiers, meta
and tags when it loads the file, descriptions when it reads their docs), so a
value that Jinja would change is written as one Jinja string expression that
renders to exactly that value (`_jinja`). A table's `identifier` is its real
name, so dbt quotes the relation it builds from it as written."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from itertools import groupby

import yaml

from .curation import owners, tags
from .source import ExportTable

# What makes Jinja change a string: its markers (dbt's own test for "needs
# rendering" is `{{`, `{%`, `{#` or their closers), carriage returns (its
# lexer makes every line break `\n`) and a final line break (which it drops);
# and what YAML would: PyYAML writes NEL and the Unicode line and paragraph
# separators as they are (allow_unicode), and YAML 1.1 reads them as line breaks.
_JINJA_CHANGES = re.compile(r"[{}%#][{}%#]|\r|\n\Z|[\x85\u2028\u2029]")


def _jinja(value: str) -> str:
    """`value`, or a Jinja expression that renders to it (a string literal:
    Jinja reads its escapes as Python's unicode escapes)."""
    if not _JINJA_CHANGES.search(value):
        return value
    literal = value.encode("unicode_escape").decode("ascii").replace('"', '\\"')
    return '{{ "' + literal + '" }}'


def _curation(entry: dict | None, comment: str | None = None) -> dict:
    """The description, meta.owner and tags of a dbt node, as far as there are any."""
    entry = entry or {}
    out: dict = {}
    description = entry.get("description") or comment
    if description:
        out["description"] = _jinja(description)
    if owners(entry):
        out["meta"] = {"owner": [_jinja(o) for o in owners(entry)]}
    if entry.get("tags"):
        out["tags"] = [_jinja(t) for t in tags(entry)]
    return out


def _dump(value, indent: int) -> str:
    text = yaml.safe_dump(value, sort_keys=False, allow_unicode=True, width=1_000_000)
    pad = " " * indent
    return "".join(pad + line for line in text.splitlines(keepends=True))


def _table(t: ExportTable) -> dict:
    d = t.doc
    out = {"name": _jinja(d["name"]), "identifier": _jinja(d["name"]), **_curation(d.get("curation"), d.get("comment"))}
    columns = []
    for c in d.get("columns") or []:
        column = {"name": _jinja(c["name"])}
        curated = _curation(c.get("curation"), c.get("comment"))
        if "description" in curated:
            column["description"] = curated["description"]
        if c.get("type"):
            column["data_type"] = _jinja(c["type"])
        if c.get("curation"):  # a column's owners have no place in dbt's column properties but meta
            column.update({k: v for k, v in curated.items() if k != "description"})
        columns.append(column)
    out["columns"] = columns
    return out


def write(curation: dict, tables: Iterable[ExportTable]) -> Iterator[str]:
    """`sources.yml`: `curation` is the source's and schemas' (curation.scope_curation).
    No `database`: dbt reads the tables in its profile's database."""
    yield "version: 2\nsources:\n"
    for schema, group in groupby(tables, key=lambda t: t.doc["schema"]):
        source: dict = {"name": _jinja(schema), "schema": _jinja(schema)}
        source.update(_curation(curation["schemas"].get(schema) or curation.get("source")))
        yield _dump([source], 0)
        yield "  tables:\n"
        for t in group:
            yield _dump([_table(t)], 2)
