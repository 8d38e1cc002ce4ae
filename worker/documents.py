"""Introspector records → the table documents the catalog stores and serves
(the shape DESIGN.md shows)."""
from __future__ import annotations

from .introspect.base import Table

# The records hold only strings, numbers, booleans and lists of strings, so a
# shallow copy of each is the document; dataclasses.asdict's deep copy made
# this step cost as much as reading the target.


def table_document(t: Table) -> dict:
    return {
        "schema": t.schema, "name": t.name, "kind": t.kind, "comment": t.comment,
        "row_estimate": t.row_estimate, "size_bytes": t.size_bytes,
        "columns": [vars(c).copy() for c in t.columns],
        "primary_key": vars(t.primary_key).copy() if t.primary_key else None,
        "foreign_keys": [vars(f).copy() for f in t.foreign_keys],
        "indexes": [vars(i).copy() for i in t.indexes],
        "constraints": [vars(c).copy() for c in t.constraints],
    }
