"""Introspector records → the table documents the catalog stores and serves
(the shape DESIGN.md shows)."""
from __future__ import annotations

from dataclasses import asdict

from .introspect.base import Table


def table_document(t: Table) -> dict:
    return {
        "schema": t.schema, "name": t.name, "kind": t.kind, "comment": t.comment,
        "row_estimate": t.row_estimate, "size_bytes": t.size_bytes,
        "columns": [asdict(c) for c in t.columns],
        "primary_key": asdict(t.primary_key) if t.primary_key else None,
        "foreign_keys": [asdict(f) for f in t.foreign_keys],
        "indexes": [asdict(i) for i in t.indexes],
        "constraints": [asdict(c) for c in t.constraints],
    }
