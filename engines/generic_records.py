"""The `sqlalchemy` engine's records, built from the Inspector's
dictionaries (pure functions: no connection, tested without a database)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from .base import Column, ForeignKey, Index


def type_text(type_: Any, dialect: sa.Dialect) -> str:
    try:
        return str(type_.compile(dialect=dialect))
    except Exception:  # a type the dialect cannot print (NullType): its repr is all there is
        return str(type_)


def column_record(ordinal: int, col: Mapping[str, Any], dialect: sa.Dialect) -> Column:
    computed = col.get("computed") or {}
    identity = col.get("identity")
    return Column(
        name=col["name"],
        ordinal=ordinal,
        type=type_text(col["type"], dialect),
        nullable=bool(col.get("nullable", True)),
        default=None if computed else col.get("default"),
        comment=col.get("comment"),
        identity=("always" if identity.get("always") else "by default") if identity else None,
        generated=str(computed["sqltext"]) if computed else None,
    )


def foreign_key_record(table: str, schema: str, fk: Mapping[str, Any]) -> ForeignKey:
    options = fk.get("options") or {}
    columns = list(fk.get("constrained_columns") or [])
    return ForeignKey(
        name=fk.get("name") or f"{table}_{'_'.join(columns)}_fkey",
        columns=columns,
        referenced_schema=fk.get("referred_schema") or schema,
        referenced_table=fk["referred_table"],
        referenced_columns=list(fk.get("referred_columns") or []),
        on_update=(options.get("onupdate") or "NO ACTION").upper(),
        on_delete=(options.get("ondelete") or "NO ACTION").upper(),
    )


def index_record(ix: Mapping[str, Any]) -> Index:
    expressions = ix.get("expressions") or []
    columns = [
        c if c is not None else (expressions[i] if i < len(expressions) else "(expression)")
        for i, c in enumerate(ix.get("column_names") or [])
    ]
    return Index(name=ix.get("name") or "", columns=columns, unique=bool(ix.get("unique")))
