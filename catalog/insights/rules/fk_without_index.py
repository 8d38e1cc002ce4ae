"""fk_without_index: a foreign key whose columns lead no index of its table
(the leading columns, in any order, are the key's; a partial index does not
count), so every delete or key update on the referenced table scans this
one. The fix creates the index (PostgreSQL, MySQL/MariaDB)."""

from __future__ import annotations

from .common import OBJ, SCOPED, TABLE_KINDS, Dialect, Rule

RULE = Rule("fk_without_index", "warning", "a foreign key whose columns lead no index (deletes on the parent scan)")

FK_COLS = "ARRAY(SELECT jsonb_array_elements_text(f.columns))"
LISTED_FK_COLS = "array_to_string(ARRAY(SELECT jsonb_array_elements_text(f.columns)), ', ')"


def _fix(d: Dialect) -> str:
    if d.pg:
        return (
            f"'CREATE INDEX ON ' || {d.qt} || ' (' || (SELECT string_agg({d.q('c')}, ', ') FROM "
            "jsonb_array_elements_text(f.columns) c) || ');'"
        )
    if d.my:
        return (
            f"'ALTER TABLE ' || {d.qt} || ' ADD INDEX (' || (SELECT string_agg({d.q('c')}, ', ') FROM "
            "jsonb_array_elements_text(f.columns) c) || ');'"
        )
    return "NULL"


def statements(d: Dialect) -> list[str]:
    return [
        RULE.head() + f"t.schema_name, t.name, f.name, {OBJ} || '.' || f.name, "
        f"'foreign key ' || f.name || ' (' || {LISTED_FK_COLS} || ') has no index leading with its columns', "
        + _fix(d)
        + f" FROM {SCOPED} JOIN catalog_foreign_keys f ON f.table_id = t.id "
        f"WHERE t.kind IN {TABLE_KINDS} AND NOT EXISTS (SELECT 1 FROM lint_indexes x "
        "WHERE x.table_id = t.id AND x.kind <> 'constraint' AND x.predicate IS NULL "
        "AND cardinality(x.cols) >= jsonb_array_length(f.columns) "
        # the leading columns, in any order, are the key's columns
        f"AND x.cols[1:jsonb_array_length(f.columns)] @> {FK_COLS} "
        f"AND {FK_COLS} @> x.cols[1:jsonb_array_length(f.columns)])"
    ]
