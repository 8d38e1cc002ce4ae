"""What can be curated, and whether it is there: a source, a schema (one the
source has live tables in), a table or view (by its catalog_tables id, live
or removed) and a column (present in its table's current definition). A
curation whose object is gone is orphaned; it shows again when the object
returns (a recrawl, a drop and re-create of the same name and a rename keep
the table's id)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.orm import Session

from ..models.curation import CURATED_KINDS

# The longest curated description, in characters.
DESCRIPTION_MAX = 20_000


class CurationError(Exception):
    """Input a curation refuses: `field` names what is wrong (for a 4xx)."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


class NotFound(CurationError):
    """The object to curate does not exist (nor has curation to show)."""


@dataclass(frozen=True)
class Target:
    """One curated object of a source, as its catalog_curation key holds it:
    fields that do not apply are '' or 0."""

    kind: str
    schema_name: str = ""
    table_id: int = 0
    column_name: str = ""

    def __post_init__(self):
        if self.kind not in CURATED_KINDS:
            raise ValueError(f"kind is one of {CURATED_KINDS}")

    @classmethod
    def source(cls) -> Target:
        return cls("source")

    @classmethod
    def schema(cls, name: str) -> Target:
        return cls("schema", schema_name=name)

    @classmethod
    def table(cls, table_id: int) -> Target:
        return cls("table", table_id=table_id)

    @classmethod
    def column(cls, table_id: int, name: str) -> Target:
        return cls("column", table_id=table_id, column_name=name)


@dataclass(frozen=True)
class Present:
    """What the catalog holds of a target now: whether it is there, its
    database comment, and a table's (or a column's table's) names."""

    there: bool
    comment: str | None = None
    schema_name: str | None = None
    table_name: str | None = None


_TABLE = (
    "SELECT schema_name, name, comment, removed_at IS NULL AS live FROM catalog_tables "
    "WHERE id = :tid AND source_id = :sid"
)
_COLUMN = "SELECT comment FROM catalog_columns WHERE table_id = :tid AND name = :name"
_SCHEMA = (
    "SELECT EXISTS (SELECT 1 FROM catalog_tables WHERE source_id = :sid AND schema_name = :schema "
    "AND removed_at IS NULL)"
)


def presence(session: Session, source_id: int, target: Target) -> Present:
    """Whether the target is in the catalog now. A table id not of this
    source (or never) raises NotFound naming `table_id`: there is nothing to
    show, orphaned or not."""
    if target.kind == "source":
        return Present(True)
    if target.kind == "schema":
        there = session.execute(text(_SCHEMA), {"sid": source_id, "schema": target.schema_name}).scalar()
        return Present(bool(there), schema_name=target.schema_name)
    t = session.execute(text(_TABLE), {"tid": target.table_id, "sid": source_id}).first()
    if t is None:
        raise NotFound("table_id", f"table {target.table_id} not found")
    if target.kind == "table":
        return Present(t.live, t.comment, t.schema_name, t.name)
    col = session.execute(text(_COLUMN), {"tid": target.table_id, "name": target.column_name}).first()
    return Present(col is not None, col.comment if col else None, t.schema_name, t.name)


def require_present(session: Session, source_id: int, target: Target) -> Present:
    """The target, for an edit: a schema with live tables, a table of the
    source (live or removed: its curation waits for it), a column of the
    table's current definition; NotFound naming the field otherwise."""
    found = presence(session, source_id, target)
    if target.kind == "table" or found.there:
        return found
    if target.kind == "schema":
        raise NotFound("schema", f"schema {target.schema_name!r} has no tables in the catalog of source {source_id}")
    raise NotFound("column", f"table {found.table_name!r} has no column {target.column_name!r}")
