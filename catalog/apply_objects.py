"""A crawl's enum types, sequences, triggers and routines at its apply:
their change events, labelled here by comparing what the crawl listed with
what the catalog holds, then the source's rows replaced by the crawl's."""

from __future__ import annotations

import hashlib
import json

from sqlalchemy import text
from sqlalchemy.orm import Session


def enum_changes(
    old: dict[tuple[str, str], list],
    new: dict[tuple[str, str], list],
    comments: dict[tuple[str, str], tuple] | None = None,
) -> list[tuple]:
    """(schema, name, event, details, hazard, reasons) for each enum type
    added, removed or whose values changed (`ALTER TYPE ... ADD VALUE`) or
    comment changed (`comments`: (from, to) of the types kept whose comment
    moved)."""
    comments = comments or {}
    out = []
    for schema, name in sorted(old.keys() | new.keys()):
        before, after = old.get((schema, name)), new.get((schema, name))
        if before == after and (schema, name) not in comments:
            continue
        qualified = f"{schema}.{name}"
        if before is None:
            out.append((schema, name, "enum_added", {"type": qualified, "values": after}, "safe",
                        [f"safe: enum type {qualified} added"]))  # fmt: skip
            continue
        if after is None:
            out.append((schema, name, "enum_removed", {"type": qualified, "values": before}, "breaking",
                        [f"breaking: enum type {qualified} removed"]))  # fmt: skip
            continue
        added = [v for v in after if v not in before]
        removed = [v for v in before if v not in after]
        reasons = [f"breaking: value {v!r} removed from {qualified}" for v in removed]
        if [v for v in after if v in before] != [v for v in before if v in after]:
            reasons.append(f"risky: values of {qualified} reordered")
        reasons += [f"safe: value {v!r} added to {qualified}" for v in added]
        details: dict = {"type": qualified, "values": {"from": before, "to": after}}
        if (schema, name) in comments:
            reasons.append(f"safe: comment of {qualified} changed")
            details["comment"] = dict(zip(("from", "to"), comments[(schema, name)], strict=True))
        hazard = reasons[0].split(":", 1)[0] if reasons else "safe"
        details.update({k: v for k, v in (("values_added", added), ("values_removed", removed)) if v})
        out.append((schema, name, "enum_changed", details, hazard, reasons))
    return out


def _record_enum_events(session: Session, params: dict, enums: list[dict]) -> int:
    """Change events for the source's enum types, comparing what this crawl
    found with catalog_enums (before they are replaced); labelled here."""
    rows = session.execute(
        text('SELECT schema_name, name, "values", comment FROM catalog_enums WHERE source_id = :sid'), params
    ).all()
    old = {(r.schema_name, r.name): list(r.values or []) for r in rows}
    new = {(e["schema"], e["name"]): list(e["values"] or []) for e in enums}
    comments = {}
    if _comments_read_before(session, params):
        now = {(e["schema"], e["name"]): e.get("comment") for e in enums}
        comments = {
            k: (r.comment, now[k]) for r in rows if (k := (r.schema_name, r.name)) in now and r.comment != now[k]
        }
    events = enum_changes(old, new, comments)
    if events:
        session.execute(
            text(
                "INSERT INTO change_events (source_id, crawl_id, schema_name, event, details, occurred_at, hazard, "
                "hazard_reasons) VALUES (:sid, :job, :schema, :event, CAST(:details AS jsonb), :now, :hazard, "
                "CAST(:reasons AS jsonb))"
            ),
            [
                {
                    **params,
                    "schema": schema,
                    "event": event,
                    "details": json.dumps(details),
                    "hazard": hazard,
                    "reasons": json.dumps(reasons),
                }  # fmt: skip
                for schema, _name, event, details, hazard, reasons in events
            ],
        )
    return len(events)


def _comments_read_before(session: Session, params: dict) -> bool:
    """Whether the catalog's enum types were crawled with their comments:
    those crawls list schemas too (LATER_KINDS), so the source's catalog
    holds some; before, a comment stored as null says nothing, and the
    first crawl that reads them records no change of comment."""
    return session.execute(
        text("SELECT EXISTS (SELECT 1 FROM catalog_objects WHERE source_id = :sid AND kind = 'schema')"), params
    ).scalar_one()


def _replace_enums(session: Session, source_id: int, enums: list[dict]) -> None:
    session.execute(text("DELETE FROM catalog_enums WHERE source_id = :sid"), {"sid": source_id})
    if enums:
        session.execute(
            text(
                'INSERT INTO catalog_enums (source_id, schema_name, name, "values", comment) '
                "SELECT :sid, e->>'schema', e->>'name', e->'values', e->>'comment' "
                "FROM jsonb_array_elements(CAST(:enums AS jsonb)) e"
            ),
            {"sid": source_id, "enums": json.dumps(enums)},
        )


ROUTINE_KINDS = ("function", "procedure", "aggregate", "window")


def object_group(kind: str) -> str:
    """sequence, trigger, routine, extension, domain...: the word of an object's change events."""
    return "routine" if kind in ROUTINE_KINDS else kind


def object_name(o: dict) -> str:
    """How an event names an object: schema.name, a trigger `on` its table, a routine with its arguments."""
    if o["kind"] in ("extension", "schema"):  # a database's extension, a schema: their name alone
        return o["name"]
    qualified = f"{o['schema']}.{o['name']}"
    if o["table"]:
        return f"{qualified} on {o['schema']}.{o['table']}"
    return f"{qualified}({o['arguments']})" if object_group(o["kind"]) == "routine" else qualified


# Kinds listed since issue #26 (engines/schema_objects.py). The first crawl
# that lists them is their baseline (no event per object), told by the
# catalog holding none of them yet: every PostgreSQL crawl since lists its
# schemas, so a source crawled since always holds some.
LATER_KINDS = ("extension", "domain", "collation", "text_search_configuration", "schema")


def _changed_hazard(o: dict, changes: dict) -> tuple[str, str]:
    """(event's last word, hazard) of an object that changed: a routine's
    return type breaks its callers; a new extension version is an upgrade
    (safe: ALTER EXTENSION UPDATE keeps its objects); a comment alone is
    safe; anything else changes behaviour (risky)."""
    if o["kind"] == "extension" and set(changes) <= {"version", "comment"}:
        return ("upgraded" if "version" in changes else "changed"), "safe"
    if "return_type" in changes:
        return "changed", "breaking"
    return "changed", "risky" if set(changes) - {"comment"} else "safe"


def _removed_hazard(o: dict) -> str:
    """Dropping a routine breaks its callers, a domain its columns' type;
    the rest changes behaviour."""
    return "breaking" if object_group(o["kind"]) in ("routine", "domain") else "risky"


def _object_key(o: dict) -> tuple:
    return (o["kind"], o["schema"], o["table"], o["name"], o["arguments"])


def object_changes(old: list[dict], new: list[dict]) -> list[tuple]:
    """(object, event, details, hazard, reasons) for each sequence, trigger or
    routine added, removed or changed between two crawls. A routine whose
    arguments changed is another routine (the old one removed, a new one
    added), as PostgreSQL sees overloads. Bodies are compared, not shown."""
    before, after = {_object_key(o): o for o in old}, {_object_key(o): o for o in new}
    out = []
    for key in sorted(before.keys() | after.keys()):
        was, now = before.get(key), after.get(key)
        o = now or was
        assert o is not None
        group, name = object_group(o["kind"]), object_name(o)
        base = {"kind": o["kind"], "name": name}
        if was is None:
            out.append((o, f"{group}_added", base, "safe", [f"safe: {o['kind']} {name} added"]))
        elif now is None:
            hazard = _removed_hazard(o)
            out.append((o, f"{group}_removed", base, hazard, [f"{hazard}: {o['kind']} {name} removed"]))
        else:
            # the fields the last crawl knew: one a newer crawler reports
            # (a MariaDB routine's data_access) is no change of the routine
            fields = sorted(k for k in was["details"] if was["details"].get(k) != now["details"].get(k))
            changes = {k: {"from": was["details"].get(k), "to": now["details"].get(k)} for k in fields}
            if (was.get("body") or "") != (now.get("body") or ""):
                changes["body"] = {"changed": True}
            if not changes:
                continue
            word, hazard = _changed_hazard(o, changes)
            reasons = [f"{hazard}: {o['kind']} {name}: {', '.join(sorted(changes))} {word}"]
            out.append((o, f"{group}_{word}", {**base, "changes": changes}, hazard, reasons))
    return out


# catalog_objects rows as object_changes compares them: a body by its hash,
# so a source's bodies are not all read back to be compared.
OBJECTS_SQL = """
    SELECT kind, schema_name AS schema, table_name AS table, name, arguments, details, md5(body) AS body
    FROM catalog_objects WHERE source_id = :sid"""


def _hashed_body(o: dict) -> dict:
    body = o.get("body")
    return {**o, "body": None if body is None else hashlib.md5(body.encode()).hexdigest()}  # noqa: S324 not security


def _record_object_events(session: Session, params: dict, objects: list[dict]) -> int:
    """Change events for the source's sequences, triggers and routines,
    comparing this crawl's with catalog_objects (before they are replaced);
    labelled here. A trigger's event names its table."""
    old = [dict(r._mapping) for r in session.execute(text(OBJECTS_SQL), params)]
    new = [_hashed_body(o) for o in objects]
    if not any(o["kind"] in LATER_KINDS for o in old):  # their baseline
        new = [o for o in new if o["kind"] not in LATER_KINDS]
    events = object_changes(old, new)
    if events:
        session.execute(
            text(
                "INSERT INTO change_events (source_id, crawl_id, schema_name, table_name, event, details, occurred_at, "
                "hazard, hazard_reasons) VALUES (:sid, :job, :schema, :table, :event, CAST(:details AS jsonb), :now, "
                ":hazard, CAST(:reasons AS jsonb))"
            ),
            [
                {
                    **params,
                    "schema": o["schema"],
                    "table": o["table"] or None,
                    "event": event,
                    "details": json.dumps(details),
                    "hazard": hazard,
                    "reasons": json.dumps(reasons),
                }  # fmt: skip
                for o, event, details, hazard, reasons in events
            ],
        )
    return len(events)


def _replace_objects(session: Session, source_id: int, job_id: int, objects: list[dict]) -> None:
    """The source's objects become this crawl's, in two statements; the job
    lets go of its copy (bodies can be large), keeping `[]` to say it listed them."""
    session.execute(text("DELETE FROM catalog_objects WHERE source_id = :sid"), {"sid": source_id})
    if objects:
        session.execute(
            text(
                "INSERT INTO catalog_objects "
                "(source_id, kind, schema_name, table_name, name, arguments, details, body) "
                "SELECT :sid, o->>'kind', o->>'schema', o->>'table', o->>'name', o->>'arguments', o->'details', "
                "o->>'body' FROM jsonb_array_elements(CAST(:objects AS jsonb)) o"
            ),
            {"sid": source_id, "objects": json.dumps(objects)},
        )
    session.execute(text("UPDATE crawl_jobs SET objects = '[]' WHERE id = :job"), {"job": job_id})


def _objects_listed_before(session: Session, params: dict) -> bool:
    """Whether an earlier successful crawl of the source listed sequences,
    triggers and routines (its `objects` is not null). The first crawl after
    the upgrade that added them is their baseline: it records no event for
    each one it finds, as a first crawl records none per table."""
    return session.execute(
        text(
            "SELECT EXISTS (SELECT 1 FROM crawl_jobs WHERE source_id = :sid AND id <> :job "
            "AND state = 'succeeded' AND objects IS NOT NULL)"
        ),
        params,
    ).scalar_one()


def apply_enums(session: Session, params: dict, enums: list[dict], first_crawl: bool) -> int:
    """The events of the source's enum types (none on a first crawl), then
    its enum types replaced by this crawl's. Returns how many events."""
    events = 0 if first_crawl else _record_enum_events(session, params, enums)
    _replace_enums(session, params["sid"], enums)
    return events


def apply_objects(session: Session, params: dict, objects: list[dict], first_crawl: bool) -> int:
    """The events of the source's sequences, triggers and routines (none on a
    first crawl, nor on the first that listed them), then its objects
    replaced by this crawl's. Returns how many events."""
    events = 0
    if not first_crawl and _objects_listed_before(session, params):
        events = _record_object_events(session, params, objects)
    _replace_objects(session, params["sid"], params["job"], objects)
    return events
