"""Hazard labels on change events: what a change can do to the code that
uses the table.

- breaking: a table or column removed (a rename without stable ids is seen
  as one removed and one added), a table or column renamed (readers of the
  old name fail; `rename_hazard`), a probable rename, a type changed other than widened, NOT NULL added, a column
  added NOT NULL without a default, the kind changed;
- risky: the primary key changed, an index, constraint or foreign key
  dropped or added (a new constraint can refuse writes), a type widened, a
  default changed, identity or generation changed, a view's SQL or
  dependencies changed, a partition key, parent or bounds changed;
- safe: a table added, a column added nullable (or with a default), an index
  added, NOT NULL dropped, a comment changed.

A removed or retyped column that views read (catalog_column_lineage, as the
apply left it) gets a reason naming them: removing it is breaking (on
MariaDB/MySQL the view breaks silently, at its next read), retyping it at
least risky (the view's column changes type with it).

An event's label is its worst reason. `label_crawl` labels a crawl's events
inside the apply transaction: added and removed tables in one statement
each, changed tables from their recorded details (and the new definition,
for the added columns' nullability) in one UPDATE.
"""

from __future__ import annotations

import json
import re
from typing import NamedTuple

from sqlalchemy import text
from sqlalchemy.orm import Session

HAZARDS = ("breaking", "risky", "safe")
_RANK = {h: i for i, h in enumerate(HAZARDS)}

_INT_RANK = {
    "tinyint": 0,
    "smallint": 1,
    "int2": 1,
    "mediumint": 2,
    "integer": 3,
    "int": 3,
    "int4": 3,
    "bigint": 4,
    "int8": 4,
}
_VARCHAR = re.compile(r"^(?:character varying|varchar|nvarchar)\((\d+)\)$")
_CHARLIKE = re.compile(r"^(?:character varying|varchar|nvarchar|character|char)(?:\(\d+\))?$")
_NUMERIC = re.compile(r"^(?:numeric|decimal)(?:\((\d+)(?:,\s*(\d+))?\))?$")


def _int_type(t: str) -> tuple[int, bool] | None:
    """(rank, unsigned) of an integer type, MySQL display widths ignored."""
    m = re.match(r"^(\w+)(?:\(\d+\))?( unsigned)?( zerofill)?$", t)
    if m and m.group(1) in _INT_RANK:
        return _INT_RANK[m.group(1)], bool(m.group(2))
    return None


def widened(old: str | None, new: str | None) -> bool:
    """Whether every value of type `old` fits `new` unchanged."""
    if old is None or new is None:
        return False
    o, n = old.strip().lower(), new.strip().lower()
    if (oi := _int_type(o)) and (ni := _int_type(n)):
        # a larger integer; signed values never fit an unsigned type
        return ni[0] > oi[0] and not (ni[1] and not oi[1])
    if (ov := _VARCHAR.match(o)) and ((nv := _VARCHAR.match(n)) and int(nv.group(1)) > int(ov.group(1))):
        return True
    if _CHARLIKE.match(o) and n == "text":
        return True
    if (on := _NUMERIC.match(o)) and (nn := _NUMERIC.match(n)):
        if nn.group(1) is None:
            return True
        if on.group(1) is None:
            return False
        op, os_ = int(on.group(1)), int(on.group(2) or 0)
        np_, ns = int(nn.group(1)), int(nn.group(2) or 0)
        return ns >= os_ and np_ - ns >= op - os_
    return (o, n) in {("real", "double precision"), ("float", "double"), ("date", "timestamp without time zone")}


class Reason(NamedTuple):
    """One reason of a label: `code` names the kind of change (stable, for
    tools such as the CI gate), `subject` the column, key or index it is about
    (None for the table itself), `text` what the catalog shows."""

    label: str
    code: str
    subject: str | None
    text: str


def hazard_reasons(
    details: dict | None, new_columns: list[dict] | None = None, read_by: dict[str, list[str]] | None = None
) -> list[Reason]:
    """The reasons of a table_changed event's details (catalog.diff.table_changes),
    in the order they are found; `read_by`: the views (qualified names) that
    read each column of the table."""
    d = details or {}
    reasons = _view_reasons(d, read_by or {})
    return reasons + _table_reasons(d, new_columns)


def _view_reasons(d: dict, read_by: dict[str, list[str]]) -> list[Reason]:
    """A removed or retyped column some views read, named with those views."""
    reasons = []
    for name in d.get("columns_removed") or []:
        if read_by.get(name):
            why = f"column {name} removed, read by view {', '.join(read_by[name])}: the view breaks"
            reasons.append(Reason("breaking", "column_read_by_view_removed", name, why))
    for altered in d.get("columns_altered") or []:
        name = altered.get("name")
        if "type" in (altered.get("changes") or {}) and read_by.get(name):
            why = f"column {name} retyped, read by view {', '.join(read_by[name])}: its column changes with it"
            reasons.append(Reason("risky", "column_read_by_view_retyped", name, why))
    return reasons


def _table_reasons(d: dict, new_columns: list[dict] | None) -> list[Reason]:
    columns = {c.get("name"): c for c in new_columns or []}
    reasons: list[Reason] = []
    removed = list(d.get("columns_removed") or [])
    added = list(d.get("columns_added") or [])
    for name in removed:
        reasons.append(Reason("breaking", "column_removed", name, f"column {name} removed"))
    if len(removed) == 1 and len(added) == 1:
        why = f"column {removed[0]} renamed to {added[0]}, as it looks"
        reasons.append(Reason("breaking", "column_renamed", removed[0], why))
    for name in added:
        col = columns.get(name) or {}
        if col.get("nullable") is False and col.get("default") is None and not col.get("identity"):
            why = f"column {name} added NOT NULL without a default"
            reasons.append(Reason("breaking", "column_added_not_null", name, why))
        else:
            reasons.append(Reason("safe", "column_added", name, f"column {name} added"))
    for altered in d.get("columns_altered") or []:
        reasons += _column_reasons(altered.get("name"), altered.get("changes") or {})
    if "kind" in d:
        why = f"kind changed from {d['kind'].get('from')} to {d['kind'].get('to')}"
        reasons.append(Reason("breaking", "kind_changed", None, why))
    if "primary_key" in d:
        reasons.append(Reason("risky", "primary_key_changed", None, "primary key changed"))
    for part, what, code in (
        ("indexes", "index", "index"),
        ("constraints", "constraint", "constraint"),
        ("foreign_keys", "foreign key", "foreign_key"),
    ):
        plus, minus = set(d.get(f"{part}_added") or []), set(d.get(f"{part}_removed") or [])
        for name in sorted(minus - plus):
            reasons.append(Reason("risky", f"{code}_dropped", name, f"{what} {name} dropped"))
        for name in sorted(minus & plus):
            reasons.append(Reason("risky", f"{code}_redefined", name, f"{what} {name} redefined"))
        for name in sorted(plus - minus):
            label = "safe" if part == "indexes" else "risky"
            reasons.append(Reason(label, f"{code}_added", name, f"{what} {name} added"))
    if "comment" in d:
        reasons.append(Reason("safe", "comment_changed", None, "table comment changed"))
    if "definition" in d:
        reasons.append(Reason("risky", "view_definition_changed", None, "view definition changed"))
    if "depends_on" in d:
        reasons.append(Reason("risky", "view_dependencies_changed", None, "view dependencies changed"))
    if "view_options" in d:  # which rows a write may touch, whose rights a read runs with
        reasons.append(Reason("risky", "view_options_changed", None, "view options changed"))
    for attr, what in (
        ("partition", "partition key"),
        ("partition_of", "partition parent"),
        ("bounds", "partition bounds"),
    ):
        if attr in d:
            reasons.append(Reason("risky", "partitioning_changed", None, f"{what} changed"))
    return reasons


def _column_reasons(name: str | None, ch: dict) -> list[Reason]:
    """The reasons of one altered column's changes."""
    reasons = []
    if "type" in ch:
        old, new = ch["type"].get("from"), ch["type"].get("to")
        if widened(old, new):
            reasons.append(Reason("risky", "column_widened", name, f"column {name} widened from {old} to {new}"))
        elif widened(new, old):
            reasons.append(Reason("breaking", "column_narrowed", name, f"column {name} narrowed from {old} to {new}"))
        else:
            why = f"column {name} type changed from {old} to {new}"
            reasons.append(Reason("breaking", "column_retyped", name, why))
    if "nullable" in ch:
        if ch["nullable"].get("to") is False:
            reasons.append(Reason("breaking", "column_made_not_null", name, f"column {name} made NOT NULL"))
        else:
            reasons.append(Reason("safe", "column_made_nullable", name, f"column {name} made nullable"))
    if "default" in ch:
        reasons.append(Reason("risky", "column_default_changed", name, f"column {name} default changed"))
    for attr in ("identity", "generated", "on_update", "collation"):  # collation: order and equality move
        if attr in ch:
            reasons.append(Reason("risky", f"column_{attr}_changed", name, f"column {name} {attr} changed"))
    if "comment" in ch:
        reasons.append(Reason("safe", "column_comment_changed", name, f"column {name} comment changed"))
    return reasons


def worst(labels) -> str:
    """The worst of some labels ("safe" for none)."""
    return min(labels, key=_RANK.__getitem__, default="safe")


def hazard_of(
    details: dict | None, new_columns: list[dict] | None = None, read_by: dict[str, list[str]] | None = None
) -> tuple[str, list[str]]:
    """(label, reasons) of a table_changed event's details (catalog.diff.table_changes)."""
    reasons = hazard_reasons(details, new_columns, read_by)
    if not reasons:
        return "safe", []
    ordered = sorted(reasons, key=lambda r: _RANK[r.label])
    return worst(r.label for r in reasons), [f"{r.label}: {r.text}" for r in ordered]


RENAME_EVENTS = ("table_renamed", "column_renamed", "table_probable_rename")


def _qualified(part: dict | None) -> str:
    part = part or {}
    return ".".join(str(p) for p in (part.get("schema"), part.get("name")) if p is not None)


def rename_hazard(event: str, details: dict | None) -> tuple[str, list[str]]:
    """(label, reasons) of a rename's event (catalog/renames.py): breaking,
    for whatever still reads the old name."""
    d = details or {}
    if event == "column_renamed":
        col = d.get("column") or {}
        why = f"column {col.get('from')} renamed to {col.get('to')}: readers of the old name fail"
    elif event == "table_probable_rename":
        why = (
            f"table {_qualified(d.get('from'))} probably renamed to {_qualified(d.get('to'))} "
            "(same definition): readers of the old name fail"
        )
    else:
        why = f"table {_qualified(d.get('from'))} renamed to {_qualified(d.get('to'))}: readers of the old name fail"
    return "breaking", [f"breaking: {why}"]


# A crawl's table_changed events with the table's new columns and, per
# column, the live views that read it (on catalog_column_lineage's index by
# source table; only for events that removed or altered a column).
CHANGED_TABLES_SQL = """
    SELECT e.id, e.details, t.definition->'columns',
           CASE WHEN e.details ? 'columns_removed' OR e.details ? 'columns_altered' THEN (
               SELECT jsonb_object_agg(r.source_column, r.views) FROM (
                   SELECT l.source_column, jsonb_agg(DISTINCT v.schema_name || '.' || v.name) AS views
                   FROM catalog_column_lineage l
                   JOIN catalog_tables v ON v.id = l.view_id AND v.removed_at IS NULL
                   WHERE l.source_id = t.source_id AND l.source_schema = t.schema_name AND l.source_table = t.name
                   GROUP BY l.source_column) r) END
    FROM change_events e LEFT JOIN catalog_tables t ON t.id = e.table_id
    WHERE e.crawl_id = :job AND e.event = 'table_changed'"""


def label_crawl(session: Session, job_id: int) -> None:
    """Label the change events a crawl recorded, inside the caller's transaction."""
    params = {"job": job_id}
    renames = session.execute(
        text("SELECT id, event, details FROM change_events WHERE crawl_id = :job AND event = ANY(:events)"),
        {**params, "events": list(RENAME_EVENTS)},
    ).all()
    _set_labels(session, [r[0] for r in renames], [rename_hazard(r[1], r[2]) for r in renames])
    session.execute(
        text(
            "UPDATE change_events SET hazard = CASE event WHEN 'table_added' THEN 'safe' ELSE 'breaking' END, "
            "hazard_reasons = CASE event WHEN 'table_added' THEN '[\"safe: table added\"]'::jsonb "
            "ELSE '[\"breaking: table removed\"]'::jsonb END "
            "WHERE crawl_id = :job AND event IN ('table_added', 'table_removed')"
        ),
        params,
    )
    rows = session.execute(text(CHANGED_TABLES_SQL), params).all()
    if not rows:
        return
    labels = [hazard_of(details, columns, dict(read_by or {})) for _, details, columns, read_by in rows]
    _set_labels(session, [r[0] for r in rows], labels)


def _set_labels(session: Session, ids: list[int], labels: list[tuple[str, list[str]]]) -> None:
    if not ids:
        return
    session.execute(
        text(
            "UPDATE change_events e SET hazard = u.hazard, hazard_reasons = u.reasons::jsonb "
            "FROM unnest(CAST(:ids AS bigint[]), CAST(:hazards AS text[]), CAST(:reasons AS text[])) "
            "AS u(id, hazard, reasons) WHERE e.id = u.id"
        ),
        {
            "ids": ids,
            "hazards": [label for label, _ in labels],
            "reasons": [json.dumps(reasons) for _, reasons in labels],
        },
    )
