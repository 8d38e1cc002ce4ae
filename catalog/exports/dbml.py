"""A source's schema as DBML (dbdiagram.io's language), written table by
table: enums, then each table with its columns, indexes and note, followed
by its foreign keys as `Ref`s (DBML resolves a Ref to a table defined later).
Accepted inferred keys are Refs named `inferred_...` with an `// inferred`
comment; a key to a table outside the export is a comment only (a Ref to an
unknown table is not DBML). What the team curated goes in the notes, before
the database comment: the source's and its schemas' in the project's note, a
table's and a column's in theirs (description, then `tags:` and `owners:`
lines)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from ..escape import visible
from .curation import owners, tags
from .source import ExportTable

DATABASE_TYPES = {"postgresql": "PostgreSQL", "mysql": "MySQL", "mariadb": "MySQL", "sqlite": "SQLite"}
ACTIONS = {"CASCADE": "cascade", "RESTRICT": "restrict", "SET NULL": "set null", "SET DEFAULT": "set default"}
ACTIONS["NO ACTION"] = "no action"


def _name(value: str) -> str:
    """A quoted DBML name, on one line (see escape.visible). DBML has no
    escape inside a quoted name: a `"` in a name is written as `'` (a
    column's note then gives its real name)."""
    return '"' + visible(value).replace('"', "'") + '"'


def _table(schema: str, name: str) -> str:
    return f"{_name(schema)}.{_name(name)}"


def _string(value: str) -> str:
    """A single-quoted DBML string on one line: its line breaks as `\\n`,
    any other hidden character made visible (see escape.visible)."""
    lines = [visible(line).replace("\\", "\\\\").replace("'", "\\'") for line in value.splitlines()]
    return "'" + "\\n".join(lines) + "'"


def _comment(value: str) -> str:
    """Text for a `//` comment: on one line."""
    return " ".join(visible(value).split())


def _curated(entry: dict | None) -> list[str]:
    """A curated object's description, tags and owners, as lines of a note."""
    if not entry:
        return []
    lines = [entry["description"]] if entry.get("description") else []
    if tags(entry):
        lines.append("tags: " + ", ".join(tags(entry)))
    if owners(entry):
        lines.append("owners: " + ", ".join(owners(entry)))
    return lines


def header(name: str, engine: str, curation: dict | None = None) -> str:
    """The project; its note says where it comes from, then what the source and its schemas are (curated)."""
    curation = curation or {}
    lines = [f"Project {_name(name)} {{"]
    if engine in DATABASE_TYPES:
        lines.append(f"  database_type: {_string(DATABASE_TYPES[engine])}")
    note = [f"Exported by metacrawl from source {name!r} ({engine})", *_curated(curation.get("source"))]
    for schema, entry in (curation.get("schemas") or {}).items():
        note += ["", f"schema {schema}:", *_curated(entry)]
    lines.append(f"  Note: {_string(chr(10).join(note))}")
    lines.append("}\n")
    return "\n".join(lines) + "\n"


def enum(e: dict) -> str:
    if not e["values"]:
        return f"// enum {_comment(e['schema'])}.{_comment(e['name'])} has no values\n\n"
    values = "\n".join(f"  {_name(str(v))}" for v in e["values"])
    return f"Enum {_table(e['schema'], e['name'])} {{\n{values}\n}}\n\n"


def _column(c: dict, single_pk: str | None, unique: set[str]) -> str:
    settings = []
    if c["name"] == single_pk:
        settings.append("pk")
    settings.append("null" if c.get("nullable") else "not null")
    if c["name"] in unique:
        settings.append("unique")
    if c.get("identity"):
        settings.append("increment")
    notes = _curated(c.get("curation"))
    default = c.get("default")
    if default is not None:
        if "`" in default or visible(default) != default:
            notes.append(f"default: {default}")
        else:
            settings.append(f"default: `{default}`")
    if c.get("generated"):
        notes.append(f"generated: {c['generated']}")
    if c.get("comment"):
        notes.append(c["comment"])
    if _name(c["name"]) != f'"{c["name"]}"':
        notes.append(f"name: {c['name']}")
    if notes:
        settings.append(f"note: {_string(chr(10).join(notes))}")
    return f"  {_name(c['name'])} {_name(c.get('type') or 'unknown')} [{', '.join(settings)}]"


def _index(i: dict, columns: set[str]) -> str:
    parts = []
    for element in i.get("columns") or []:
        if element in columns:
            parts.append(_name(element))
        else:  # an expression: backticks, which it cannot hold itself
            parts.append("`" + visible(element).replace("`", "'") + "`")
    settings = [f"name: {_string(i['name'])}"]
    if i.get("unique"):
        settings.append("unique")
    if (i.get("method") or "").lower() in ("btree", "hash"):
        settings.append(f"type: {i['method'].lower()}")
    if i.get("predicate"):
        settings.append(f"note: {_string('WHERE ' + i['predicate'])}")
    return f"    ({', '.join(parts)}) [{', '.join(settings)}]"


def _ref(t: ExportTable, fk: dict) -> str:
    src = ", ".join(_name(c) for c in fk["columns"])
    dst = ", ".join(_name(c) for c in fk["referenced_columns"])
    line = (
        f"Ref {_name(fk.get('name') or 'fk')}: {_table(*t.key)}.({src}) > "
        f"{_table(fk['referenced_schema'], fk['referenced_table'])}.({dst})"
    )
    settings = [
        f"{what}: {ACTIONS[fk[f'on_{what}']]}" for what in ("update", "delete") if fk.get(f"on_{what}") in ACTIONS
    ]
    if settings:
        line += f" [{', '.join(settings)}]"
    if fk.get("inferred"):
        line += f" // inferred ({_comment(fk.get('reason') or 'accepted by the owner')})"
    return line


def table(t: ExportTable) -> str:
    d = t.doc
    title = f"{_comment(d['schema'])}.{_comment(d['name'])}"
    columns = d.get("columns") or []
    if not columns:
        return f"// {d['kind']} {title} has no columns (DBML needs one)\n\n"
    pk = (d.get("primary_key") or {}).get("columns") or []
    single_pk = pk[0] if len(pk) == 1 else None
    unique = {
        c["columns"][0]
        for c in d.get("constraints") or []
        if c.get("type") == "unique" and len(c.get("columns") or []) == 1
    }
    lines = [f"Table {_table(d['schema'], d['name'])} {{"]
    lines += [_column(c, single_pk, unique) for c in columns]
    names = {c["name"] for c in columns}
    indexes = [_index(i, names) for i in d.get("indexes") or [] if i.get("columns")]
    if len(pk) > 1:
        name = (d.get("primary_key") or {}).get("name")
        pk_line = f"    ({', '.join(_name(c) for c in pk)}) [pk"
        indexes.insert(0, pk_line + (f", name: {_string(name)}]" if name else "]"))
    if indexes:
        lines += ["", "  indexes {", *indexes, "  }"]
    note = _curated(d.get("curation"))
    if d.get("kind") != "table":
        note.append(d.get("kind") or "")
    if d.get("comment"):
        note.append(d["comment"])
    for c in d.get("constraints") or []:
        if c.get("type") != "unique":
            note.append(f"{c.get('type')} {c['name']}: {c.get('definition') or ', '.join(c.get('columns') or [])}")
    if note:
        lines += ["", f"  Note: {_string(chr(10).join(note))}"]
    lines.append("}")
    for fk in t.all_keys():
        if t.drawable(fk):
            lines.append(_ref(t, fk))
        else:
            lines.append(
                f"// {'inferred ' if fk.get('inferred') else ''}key {_comment(fk.get('name') or '')} references "
                f"{_comment(fk['referenced_schema'])}.{_comment(fk['referenced_table'])}, not in this export"
            )
    return "\n".join(lines) + "\n\n"


def write(
    name: str, engine: str, enums: Iterable[dict], tables: Iterable[ExportTable], curation: dict | None = None
) -> Iterator[str]:
    """`curation`: the source's and schemas' (curation.scope_curation)."""
    yield header(name, engine, curation)
    for e in enums:
        yield enum(e)
    for t in tables:
        yield table(t)
