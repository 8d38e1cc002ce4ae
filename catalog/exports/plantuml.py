"""A source's schema as a PlantUML entity-relationship diagram (IE notation),
in two streamed passes over the tables, since PlantUML refuses a relation to
an entity not yet declared: first an entity per table (key columns first,
marked <<PK>> / <<FK>>), then every foreign key as a relation, dotted and
labelled `inferred` for accepted inferred keys. A key to a table outside the
export is a comment (`'`) only."""

from __future__ import annotations

import string
from collections.abc import Callable, Iterable, Iterator

from ..escape import visible
from .source import ExportTable, node_id

# ASCII characters PlantUML never reads as markup in entity and relation
# text. Every other ASCII character can start something: a preprocessor
# call (`%getenv(...)`), variable or directive (`$`, `!`), a comment (`'`,
# `/'`), creole or HTML markup (`**`, `//`, `""`, `~~`, `<img:...>`, `&`), a
# link (`[[`), a colour (`#`), a field modifier (`{static}`) or a brace.
# Those are written as numeric character references (`&#37;`), which
# PlantUML draws as the character itself; so are `_`, `-` and `.` when
# doubled (underline, strike-through, the `--`/`..`/`__` separators).
_PLAIN = frozenset(string.ascii_letters + string.digits + " ,:;()")
_SINGLE = frozenset("_-.")


def _char(s: str, i: int) -> str:
    ch = s[i]
    if not ch.isascii() or ch in _PLAIN:
        return ch
    if ch in _SINGLE and s[i - 1 : i] != ch and s[i + 1 : i + 2] != ch:
        return ch
    return f"&#{ord(ch)};"


def _text(value) -> str:
    """Data as one line of entity body or label text, which PlantUML draws as
    it is and never reads as markup (see _PLAIN)."""
    s = " ".join(visible(value if value is not None else "").split())
    return "".join(_char(s, i) for i in range(len(s)))


def _quoted(value: str) -> str:
    return '"' + _text(value) + '"'


def header(name: str) -> str:
    return f"@startuml\n' {_text(name)}: exported by metacrawl\nhide circle\nskinparam linetype ortho\n\n"


def entity(t: ExportTable) -> str:
    d = t.doc
    me = node_id(*t.key)
    pk = list((d.get("primary_key") or {}).get("columns") or [])
    fk_columns = {c for fk in t.all_keys() for c in fk.get("columns") or []}
    columns = d.get("columns") or []
    stereotype = "" if d.get("kind") == "table" else f" <<{_text(d.get('kind'))}>>"
    lines = [f"entity {_quoted(d['schema'] + '.' + d['name'])} as {me}{stereotype} {{"]
    key_cols = [c for c in columns if c["name"] in pk]
    for c in key_cols:
        mark = " <<PK>>" + (" <<FK>>" if c["name"] in fk_columns else "")
        lines.append(f"  * {_text(c['name'])} : {_text(c.get('type'))}{mark}")
    if key_cols:
        lines.append("  --")
    for c in columns:
        if c["name"] in pk:
            continue
        star = "" if c.get("nullable") else "* "
        mark = " <<FK>>" if c["name"] in fk_columns else ""
        lines.append(f"  {star}{_text(c['name'])} : {_text(c.get('type'))}{mark}")
    lines.append("}")
    return "\n".join(lines) + "\n"


def relations(t: ExportTable) -> str:
    me = node_id(*t.key)
    lines = []
    nullable = {c["name"] for c in t.doc.get("columns") or [] if c.get("nullable")}
    for fk in t.all_keys():
        target = f"{fk['referenced_schema']}.{fk['referenced_table']}"
        label = f"{fk.get('name') or ''} ({', '.join(fk['columns'])} → {', '.join(fk['referenced_columns'])})"
        if not t.drawable(fk):
            lines.append(f"' key {_text(label)} references {_text(target)}, not in this export")
            continue
        optional = any(c in nullable for c in fk["columns"])
        line = ".." if fk.get("inferred") else "--"
        end = "o|" if optional else "||"
        prefix = "inferred: " if fk.get("inferred") else ""
        other = node_id(fk["referenced_schema"], fk["referenced_table"])
        lines.append(f"{me} }}o{line}{end} {other} : {_text(prefix + label)}")
    return "".join(line + "\n" for line in lines)


def write(name: str, tables: Callable[[], Iterable[ExportTable]]) -> Iterator[str]:
    """`tables()` streams the tables; it is called twice."""
    yield header(name)
    for t in tables():
        yield entity(t)
    yield "\n"
    for t in tables():
        yield relations(t)
    yield "@enduml\n"
