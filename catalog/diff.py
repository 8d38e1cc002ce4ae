"""What changed between two definitions of one table (pure, no I/O).

A definition is the stored document: kind, comment, columns, primary_key,
foreign_keys, indexes, constraints, shaped as DESIGN.md shows a table.
"""

from __future__ import annotations

COLUMN_ATTRS = (
    "type",
    "nullable",
    "default",
    "comment",
    "identity",
    "generated",
    "on_update",
    "charset",
    "collation",
    "generated_storage",
    "invisible",
)
RELATION_ATTRS = ("definition", "depends_on", "partition", "partition_of", "bounds")
# Table attributes an older crawler did not read (MySQL/MariaDB): compared
# only where the old definition has them, so the first crawl after the
# upgrade tells no change of them (every table and view has them since).
NEWER_ATTRS = ("engine", "collation", "view_options")


def _by_name(items: list[dict] | None) -> dict[str, dict]:
    return {i["name"]: i for i in items or []}


def _same(old: dict, new: dict) -> bool:
    """Equal in every field the old one has: a field a newer crawler reports
    (a key's `validated`, say) is no change of the database."""
    return all(new.get(k) == v for k, v in old.items())


def _added_removed(old: list[dict] | None, new: list[dict] | None) -> tuple[list[str], list[str]]:
    o, n = _by_name(old), _by_name(new)
    added = [k for k in n if k not in o or not _same(o[k], n[k])]
    removed = [k for k in o if k not in n or not _same(o[k], n[k])]
    return added, removed


def only_fields_added(old, new) -> bool:
    """Whether `new` is `old` with fields added to its objects and nothing
    else: what a crawler that reports more of the same tables stores (an
    upgrade), which no change event describes."""
    if isinstance(old, dict) and isinstance(new, dict):
        return all(k in new and only_fields_added(v, new[k]) for k, v in old.items())
    if isinstance(old, list) and isinstance(new, list):
        return len(old) == len(new) and all(only_fields_added(a, b) for a, b in zip(old, new, strict=True))
    return old == new


# What an older crawler read otherwise on MariaDB/MySQL, with nothing on
# the target changed: ON UPDATE/ON DELETE NO ACTION left out of a foreign
# key's definition.
_NO_ACTION = (" ON UPDATE NO ACTION", " ON DELETE NO ACTION")


def as_read_now(old: dict, new: dict) -> dict:
    """`old` as this crawler reads the same table, where an older crawler
    read it otherwise although nothing on the target moved: a MySQL/MariaDB
    partitioned table was kind `table` (its `partition` already told it is
    partitioned) and is `partitioned_table` now; a MySQL/MariaDB foreign key's
    `definition` left out its NO ACTION rules. So the first crawl after the
    upgrade records no change for them (a table partitioned since is still
    one: its `partition` was absent before)."""
    out = old
    if old.get("kind") == "table" and new.get("kind") == "partitioned_table" and old.get("partition") is not None:
        out = {**out, "kind": "partitioned_table"}
    now = _by_name(new.get("foreign_keys"))
    keys, moved = [], False
    for fk in old.get("foreign_keys") or []:
        text = (now.get(fk.get("name")) or {}).get("definition")
        if isinstance(text, str) and text != fk.get("definition"):
            shorter = text
            for clause in _NO_ACTION:
                shorter = shorter.replace(clause, "")
            if shorter == fk.get("definition"):
                fk, moved = {**fk, "definition": text}, True
        keys.append(fk)
    return {**out, "foreign_keys": keys} if moved else out


def column_renames(old: dict, new: dict) -> list[dict]:
    """The columns of one object on the target (equal stable ids) that kept
    their ordinal under a new name: [{"from", "to"}] in ordinal order. Only
    where the ordinal is the column's stable id (PostgreSQL's attnum, which
    a dropped column never gives back)."""
    before = {c["ordinal"]: c["name"] for c in old.get("columns") or [] if c.get("ordinal") is not None}
    return [
        {"from": before[c["ordinal"]], "to": c["name"]}
        for c in sorted(new.get("columns") or [], key=lambda c: c.get("ordinal") or 0)
        if c.get("ordinal") in before and before[c["ordinal"]] != c["name"]
    ]


def with_columns_renamed(old: dict, renames: list[dict]) -> dict:
    """`old` with its columns under their new names, so the rest of the
    difference is told as usual (keys and indexes over a renamed column
    still show as redefined: their definitions name the column)."""
    if not renames:
        return old
    names = {r["from"]: r["to"] for r in renames}
    columns = [{**c, "name": names.get(c["name"], c["name"])} for c in old.get("columns") or []]
    return {**old, "columns": columns}


def with_table_renamed(old: dict, new: dict) -> dict:
    """`old` of a table since renamed, its indexes' printed definitions taken
    from `new` where nothing else of the index differs: PostgreSQL prints the
    table's name in them, and a rename is told once, by its own event."""
    now = _by_name(new.get("indexes"))
    indexes = []
    for index in old.get("indexes") or []:
        twin = now.get(index["name"])
        same = twin is not None and all(twin.get(k) == v for k, v in index.items() if k != "definition")
        indexes.append({**index, "definition": twin.get("definition")} if same and twin is not None else index)
    return {**old, "indexes": indexes} if old.get("indexes") else old


def _requalified(old: str | None, new: str | None) -> bool:
    """Whether `new` is `old` with its schema in front (`app.gin_trgm_ops`,
    `"we.ird"."x"` for `x`)."""
    if not old or not new or old == new:
        return False
    return new.endswith("." + old) or new.endswith('."' + old.replace('"', '""') + '"')


def with_parts_qualified(old: dict, new: dict) -> dict:
    """`old` with its index parts' operator classes and collations as `new`
    prints them where `new` only adds their schema: crawlers before issue
    #26 printed them bare whatever their schema, which is no change of the
    database."""
    now = _by_name(new.get("indexes"))
    indexes, moved = [], False
    for index in old.get("indexes") or []:
        twin_parts = (now.get(index["name"]) or {}).get("parts") or []
        parts = index.get("parts") or []
        if len(parts) == len(twin_parts):
            fixed = [
                {**p, **{k: q[k] for k in ("opclass", "collation") if _requalified(p.get(k), q.get(k))}}
                for p, q in zip(parts, twin_parts, strict=True)
            ]
            if fixed != parts:
                index, moved = {**index, "parts": fixed}, True
        indexes.append(index)
    return {**old, "indexes": indexes} if moved else old


def table_changes(old: dict, new: dict) -> dict:
    """A compact description of the differences; empty when none matter."""
    changes: dict = {}
    for attr in ("kind", "comment"):
        if old.get(attr) != new.get(attr):
            changes[attr] = {"from": old.get(attr), "to": new.get(attr)}
    old_cols, new_cols = _by_name(old.get("columns")), _by_name(new.get("columns"))
    added = [c for c in new_cols if c not in old_cols]
    removed = [c for c in old_cols if c not in new_cols]
    altered = []
    for name in new_cols:
        if name in old_cols:
            diffs = {
                a: {"from": old_cols[name].get(a), "to": new_cols[name].get(a)}
                for a in COLUMN_ATTRS
                if old_cols[name].get(a) != new_cols[name].get(a)
            }
            if diffs:
                altered.append({"name": name, "changes": diffs})
    if added:
        changes["columns_added"] = added
    if removed:
        changes["columns_removed"] = removed
    if altered:
        changes["columns_altered"] = altered
    if old.get("primary_key") != new.get("primary_key"):
        changes["primary_key"] = {"from": old.get("primary_key"), "to": new.get("primary_key")}
    for part in ("foreign_keys", "indexes", "constraints"):
        plus, minus = _added_removed(old.get(part), new.get(part))
        if plus:
            changes[f"{part}_added"] = plus
        if minus:
            changes[f"{part}_removed"] = minus
    # a view's SQL and dependencies, partitioning (present only where they apply)
    for attr in RELATION_ATTRS:
        # a part that only gained fields (a MySQL/MariaDB partition's bounds) did not change
        if old.get(attr) != new.get(attr) and not only_fields_added(old.get(attr), new.get(attr)):
            changes[attr] = {"from": old.get(attr), "to": new.get(attr)}
    for attr in NEWER_ATTRS:
        if attr in old and old[attr] != new.get(attr):
            changes[attr] = {"from": old[attr], "to": new.get(attr)}
    return changes
