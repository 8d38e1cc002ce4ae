"""A source's schema as Markdown, table by table: columns (with identity,
generated and ON UPDATE expressions), primary key, foreign keys with their actions and
definitions (accepted inferred keys marked `inferred`), the keys that
reference the table, indexes (with prefix lengths and DESC), unique, check and
exclusion constraints, and triggers; the source's enum types, sequences and
routines first. What the team curated comes first where it applies: the
source's and its schemas' descriptions, tags and owners after the title, a
table's before its database comment, a column's in the columns table.

Curated descriptions are Markdown, but the export promises that no data
becomes markup (tests/test_hostile_exports.py), so they are printed as text
like every comment: in a cell flattened on one line (escape.visible), in
prose paragraph by paragraph, each line escaped, a line's start included
(no list, heading underline or indented code can begin), so a description
reads as its curator typed it, its markup characters shown, never rendered."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from ..escape import visible
from .curation import owners, tags
from .source import ExportTable

# Characters that start Markdown markup anywhere in a line: HTML and entities
# (`<`, `&`), code spans, emphasis, links and images, table cells, GFM
# strikethrough, and the backslash that escapes them all. An `_` between two
# letters or digits is left alone: CommonMark never reads it as emphasis.
_MARKUP = re.compile(r"[\\`*\[\]<>&|~!#]|(?<![^\W_])_+|_+(?![^\W_])")


def _md(value) -> str:
    """Data as text in a table cell, heading or paragraph: on one line (see
    escape.visible), every markup character backslash-escaped, so it renders
    as the characters it holds and never as markup."""
    if value is None:
        return ""
    return _MARKUP.sub(lambda m: "".join("\\" + ch for ch in m.group()), visible(value))


# What makes a line's start markup, besides what _MARKUP escapes: a list item
# or a setext heading's underline.
_LINE_START = re.compile(r"^(?:[-+=]|\d{1,9}[.)])")


def _prose(value: str) -> list[str]:
    """A description as Markdown paragraphs of text (see the module's note)."""
    paragraphs: list[list[str]] = [[]]
    for line in value.splitlines():
        line = line.strip()
        if not line:
            paragraphs.append([])
            continue
        escaped = _md(line).lstrip()
        paragraphs[-1].append(_LINE_START.sub(lambda m: m.group()[:-1] + "\\" + m.group()[-1], escaped))
    return ["\n".join(p) for p in paragraphs if p]


def _curated(entry: dict | None) -> list[str]:
    """A curated object's description, tags and owners, each labelled."""
    if not entry:
        return []
    lines = []
    if entry.get("description"):
        first, *rest = _prose(entry["description"])
        lines += [f"Description: {first}\n", *(p + "\n" for p in rest)]
    if tags(entry):
        lines.append(f"Tags: {_names(tags(entry))}\n")
    if owners(entry):
        lines.append(f"Owners: {_names(owners(entry))}\n")
    return lines


def _cell_owners(entry: dict | None) -> str:
    return _names(owners(entry))


def _fence(code: str) -> str:
    """A code fence longer than any run of backticks in `code`, which therefore cannot close it."""
    longest = max((len(run) for run in re.findall(r"`+", code)), default=0)
    return "`" * max(3, longest + 1)


def _names(values) -> str:
    return ", ".join(_md(v) for v in values or [])


def _index_columns(index: dict) -> str:
    """The key elements with their prefix length and DESC (`notes(20), region
    DESC`), or the bare names when the index has no parts (crawled before
    they were reported, or an engine that does not give them)."""
    parts = index.get("parts")
    if not parts:
        return _names(index.get("columns"))
    out = []
    for p in parts:
        text = p.get("column") or p.get("expression") or ""
        if p.get("prefix_length") is not None:
            text += f"({p['prefix_length']})"
        if p.get("direction") == "desc":
            text += " DESC"
        out.append(_md(text))
    return ", ".join(out)


def _yes(value) -> str:
    return "" if value is None else ("yes" if value else "no")


def header(name: str, crawled_at, curation: dict | None = None) -> str:
    """The title; the source's curation, and the curated schemas' as a table."""
    curation = curation or {}
    lines = [f"# {_md(name)}\n\nCrawled {crawled_at or 'never'}.\n", *_curated(curation.get("source"))]
    schemas = curation.get("schemas") or {}
    if schemas:
        lines.append("\n## Schemas\n\n| schema | description | tags | owners |\n| --- | --- | --- | --- |")
        for schema, entry in schemas.items():
            lines.append(
                f"| {_md(schema)} | {_md(entry.get('description'))} | {_names(tags(entry))} | {_cell_owners(entry)} |"
            )
        lines[-1] += "\n"
    return "\n".join(lines)


def enums(items: Iterable[dict]) -> Iterator[str]:
    first = True
    for e in items:
        if first:
            yield "\n## Enums\n\n| enum | values |\n| --- | --- |\n"
            first = False
        yield f"| {_md(e['schema'])}.{_md(e['name'])} | {_names(e['values'])} |\n"


def sequences(items: Iterable[dict]) -> Iterator[str]:
    first = True
    for q in items:
        if first:
            yield (
                "\n## Sequences\n\n| sequence | type | start | increment | min | max | cycle | owned by |\n"
                "| --- | --- | --- | --- | --- | --- | --- | --- |\n"
            )
            first = False
        owner = q.get("owned_by")
        owned = f"{_md(owner['schema'])}.{_md(owner['table'])}.{_md(owner['column'])}" if owner else ""
        yield (
            f"| {_md(q['schema'])}.{_md(q['name'])} | {_md(q.get('data_type'))} | {_md(q.get('start'))} "
            f"| {_md(q.get('increment'))} | {_md(q.get('min_value'))} | {_md(q.get('max_value'))} "
            f"| {_yes(q.get('cycle'))} | {owned} |\n"
        )


def routines(items: Iterable[dict]) -> Iterator[str]:
    first = True
    for r in items:
        if first:
            yield (
                "\n## Routines\n\n| routine | kind | returns | language | volatility | comment |\n"
                "| --- | --- | --- | --- | --- | --- |\n"
            )
            first = False
        yield (
            f"| {_md(r['schema'])}.{_md(r['name'])}({_md(r['arguments'])}) | {_md(r['kind'])} "
            f"| {_md(r.get('return_type'))} | {_md(r.get('language'))} | {_md(r.get('volatility'))} "
            f"| {_md(r.get('comment'))} |\n"
        )


def table(t: ExportTable) -> str:
    """One table's section: its columns and facts, then each list it has."""
    d = t.doc
    lines = _heading_and_columns(d) + _facts(d) + _lineage(d.get("lineage"))
    lines += _foreign_keys(t.all_keys()) + _referenced_by(d.get("referenced_by") or [])
    lines += _indexes(d.get("indexes") or []) + _constraints(d.get("constraints") or [])
    lines += _triggers(d.get("triggers") or [])
    return "\n".join(lines) + "\n"


def _lineage(part: dict | None) -> list[str]:
    """A view's sources, column by column, as a table (a view the parser
    could not map says so, with the reason)."""
    if not part:
        return []
    reason = f": {_md(part.get('reason'))}" if part.get("reason") else ""
    lines = [f"\nColumn lineage ({_md(part.get('status'))}){reason}\n", "| column | computed from | status |"]
    lines.append("| --- | --- | --- |")
    for c in part.get("columns") or []:
        sources = ", ".join(f"{_md(s['schema'])}.{_md(s['table'])}.{_md(s['column'])}" for s in c.get("sources") or [])
        status = _md(c.get("status")) + (f" ({_md(c['reason'])})" if c.get("reason") else "")
        lines.append(f"| {_md(c['name'])} | {sources} | {status} |")
    return lines


def _heading_and_columns(d: dict) -> list[str]:
    lines = [f"\n## {_md(d['schema'])}.{_md(d['name'])} ({d['kind']})\n", *_curated(d.get("curation"))]
    if d.get("comment"):
        # after a label: a comment can never start a list, heading, quote or code block
        lines.append(f"Comment: {_md(d['comment'])}\n")
    columns = d.get("columns") or []
    curated = any(c.get("curation") for c in columns)  # the curation's cells only where there is some
    lines.append(
        "| # | column | type | null | default | comment | identity / generated |"
        + (" description | tags | owners |" if curated else "")
        + "\n| --- | --- | --- | --- | --- | --- | --- |"
        + (" --- | --- | --- |" if curated else "")
    )
    for c in columns:
        extra = c.get("identity") or (f"generated: {c['generated']}" if c.get("generated") else None)
        if c.get("on_update"):
            extra = ", ".join(x for x in (extra, f"on update {c['on_update']}") if x)
        line = (
            f"| {c['ordinal']} | {_md(c['name'])} | {_md(c['type'])} | {'yes' if c['nullable'] else 'no'} "
            f"| {_md(c.get('default'))} | {_md(c.get('comment'))} | {_md(extra)} |"
        )
        if curated:
            entry = c.get("curation") or {}
            line += f" {_md(entry.get('description'))} | {_names(tags(entry))} | {_cell_owners(entry)} |"
        lines.append(line)
    return lines


def _facts(d: dict) -> list[str]:
    """Primary key, view SQL and what it reads, partitioning."""
    lines = []
    pk = d.get("primary_key")
    if pk:
        named = f" ({_md(pk['name'])})" if pk.get("name") else ""
        lines.append(f"\nPrimary key{named}: {_names(pk['columns'])}")
    if d.get("definition"):
        fence = _fence(d["definition"])
        lines.append(f"\nView SQL:\n\n{fence}sql\n{d['definition'].strip()}\n{fence}")
    if d.get("depends_on"):
        lines.append("\nReads: " + ", ".join(f"{_md(x['schema'])}.{_md(x['table'])}" for x in d["depends_on"]))
    if d.get("partition"):
        part = d["partition"]
        lines.append(f"\nPartitioned by {_md(part.get('strategy'))} ({_md(part.get('key'))})")
    if d.get("partition_of"):
        parent = d["partition_of"]
        lines.append(f"\nPartition of {_md(parent['schema'])}.{_md(parent['table'])}: {_md(d.get('bounds'))}")
    return lines


def _foreign_keys(keys: list[dict]) -> list[str]:
    if not keys:
        return []
    lines = [
        "\n### Foreign keys\n\n| name | columns | references | on update | on delete | definition |"
        " validated | deferrable | deferred |\n| --- | --- | --- | --- | --- | --- | --- | --- | --- |"
    ]
    for fk in keys:
        name = _md(fk.get("name")) + (" (inferred)" if fk.get("inferred") else "")
        definition = fk.get("definition")
        if fk.get("inferred"):
            definition = f"inferred, accepted: {fk.get('reason') or ''}".rstrip(": ")
        lines.append(
            f"| {name} | {_names(fk['columns'])} | {_md(fk['referenced_schema'])}.{_md(fk['referenced_table'])}"
            f"({_names(fk['referenced_columns'])}) | {_md(fk.get('on_update'))} | {_md(fk.get('on_delete'))} "
            f"| {_md(definition)} | {_yes(fk.get('validated'))} | {_yes(fk.get('deferrable'))} "
            f"| {_yes(fk.get('deferred'))} |"
        )
    return lines


def _referenced_by(referenced_by: list[dict]) -> list[str]:
    if not referenced_by:
        return []
    lines = [
        "\n### Referenced by\n\n| table | key | columns | → columns | on delete |\n| --- | --- | --- | --- | --- |"
    ]
    for r in referenced_by:
        lines.append(
            f"| {_md(r['schema'])}.{_md(r['table'])} | {_md(r['name'])} | {_names(r['columns'])} "
            f"| {_names(r['referenced_columns'])} | {_md(r.get('on_delete'))} |"
        )
    return lines


def _indexes(indexes: list[dict]) -> list[str]:
    if not indexes:
        return []
    lines = ["\n### Indexes\n\n| name | columns | unique | method | definition |\n| --- | --- | --- | --- | --- |"]
    for i in indexes:
        definition = i.get("definition") or (f"WHERE {i['predicate']}" if i.get("predicate") else None)
        lines.append(
            f"| {_md(i['name'])} | {_index_columns(i)} | {'yes' if i.get('unique') else 'no'} "
            f"| {_md(i.get('method'))} | {_md(definition)} |"
        )
    return lines


def _constraints(constraints: list[dict]) -> list[str]:
    if not constraints:
        return []
    lines = ["\n### Constraints\n\n| name | type | columns | definition |\n| --- | --- | --- | --- |"]
    for c in constraints:
        lines.append(
            f"| {_md(c['name'])} | {_md(c['type'])} | {_names(c.get('columns'))} | {_md(c.get('definition'))} |"
        )
    return lines


def _triggers(triggers: list[dict]) -> list[str]:
    if not triggers:
        return []
    lines = [
        "\n### Triggers\n\n| name | timing | events | level | function | enabled | definition |\n"
        "| --- | --- | --- | --- | --- | --- | --- |"
    ]
    for g in triggers:
        lines.append(
            f"| {_md(g['name'])} | {_md(g['timing'])} | {_names(g['events'])} | {_md(g['level'])} "
            f"| {_md(g.get('function'))} | {_yes(g.get('enabled'))} | {_md(g.get('definition'))} |"
        )
    return lines


def write(
    name: str,
    crawled_at,
    enum_items: Iterable[dict],
    tables: Iterable[ExportTable],
    sequence_items: Iterable[dict] = (),
    routine_items: Iterable[dict] = (),
    curation: dict | None = None,
) -> Iterator[str]:
    """`curation`: the source's and schemas' (curation.scope_curation)."""
    yield header(name, crawled_at, curation)
    yield from enums(enum_items)
    yield from sequences(sequence_items)
    yield from routines(routine_items)
    for t in tables:
        yield table(t)
