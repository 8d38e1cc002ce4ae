"""Grouping shared by every engine: bulk query rows become Table records.

Each engine runs one query per kind of detail for the whole batch and yields
`((schema, table), record)` pairs; `assemble` buckets them onto the tables in
the order the batch asked for. Tables the details queries did not find (they
vanished since listing) are dropped.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from .base import Column, Constraint, ForeignKey, Index, PrimaryKey, Table, TableRef

Key = tuple[str, str]


def _bucket(pairs: Iterable[tuple[Key, object]]) -> dict[Key, list]:
    out: dict[Key, list] = defaultdict(list)
    for key, record in pairs:
        out[key].append(record)
    return out


def assemble(
    refs: list[TableRef],
    details: dict[Key, dict],
    columns: Iterable[tuple[Key, Column]],
    primary_keys: Iterable[tuple[Key, PrimaryKey]] = (),
    foreign_keys: Iterable[tuple[Key, ForeignKey]] = (),
    indexes: Iterable[tuple[Key, Index]] = (),
    constraints: Iterable[tuple[Key, Constraint]] = (),
) -> list[Table]:
    """`details` maps each table that still exists to its kind, comment,
    row_estimate, size_bytes and signature (missing keys default to None)."""
    cols, pks = _bucket(columns), dict(primary_keys)
    fks, idx, cons = _bucket(foreign_keys), _bucket(indexes), _bucket(constraints)
    tables = []
    for ref in refs:
        key = (ref.schema, ref.name)
        d = details.get(key)
        if d is None:
            continue
        tables.append(
            Table(
                schema=ref.schema,
                name=ref.name,
                kind=d.get("kind") or ref.kind,
                comment=d.get("comment"),
                row_estimate=d.get("row_estimate"),
                size_bytes=d.get("size_bytes"),
                row_estimate_source=d.get("row_estimate_source"),
                columns=sorted(cols.get(key, []), key=lambda c: c.ordinal),
                primary_key=pks.get(key),
                foreign_keys=sorted(fks.get(key, []), key=lambda f: f.name),
                indexes=sorted(idx.get(key, []), key=lambda i: i.name),
                constraints=sorted(cons.get(key, []), key=lambda c: c.name),
                signature=d.get("signature"),
                definition=d.get("definition"),
                depends_on=d.get("depends_on"),
                partition=d.get("partition"),
                partition_of=d.get("partition_of"),
                bounds=d.get("bounds"),
                warnings=d.get("warnings"),
                view_options=d.get("view_options"),
                object_id=d.get("object_id"),
            )
        )
    return tables


def split_keys(
    records: Iterable[tuple[Key, PrimaryKey | ForeignKey | Constraint]],
) -> tuple[list[tuple[Key, PrimaryKey]], list[tuple[Key, ForeignKey]], list[tuple[Key, Constraint]]]:
    """Sort key and constraint records into primary keys, foreign keys and the rest."""
    pks: list[tuple[Key, PrimaryKey]] = []
    fks: list[tuple[Key, ForeignKey]] = []
    others: list[tuple[Key, Constraint]] = []
    for key, record in records:
        if isinstance(record, PrimaryKey):
            pks.append((key, record))
        elif isinstance(record, ForeignKey):
            fks.append((key, record))
        else:
            others.append((key, record))
    return pks, fks, others
