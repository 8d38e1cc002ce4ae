"""Introspector records → the table documents the catalog stores and serves
(the shape DESIGN.md shows)."""

from __future__ import annotations

from .base import Table

# The records hold only strings, numbers, booleans, lists of strings and
# index parts (dicts of those), and are dropped once documented, so their own
# attribute dicts are the document parts; dataclasses.asdict's deep copy made
# this step cost as much as reading the target.


# Parts of a document only some tables have (views, partitioned tables, partitions).
OPTIONAL_PARTS = ("definition", "depends_on", "partition", "partition_of", "bounds", "warnings", "view_options")
# Fields of a column only some columns have, left out where None, so a
# column without them keeps the document it always had.
OPTIONAL_COLUMN_FIELDS = ("collation",)


def column_document(c) -> dict:
    return {k: v for k, v in vars(c).items() if v is not None or k not in OPTIONAL_COLUMN_FIELDS}


def table_document(t: Table) -> dict:
    return {
        "schema": t.schema,
        "name": t.name,
        "kind": t.kind,
        "comment": t.comment,
        "row_estimate": t.row_estimate,
        "row_estimate_source": t.row_estimate_source,
        "size_bytes": t.size_bytes,
        "columns": [column_document(c) for c in t.columns],
        "primary_key": vars(t.primary_key) if t.primary_key else None,
        "foreign_keys": [vars(f) for f in t.foreign_keys],
        "indexes": [vars(i) for i in t.indexes],
        "constraints": [vars(c) for c in t.constraints],
        # only where they apply, so a plain table's document is unchanged
        **{k: v for k in OPTIONAL_PARTS if (v := getattr(t, k)) is not None},
        # beside the definition, never in it (catalog/staging.py keeps it apart)
        **({"object_id": t.object_id} if t.object_id is not None else {}),
    }
