"""Two schema documents compared (pure, no I/O): what the CI gate reports.

A schema document is the export's JSON (`GET /sources/{id}/schema/export`,
or `metacrawl snapshot`): {engine, tables: [table documents], ...}. The
tables are paired by (schema, name) and told apart with the crawl's own
rules: `catalog.diff.table_changes` for a table in both, the hazard labels
of `catalog.insights.hazards` (a crawl's `table_removed` and `table_added`
labels, `hazard_reasons` for a changed table, `rename_hazard` for a
probable rename). A probable rename is the crawl's rule for engines
without stable ids: one table removed and one added with the same shape,
one to one (`shape`, the Python twin of `catalog.renames.SHAPE`). Stable
ids are not compared: two databases' object ids (production and a scratch
copy) mean nothing to each other.

Beyond what a crawl labels, the comparison of two whole documents sees:
a schema that no longer has any table (`schema_removed`), a dropped unique
key told apart from other constraints and indexes (`unique_dropped`,
`unique_redefined`), a table removed whose name a probable rename took
(`table_renamed`), and what in the old document still depended on a
removed table or column (`dependant_removed`: a view reading the table, a
foreign key of another table referencing it).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from .diff import as_read_now, only_fields_added, table_changes
from .insights.hazards import hazard_reasons, rename_hazard
from .staging import DEFINITION_KEYS, OPTIONAL_KEYS

VIEW_KINDS = ("view", "materialized_view")


@dataclass(frozen=True)
class Finding:
    """One change: `code` its kind (catalog.insights.hazards.Reason codes,
    plus this module's), `label` the catalog's hazard label, the object it is
    about, and what the catalog would say of it."""

    code: str
    label: str
    schema: str | None
    table: str | None
    column: str | None
    reason: str
    details: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def object(self) -> str:
        return ".".join(p for p in (self.schema, self.table, self.column) if p is not None)


def definition(doc: dict) -> dict:
    """What a crawl compares of a table document: kind, comment and the
    stored definition (catalog.staging), not sizes, ids or curation."""
    out = {"kind": doc.get("kind"), "comment": doc.get("comment")}
    out.update({k: doc.get(k) for k in DEFINITION_KEYS})
    out.update({k: doc[k] for k in OPTIONAL_KEYS if doc.get(k) is not None})
    return out


def _sorted(items) -> list:
    return sorted(items, key=lambda x: json.dumps(x, sort_keys=True))


def shape(doc: dict) -> str:
    """A table apart from its name, as catalog.renames.SHAPE sees it: kind,
    comment, columns and the rest of its definition, its keys, indexes and
    constraints without their names, a foreign key to itself as to "itself"."""
    rest = {k: v for k, v in definition(doc).items() if k not in DEFINITION_KEYS[1:] + ("kind", "comment")}
    me = (doc.get("schema"), doc.get("name"))
    fks = [
        [
            f.get("columns"),
            f.get("referenced_columns"),
            f.get("on_update"),
            f.get("on_delete"),
            None if (f.get("referenced_schema"), f.get("referenced_table")) == me else [
                f.get("referenced_schema"), f.get("referenced_table")],
        ]
        for f in doc.get("foreign_keys") or []
    ]  # fmt: skip
    parts = [
        doc.get("kind"),
        doc.get("comment"),
        rest,
        (doc.get("primary_key") or {}).get("columns"),
        _sorted(
            [i.get("columns"), i.get("unique"), i.get("method"), i.get("predicate")] for i in doc.get("indexes") or []
        ),
        _sorted(fks),
        _sorted([c.get("type"), c.get("columns")] for c in doc.get("constraints") or []),
    ]
    return json.dumps(parts, sort_keys=True)


def _tables(doc: dict) -> dict[tuple[str, str], dict]:
    return {(t["schema"], t["name"]): t for t in doc.get("tables") or []}


def probable_renames(gone: list[dict], came: list[dict]) -> list[tuple[dict, dict]]:
    """(removed, added) pairs of the same shape, one to one."""
    by_gone: dict[str, list[dict]] = {}
    by_came: dict[str, list[dict]] = {}
    for t in gone:
        by_gone.setdefault(shape(t), []).append(t)
    for t in came:
        by_came.setdefault(shape(t), []).append(t)
    return [(g[0], by_came[s][0]) for s, g in by_gone.items() if len(g) == 1 and len(by_came.get(s, [])) == 1]


def compare_documents(old: dict, new: dict) -> list[Finding]:
    """What changed from `old` to `new`, table by table in (schema, name)
    order, then the schemas removed."""
    before, after = _tables(old), _tables(new)
    gone = [before[k] for k in sorted(before) if k not in after]
    came = [after[k] for k in sorted(after) if k not in before]
    renamed = {(g["schema"], g["name"]): a for g, a in probable_renames(gone, came)}
    findings: list[Finding] = []
    for key in sorted(set(before) | set(after)):
        if key in before and key in after:
            findings += table_findings(before[key], after[key], old, new)
        elif key in after:
            findings.append(Finding("table_added", "safe", *key, None, "table added"))
        else:
            findings += removed_findings(before[key], renamed.get(key), old, new)
    schemas = {k[0] for k in after}
    for name in sorted({k[0] for k in before} - schemas):
        findings.append(Finding("schema_removed", "breaking", name, None, None, f"schema {name} removed"))
    return findings


def removed_findings(table: dict, renamed_to: dict | None, old: dict, new: dict) -> list[Finding]:
    """A removed table: removed (or probably renamed), and what depended on it."""
    schema, name = table["schema"], table["name"]
    if renamed_to is not None:
        details = {
            "from": {"schema": schema, "name": name},
            "to": {"schema": renamed_to["schema"], "name": renamed_to["name"]},
        }
        label, reasons = rename_hazard("table_probable_rename", details)
        return [Finding("table_renamed", label, schema, name, None, reasons[0].split(": ", 1)[1], details)]
    code = "view_removed" if table.get("kind") in VIEW_KINDS else "table_removed"
    what = "view" if code == "view_removed" else "table"
    found = [Finding(code, "breaking", schema, name, None, f"{what} removed")]
    return found + dependants(old, new, schema, name, None)


def dependants(old: dict, new: dict, schema: str, name: str, column: str | None) -> list[Finding]:
    """What in `old` depended on a removed table (or one of its columns): the
    views that read it (for a column: those gone from `new` with it, as
    CASCADE drops them) and the other tables' foreign keys into it."""
    found = []
    still = _tables(new)
    for t in old.get("tables") or []:
        if (t["schema"], t["name"]) == (schema, name):
            continue
        reads = any((d.get("schema"), d.get("table")) == (schema, name) for d in t.get("depends_on") or [])
        if reads and (column is None or (t["schema"], t["name"]) not in still):
            why = f"view {t['schema']}.{t['name']} read it: dropped with it (CASCADE) or left broken"
            found.append(Finding("dependant_removed", "breaking", schema, name, column, why, {"view": t["name"]}))
        for fk in t.get("foreign_keys") or []:
            if (fk.get("referenced_schema"), fk.get("referenced_table")) != (schema, name):
                continue
            if column is not None and column not in (fk.get("referenced_columns") or []):
                continue
            why = f"foreign key {fk.get('name')} of {t['schema']}.{t['name']} referenced it"
            found.append(
                Finding("dependant_removed", "breaking", schema, name, column, why, {"foreign_key": fk.get("name")})
            )
    return found


def _unique(items: list[dict] | None, name: str | None) -> bool:
    item = next((i for i in items or [] if i.get("name") == name), {})
    return item.get("unique") is True or item.get("type") == "unique"


def table_findings(old_doc: dict, new_doc: dict, old: dict | None = None, new: dict | None = None) -> list[Finding]:
    """A table in both documents: the crawl's reasons for what changed (and,
    given the whole `old` document, the foreign keys into a removed column)."""
    old_def, new_def = definition(old_doc), definition(new_doc)
    old_def = as_read_now(old_def, new_def)
    if only_fields_added(old_def, {k: new_def.get(k) for k in old_def}):
        return []
    reasons = hazard_reasons(table_changes(old_def, new_def), new_doc.get("columns"))
    schema, name = old_doc["schema"], old_doc["name"]
    dropped_unique = {
        r.subject for r in reasons if r.code == "constraint_dropped" and _unique(old_doc.get("constraints"), r.subject)
    }
    findings = []
    for r in reasons:
        code = r.code
        if code in ("constraint_dropped", "constraint_redefined", "index_dropped", "index_redefined"):
            part = "constraints" if code.startswith("constraint") else "indexes"
            if _unique(old_doc.get(part), r.subject):
                if part == "indexes" and code == "index_dropped" and r.subject in dropped_unique:
                    continue  # the unique constraint's own index: told once
                code = "unique_" + code.split("_", 1)[1]
        column = r.subject if code.startswith("column_") else None
        findings.append(Finding(code, r.label, schema, name, column, r.text, {"subject": r.subject}))
        if code == "column_removed":
            findings += dependants(old or {}, new or {}, schema, name, r.subject)
    return findings
